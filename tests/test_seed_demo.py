"""demo.county and `manage.py seed_demo`: the Lan County demo in the database.

The county is built once for the module (about a second) and removed afterwards; each test runs
in its own transaction on top of it, so what a test adds is rolled back.
"""

import datetime
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count, Min
from django.utils import timezone

from demo import county as demo
from demo.data import TOWNSHIP_NAMES
from members.idcard import validate_id_number
from members.models import (
    Branch,
    CategoryChange,
    City,
    County,
    Member,
    Official,
    RollPeriod,
    Township,
)
from members.names import pinyin_sort_key
from members.services import format_card_number

pytestmark = pytest.mark.django_db

SEED = 7


def _wipe():
    for model in (CategoryChange, RollPeriod, Official, Member, Branch, Township, County, City):
        model.objects.all().delete()
    User.objects.all().delete()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    today = timezone.localdate()
    with django_db_blocker.unblock():
        out = StringIO()
        call_command(
            "seed_demo", "--no-activity", "--seed", str(SEED), "--today", today.isoformat(),
            stdout=out,
        )  # fmt: skip
        try:
            yield SimpleNamespace(today=today, output=out.getvalue())
        finally:
            _wipe()


def _counts():
    return tuple(
        m.objects.count()
        for m in (Township, Branch, Member, RollPeriod, CategoryChange, Official, User)
    )


def test_the_county_has_its_townships_villages_communities_and_4538_rural_members(seeded):
    assert list(Township.objects.values_list("name", flat=True)) == list(TOWNSHIP_NAMES)
    assert Branch.objects.filter(kind=Branch.Kind.VILLAGE).count() == 136
    assert Branch.objects.filter(kind=Branch.Kind.COMMUNITY).count() == 8
    assert Branch.objects.get(name="东阳涧村").township.name == "东村镇"
    assert Member.objects.filter(branch__kind=Branch.Kind.VILLAGE).count() == 4538
    community = Member.objects.filter(branch__kind=Branch.Kind.COMMUNITY)
    assert 8 * 20 <= community.count() <= 8 * 60
    # Villages have realistic, varied sizes; no community is empty.
    sizes = list(
        Branch.objects.annotate(n=Count("members")).values_list("kind", "n", "card_sequence")
    )
    assert all(n == sequence for _, n, sequence in sizes)
    village_sizes = [n for kind, n, _ in sizes if kind == Branch.Kind.VILLAGE]
    assert min(village_sizes) >= 12 and max(village_sizes) <= 90
    assert len(set(village_sizes)) > 20
    # The summary keeps the two member counts apart.
    assert "rural members      4,538" in seeded.output
    assert f"community members  {community.count():,} (not rural members)" in seeded.output


def test_every_member_is_valid_with_one_roll_period_and_a_category_from_its_start(seeded):
    today = seeded.today
    members = list(Member.objects.filter(branch__kind=Branch.Kind.VILLAGE))
    ids = [m.id_number for m in Member.objects.all()]
    assert len(set(ids)) == len(ids)
    for number in ids:
        validate_id_number(number, today=today)  # raises if invalid
    assert all(m.name_sort == pinyin_sort_key(m.name) for m in members)
    card = {(m.branch_id, m.card_number) for m in members}
    assert all(c.startswith(f"LX{b:04d}-") for b, c in card)
    branch = Branch.objects.get(name="东阳涧村")
    assert {m.card_number for m in branch.members.all()} == {
        format_card_number(branch_id=branch.pk, sequence=n)
        for n in range(1, branch.card_sequence + 1)
    }

    periods = {p.member_id: p for p in RollPeriod.objects.all()}
    assert RollPeriod.objects.count() == Member.objects.count() == len(periods)
    changes = Counter()
    first_change = {}
    for change in CategoryChange.objects.order_by("effective_from"):
        changes[change.member_id] += 1
        first_change.setdefault(change.member_id, change)
        assert change.effective_from.day == 1 and change.effective_from <= today
    for member in members:
        period = periods[member.pk]
        assert period.branch_id == member.branch_id
        assert period.start.day == 1 and period.start <= today
        assert first_change[member.pk].effective_from == period.start
        if member.status == Member.Status.ACTIVE:
            assert period.end is None and member.status_date is None
        else:
            assert member.status in (Member.Status.DECEASED, Member.Status.TRANSFERRED)
            assert period.end == member.status_date.replace(day=1)
            assert period.start <= period.end <= today and member.status_date <= today
            assert period.end_reason

    # The year's movements, roughly as planned: ~3% in, ~3% category change, ~1% left.
    n = len(members)
    joined = [p for p in periods.values() if p.start_reason == demo.TRANSFERRED_IN]
    if today.month >= 2 and today.year == periods[members[0].pk].start.year:
        assert 0.02 * n < len(joined) < 0.04 * n
    assert all(p.start.month >= 2 for p in joined)
    assert 0.02 * n < sum(1 for c in changes.values() if c == 2) < 0.04 * n
    assert max(changes.values()) <= 2
    left = sum(1 for m in members if m.status != Member.Status.ACTIVE)
    assert 0.005 * n < left < 0.015 * n

    # Plausible category mix in the villages (as held at the start of the roll).
    mix = Counter(first_change[m.pk].category for m in members)
    for category in "ABCD":
        assert 0.10 < mix[category] / n < 0.50, mix


def test_demo_logins_work_and_are_scoped(seeded, client):
    response = client.post(
        "/accounts/login/", {"username": "secretary", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302

    secretary = User.objects.get(username="secretary")
    branch = Branch.objects.get(name="东阳涧村", township__name="东村镇")
    assert secretary.official.role == Official.Role.SECRETARY
    assert list(Branch.objects.visible_to(secretary)) == [branch]
    assert Member.objects.visible_to(secretary).count() == branch.members.count() > 0
    assert client.get(f"/branches/{branch.pk}/").status_code == 200
    other = Branch.objects.get(name="官桥村")
    assert client.get(f"/branches/{other.pk}/").status_code == 404

    officials = {
        o.user.username: (o.role, o.township and o.township.name, o.branch and o.branch.name)
        for o in Official.objects.select_related("user", "township", "branch")
    }
    assert officials == {
        "city": ("city", None, None),
        "county": ("county", None, None),
        "township": ("township", "东村镇", None),
        "secretary": ("secretary", None, "东阳涧村"),
        "assessor": ("assessor", None, "东阳涧村"),
        "township2": ("township", "岚城镇", None),
        "secretary2": ("secretary", None, "官桥村"),
    }
    city = User.objects.get(username="city")
    assert city.official.city.name == "吕梁市" and not city.is_staff
    assert list(County.objects.visible_to(city)) == [County.objects.get(name="岚县")]
    county = User.objects.get(username="county")
    assert county.is_staff and county.is_superuser and county.first_name == "县委组织部"
    assert all(u.check_password(demo.DEMO_PASSWORD) for u in User.objects.all())


def test_if_empty_on_a_seeded_database_changes_nothing_and_a_plain_run_refuses(seeded):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "nothing to do" in out.getvalue()
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert _counts() == before


def test_same_seed_gives_the_same_county(seeded):
    plan = demo.plan_county(seed=SEED, today=seeded.today)
    again = demo.plan_county(seed=SEED, today=seeded.today)
    assert plan == again
    other = demo.plan_county(seed=SEED + 1, today=seeded.today)
    assert [m.person.id_number for m in other.rural_members] != [
        m.person.id_number for m in plan.rural_members
    ]
    # The database holds exactly the planned people, in the planned branches.
    in_db = set(
        Member.objects.values_list("branch__township__name", "branch__name", "name", "id_number")
    )
    planned = {
        (b.township, b.name, m.person.name, m.person.id_number)
        for b in plan.branches
        for m in b.members
    }
    assert in_db == planned


def test_force_adds_more_counties_with_their_own_names_and_id_numbers(seeded):
    users = User.objects.count()
    out = StringIO()
    call_command(
        "seed_demo", "--force", "--no-activity", "--seed", str(SEED), "--counties", "2",
        "--rural-members", "300", "--today", seeded.today.isoformat(), stdout=out,
    )  # fmt: skip
    assert "no. 2, 3" in out.getvalue()
    assert User.objects.count() == users  # demo logins only with county 1
    for county in (2, 3):
        townships = Township.objects.filter(name__endswith=f"（{county}）")
        assert [t.name for t in townships] == [f"{n}（{county}）" for n in TOWNSHIP_NAMES]
        villages = Member.objects.filter(
            branch__township__in=townships, branch__kind=Branch.Kind.VILLAGE
        )
        assert villages.count() == 300
        area = demo.county_area_code(county)
        assert area == f"14{1126 + county:04d}"
        assert all(
            number.startswith(area) for number in villages.values_list("id_number", flat=True)
        )
    assert Township.objects.count() == 27
    assert Township.objects.aggregate(Min("position"))["position__min"] == 1


def test_the_plan_never_reaches_past_today():
    january = demo.plan_county(seed=SEED, today=datetime.date(2026, 1, 20), rural_members=500)
    assert all(m.start == datetime.date(2026, 1, 1) for m in january.rural_members)
    assert all(len(m.categories) == 1 for m in january.rural_members)  # no room for a change
    for m in january.rural_members:
        if m.leave:
            assert m.leave[1] <= datetime.date(2026, 1, 20)

    may = demo.plan_county(seed=SEED, today=datetime.date(2026, 5, 3), rural_members=500)
    months = [month for m in may.rural_members for month, _, _ in m.categories]
    assert max(months) <= datetime.date(2026, 5, 1)
    assert all(m.leave[1] <= datetime.date(2026, 5, 3) for m in may.rural_members if m.leave)

    with pytest.raises(ValueError, match="after today"):
        demo.plan_county(today=datetime.date(2025, 12, 31), year=2026)
