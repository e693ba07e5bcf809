"""demo.data: the Lan County demo. No database."""

import os
import random
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from demo.data import (
    CATEGORIES,
    COMMUNITIES,
    COUNTY_AREA_CODE,
    FEMALE_NAMES_OLDER,
    FEMALE_NAMES_YOUNGER,
    MALE_NAMES_OLDER,
    MALE_NAMES_YOUNGER,
    SURNAMES,
    TOTAL_RURAL_MEMBERS,
    TOWNSHIP_NAMES,
    TOWNSHIPS,
    VILLAGE_COUNT,
    VILLAGES,
    DemoMember,
    branch_sizes,
    demo_member,
    demo_members,
    iter_villages,
    random_name,
)
from members.contact import validate_phone
from members.idcard import age_on, validate_id_number

TODAY = date(2025, 11, 25)
# The newspaper articles the demo's village names come from (plain .txt files) are not part of
# the repository: LANXIAN_SEED_ARTICLES names a folder holding them, else that test skips.
SEEDS_DIR = Path(os.environ.get("LANXIAN_SEED_ARTICLES") or "/nonexistent")


# --- places --------------------------------------------------------------------------------


def test_nine_townships_in_order():
    assert TOWNSHIP_NAMES == (
        "东村镇", "岚城镇", "普明镇", "界河口镇", "上明乡",
        "王狮乡", "梁家庄乡", "顺会乡", "大蛇头乡",
    )  # fmt: skip
    assert len(TOWNSHIPS) == 9
    assert all(t.area_code == COUNTY_AREA_CODE == "141127" for t in TOWNSHIPS)


def test_exactly_136_villages_all_unique():
    names = [v for vs in VILLAGES.values() for v in vs]
    assert len(names) == VILLAGE_COUNT == 136
    assert len(set(names)) == 136
    assert list(VILLAGES) == list(TOWNSHIP_NAMES)
    assert list(iter_villages()) == [(t, v) for t in TOWNSHIP_NAMES for v in VILLAGES[t]]


def test_villages_distributed_unevenly():
    sizes = [len(VILLAGES[t]) for t in TOWNSHIP_NAMES]
    assert all(10 <= n <= 22 for n in sizes)
    assert len(set(sizes)) > 3


def test_village_names_look_like_villages():
    for _, village in iter_villages():
        assert village.endswith("村")
        assert 2 <= len(village) <= 5


def test_dongyangjian_first_in_dongcun():
    assert VILLAGES["东村镇"][0] == "东阳涧村"


@pytest.mark.parametrize(
    ("village", "township"),
    [
        ("东阳涧村", "东村镇"),
        ("东土峪村", "东村镇"),
        ("丁字坪村", "东村镇"),
        ("坡上村", "东村镇"),
        ("后子坪村", "岚城镇"),
        ("普明村", "普明镇"),
        ("史家湾村", "普明镇"),
        ("前河村", "上明乡"),
        ("李家湾村", "王狮乡"),
        ("阳湾村", "王狮乡"),
        ("侯家岩村", "梁家庄乡"),
    ],
)
def test_seed_villages_in_the_township_the_articles_give(village, township):
    assert village in VILLAGES[township]


@pytest.mark.parametrize("village", ["官桥村", "史家庄村", "兰家舍村", "毕家坡村", "蛤蟆神村"])
def test_seed_villages_without_township_are_present(village):
    assert any(village == v for _, v in iter_villages())


def test_wangshi_has_12_villages():
    # "王狮乡党委书记……我们12个行政村"
    assert len(VILLAGES["王狮乡"]) == 12


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="LANXIAN_SEED_ARTICLES not set")
def test_lan_county_village_names_in_seed_articles_are_all_present():
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt")))
    text = re.sub(r"\s+", "", text)
    pattern = "(?:" + "|".join(TOWNSHIP_NAMES) + ")([\u4e00-\u9fff]{2,3}村)"
    for match in re.finditer(pattern, text):
        name = match.group(1)
        if name.endswith(("行政村", "个村")):
            continue
        assert name in {v for _, v in iter_villages()}, name


def test_eight_communities_with_known_townships():
    assert len(COMMUNITIES) == 8
    names = [c.name for c in COMMUNITIES]
    assert len(set(names)) == 8
    assert all(name.endswith("社区") for name in names)
    assert all(c.township in TOWNSHIP_NAMES for c in COMMUNITIES)
    assert {"易居苑社区", "滨河社区", "城西社区"} <= set(names)
    village_names = {v for _, v in iter_villages()}
    assert not village_names & set(names)


def test_name_lists():
    surnames = [s for s, _ in SURNAMES]
    assert len(surnames) == len(set(surnames))
    assert surnames[:4] == ["王", "张", "李", "刘"]
    assert all(w > 0 for _, w in SURNAMES)
    for pool in (MALE_NAMES_OLDER, MALE_NAMES_YOUNGER, FEMALE_NAMES_OLDER, FEMALE_NAMES_YOUNGER):
        assert len(pool) == len(set(pool)) >= 20
        assert {len(n) for n in pool} == {1, 2}


def test_random_name_uses_era_and_gender():
    rng = random.Random(3)
    for _ in range(200):
        name = random_name(rng, "F", 1950)
        assert name[1:] in FEMALE_NAMES_OLDER or name[2:] in FEMALE_NAMES_OLDER
        name = random_name(rng, "M", 1990)
        assert name[1:] in MALE_NAMES_YOUNGER


# --- branch sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 42, 2025, 4538])
def test_branch_sizes_sum_exactly(seed):
    sizes = branch_sizes(random.Random(seed), TOTAL_RURAL_MEMBERS, VILLAGE_COUNT)
    assert len(sizes) == 136
    assert sum(sizes) == 4538
    assert all(12 <= s <= 90 for s in sizes)
    assert max(sizes) - min(sizes) >= 20  # realistic variation, not all ~33


def test_branch_sizes_deterministic():
    assert branch_sizes(random.Random(7), 4538, 136) == branch_sizes(random.Random(7), 4538, 136)
    assert branch_sizes(random.Random(7), 4538, 136) != branch_sizes(random.Random(8), 4538, 136)


@pytest.mark.parametrize(
    ("total", "count"), [(0, 0), (12, 1), (90, 1), (12 * 136, 136), (90 * 136, 136), (100, 3)]
)
def test_branch_sizes_edge_totals(total, count):
    sizes = branch_sizes(random.Random(1), total, count)
    assert len(sizes) == count
    assert sum(sizes) == total
    assert all(12 <= s <= 90 for s in sizes)


def test_branch_sizes_custom_bounds():
    sizes = branch_sizes(random.Random(1), 60, 8, minimum=3, maximum=15)
    assert sum(sizes) == 60
    assert all(3 <= s <= 15 for s in sizes)


@pytest.mark.parametrize(("total", "count"), [(11, 1), (91, 1), (4538, 30), (10, 0), (5, -1)])
def test_branch_sizes_impossible(total, count):
    with pytest.raises(ValueError):
        branch_sizes(random.Random(1), total, count)


# --- members -------------------------------------------------------------------------------


def test_same_seed_same_members():
    a = demo_members(random.Random(99), 300, today=TODAY)
    b = demo_members(random.Random(99), 300, today=TODAY)
    c = demo_members(random.Random(100), 300, today=TODAY)
    assert a == b
    assert a != c


def test_demo_member_adds_its_id_to_used_ids():
    used: set[str] = set()
    member = demo_member(random.Random(1), used_ids=used, today=TODAY)
    assert isinstance(member, DemoMember)
    assert used == {member.id_number}


def test_demo_member_avoids_ids_already_used():
    used: set[str] = set()
    first = demo_member(random.Random(5), used_ids=used, today=TODAY)
    # Same seed, same draws: the first candidate ID is taken, so another must be chosen.
    second = demo_member(random.Random(5), used_ids=used, today=TODAY)
    assert second.id_number != first.id_number
    assert len(used) == 2


@pytest.fixture(scope="module")
def five_thousand() -> list[DemoMember]:
    return demo_members(random.Random(2025), 5000, today=TODAY)


def test_ids_valid_unique_and_consistent(five_thousand):
    ids = [m.id_number for m in five_thousand]
    assert len(set(ids)) == 5000
    for m in five_thousand:
        info = validate_id_number(m.id_number, today=TODAY)
        assert info.number == m.id_number
        assert info.birth_date == m.birth_date
        assert info.gender == m.gender
        assert m.id_number.startswith("141127")


def test_ages_and_joining_dates(five_thousand):
    for m in five_thousand:
        age = age_on(m.birth_date, TODAY)
        assert 22 <= age <= 90
        assert age_on(m.birth_date, m.joined_party) >= 18
        assert date(1949, 1, 1) <= m.joined_party <= TODAY
    ages = [age_on(m.birth_date, TODAY) for m in five_thousand]
    assert sorted(ages)[len(ages) // 2] >= 50  # weighted to the old


def test_mix_of_gender_category_phone_plaque(five_thousand):
    n = len(five_thousand)
    male = sum(m.gender == "M" for m in five_thousand) / n
    assert 0.70 <= male <= 0.82
    with_phone = [m for m in five_thousand if m.phone]
    assert 0.62 <= len(with_phone) / n <= 0.78
    assert all(m.phone == "" for m in five_thousand if not m.phone)
    assert all(validate_phone(m.phone) == m.phone for m in with_phone)
    plaque = sum(m.has_plaque for m in five_thousand) / n
    assert 0.9 <= plaque < 1.0
    share = {c: k / n for c, k in Counter(m.category for m in five_thousand).items()}
    assert set(share) == set(CATEGORIES)
    assert 0.11 <= share["A"] <= 0.19
    assert 0.34 <= share["B"] <= 0.46
    assert 0.19 <= share["C"] <= 0.31
    assert 0.15 <= share["D"] <= 0.25


def test_category_depends_on_age(five_thousand):
    def d_share(members):
        return sum(m.category == "D" for m in members) / len(members)

    def c_share(members):
        return sum(m.category == "C" for m in members) / len(members)

    old = [m for m in five_thousand if age_on(m.birth_date, TODAY) >= 70]
    young = [m for m in five_thousand if age_on(m.birth_date, TODAY) < 65]
    assert d_share(old) > 2 * d_share(five_thousand) - 0.05
    assert d_share(old) > d_share(young) * 5
    assert c_share(old) < c_share(young) / 3


def test_names_look_real(five_thousand):
    surnames = {s for s, _ in SURNAMES}
    for m in five_thousand[:500]:
        assert 2 <= len(m.name) <= 3
        assert m.name[0] in surnames
