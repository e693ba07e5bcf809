"""Deterministic demo data for Lan County (岚县, Lüliang, Shanxi). Pure Python, no Django.

Every random choice comes from the ``random.Random`` passed in, so the same seed always gives
the same county. All people are invented; ID numbers are synthetic but pass the GB 11643 check.

Place names: the villages named in the newspaper articles about the county are all here,
in the township the article gives where it gives one (东阳涧村, 东土峪村, 丁字坪村, 坡上村 in
东村镇; 后子坪村 in 岚城镇; 普明村, 史家湾村 in 普明镇; 前河村 in 上明乡; 李家湾村, 阳湾村 in
王狮乡, which the articles say has 12 villages; 侯家岩村 in 梁家庄乡). 官桥村, 兰家舍村,
史家庄村, 毕家坡村 and 蛤蟆神村 are named without a township and are placed by guess. The rest
are plausible Shanxi village names, not a survey of the county. The 8 communities are all in
东村镇, the county seat, whose township runs the town's property-management office; 易居苑社区,
滨河社区, 城西社区 are named in the articles, and 利民 after the 利民小区 housing project.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from members.idcard import make_id_number

__all__ = [
    "CATEGORIES",
    "CITY_NAME",
    "COMMUNITIES",
    "COUNTY_AREA_CODE",
    "COUNTY_NAME",
    "FEMALE_NAMES_OLDER",
    "FEMALE_NAMES_YOUNGER",
    "MALE_NAMES_OLDER",
    "MALE_NAMES_YOUNGER",
    "SURNAMES",
    "TOTAL_RURAL_MEMBERS",
    "TOWNSHIPS",
    "TOWNSHIP_NAMES",
    "VILLAGES",
    "VILLAGE_COUNT",
    "Community",
    "DemoMember",
    "Township",
    "branch_sizes",
    "demo_member",
    "demo_members",
    "iter_villages",
    "random_name",
]

CITY_NAME = "吕梁市"  # the city above the demo counties
COUNTY_NAME = "岚县"
COUNTY_AREA_CODE = "141127"  # 山西省吕梁市岚县
TOTAL_RURAL_MEMBERS = 4538
VILLAGE_COUNT = 136
CATEGORIES = ("A", "B", "C", "D")


class Township(NamedTuple):
    name: str
    area_code: str  # 6-digit prefix used for synthetic ID numbers


class Community(NamedTuple):
    name: str
    township: str


TOWNSHIPS: tuple[Township, ...] = (
    Township("东村镇", COUNTY_AREA_CODE),
    Township("岚城镇", COUNTY_AREA_CODE),
    Township("普明镇", COUNTY_AREA_CODE),
    Township("界河口镇", COUNTY_AREA_CODE),
    Township("上明乡", COUNTY_AREA_CODE),
    Township("王狮乡", COUNTY_AREA_CODE),
    Township("梁家庄乡", COUNTY_AREA_CODE),
    Township("顺会乡", COUNTY_AREA_CODE),
    Township("大蛇头乡", COUNTY_AREA_CODE),
)
TOWNSHIP_NAMES: tuple[str, ...] = tuple(t.name for t in TOWNSHIPS)

# township -> its village branches, in display order (22+18+16+15+14+12+13+14+12 = 136).
VILLAGES: dict[str, tuple[str, ...]] = {
    "东村镇": (
        "东阳涧村", "东土峪村", "丁字坪村", "坡上村", "官桥村", "兰家舍村", "东村村",
        "西河村", "北源村", "南沟村", "王家庄村", "马家庄村", "寺头村", "石家会村",
        "高家湾村", "杨家坡村", "下会村", "河口村", "柳林沟村", "苏家村", "南坪村",
        "城北村",
    ),
    "岚城镇": (
        "岚城村", "后子坪村", "前子坪村", "史家庄村", "蛤蟆神村", "郭家庄村", "阳坡村",
        "西坡村", "窑沟村", "北村", "吴家沟村", "张家湾村", "刘家庄村", "大营村",
        "上庄村", "下庄村", "水峪贯村", "店坪村",
    ),
    "普明镇": (
        "普明村", "史家湾村", "毕家坡村", "赵家沟村", "白家庄村", "任家沟村", "贾家庄村",
        "李家坪村", "南岔村", "野鸡山村", "峪口村", "西王家村", "土峪村", "沙坪村",
        "泉子村", "大庄村",
    ),
    "界河口镇": (
        "界河口村", "上井村", "下井村", "桥头村", "红崖村", "河湾村", "石湾村", "岔口村",
        "三井村", "后庄村", "前庄村", "梁家会村", "孙家庄村", "新庄村", "车道坡村",
    ),
    "上明乡": (
        "上明村", "前河村", "后河村", "中寨村", "寨上村", "南山村", "北山村", "青杨坪村",
        "冯家庄村", "韩家庄村", "庙沟村", "黄土坡村", "松树坡村", "白草坪村",
    ),
    "王狮乡": (
        "王狮村", "李家湾村", "阳湾村", "川口村", "岭底村", "闫家沟村", "温泉村",
        "小营村", "沟门前村", "榆树坪村", "卢家庄村", "程家沟村",
    ),
    "梁家庄乡": (
        "梁家庄村", "侯家岩村", "寨子村", "乔家坪村", "庄头村", "坪上村", "峁底村",
        "范家庄村", "南岭村", "东坡村", "西沟村", "后沟村", "井沟村",
    ),
    "顺会乡": (
        "顺会村", "吉家沟村", "胡家岭村", "石窑村", "崖底村", "宋家庄村", "田家庄村",
        "铁匠铺村", "前楼村", "后楼村", "东沟村", "杏树湾村", "马坊村", "碾子沟村",
    ),
    "大蛇头乡": (
        "大蛇头村", "小蛇头村", "高家庄村", "贺家坪村", "黑峪村", "杜家沟村", "康家岭村",
        "石门墕村", "柏树湾村", "窑头村", "龙门村", "上阳坡村",
    ),
}  # fmt: skip

COMMUNITIES: tuple[Community, ...] = (
    Community("东关社区", "东村镇"),
    Community("西街社区", "东村镇"),
    Community("南关社区", "东村镇"),
    Community("北关社区", "东村镇"),
    Community("城西社区", "东村镇"),
    Community("滨河社区", "东村镇"),
    Community("易居苑社区", "东村镇"),
    Community("利民社区", "东村镇"),
)

# (surname, relative weight): common surnames of north-western Shanxi.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 20), ("张", 14), ("李", 13), ("刘", 12), ("赵", 7), ("杨", 7), ("郭", 6),
    ("白", 5), ("高", 5), ("任", 4), ("贾", 4), ("武", 3), ("吴", 3), ("孙", 3), ("马", 3),
    ("田", 3), ("胡", 2), ("冯", 2), ("韩", 2), ("薛", 2), ("曹", 2), ("梁", 2), ("牛", 2),
    ("闫", 2), ("宋", 2), ("秦", 1), ("石", 1), ("温", 1), ("程", 1), ("侯", 1), ("乔", 1),
    ("史", 1), ("段", 1), ("苏", 1), ("尹", 1), ("杜", 1), ("康", 1), ("范", 1),
)  # fmt: skip

# Given names by era: "older" for people born before 1970, "younger" for 1970 and later.
MALE_NAMES_OLDER: tuple[str, ...] = (
    "建国", "建华", "国庆", "国华", "保国", "卫东", "红旗", "援朝", "志强", "德明", "德胜",
    "福生", "富贵", "金山", "三虎", "有才", "双喜", "满仓", "根生", "树林", "文明", "新民",
    "宝山", "玉林", "存才", "锁柱", "来旺", "拴柱", "润生", "永红", "永平", "永胜", "俊明",
    "春生", "秋生", "冬生", "喜明", "占奎", "占元", "海", "明", "忠", "林", "贵", "旺",
    "平", "福", "宽", "成", "义",
)  # fmt: skip
MALE_NAMES_YOUNGER: tuple[str, ...] = (
    "伟", "强", "磊", "勇", "军", "杰", "涛", "斌", "鹏", "超", "刚", "波", "鑫", "浩",
    "宇", "瑞", "晓东", "晓明", "志刚", "志伟", "建军", "海军", "海涛", "宏伟", "文斌",
    "俊杰", "小龙", "晋军", "晋华", "利军", "永刚", "卫平", "鹏飞", "建平", "振华", "亮亮",
)  # fmt: skip
FEMALE_NAMES_OLDER: tuple[str, ...] = (
    "秀英", "桂英", "玉兰", "桂兰", "秀兰", "凤英", "翠花", "金花", "春花", "改莲", "爱莲",
    "润莲", "粉兰", "巧云", "桂芳", "淑珍", "玉珍", "兰英", "凤莲", "存梅", "月娥", "俊英",
    "冬梅", "红梅", "英", "兰", "梅", "珍",
)  # fmt: skip
FEMALE_NAMES_YOUNGER: tuple[str, ...] = (
    "丽", "芳", "娟", "燕", "静", "敏", "霞", "艳", "慧", "婷", "丽娟", "晓燕", "晓霞",
    "艳红", "丽君", "瑞萍", "俊平", "红霞", "海燕", "建梅", "彩霞", "晋芳", "志红", "美丽",
    "小芳", "雪梅", "春燕",
)  # fmt: skip

_SURNAME_CHOICES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)

# Age bands (inclusive) and weights: rural Party members are mostly middle-aged and old.
_AGE_BANDS: tuple[tuple[int, int, int], ...] = (
    (22, 35, 12),
    (36, 50, 20),
    (51, 64, 28),
    (65, 69, 12),
    (70, 79, 18),
    (80, 90, 10),
)
# Weights of A, B, C, D by the lowest age of a band; overall about A 15%, B 40%, C 25%, D 20%.
_CATEGORY_WEIGHTS_BY_AGE: tuple[tuple[int, tuple[int, int, int, int]], ...] = (
    (22, (18, 27, 53, 2)),
    (36, (26, 33, 38, 3)),
    (51, (22, 44, 30, 4)),
    (65, (10, 62, 10, 18)),
    (70, (4, 42, 3, 51)),
    (80, (0, 20, 1, 79)),
)
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "177", "180", "182", "183", "185",
    "186", "187", "188", "189", "199",
)  # fmt: skip
_EARLIEST_JOINED = date(1949, 1, 1)
_PLAQUE_SHARE = 0.95  # "4300余户" plaques for 4,538 members


@dataclass(frozen=True)
class DemoMember:
    name: str
    gender: str  # "M" / "F"
    id_number: str  # valid GB 11643 number, unique within the used_ids set passed in
    birth_date: date
    phone: str  # mainland mobile, or "" (no phone on record)
    joined_party: date  # at age >= 18, not before 1949, not after today
    category: str  # "A" / "B" / "C" / "D"
    has_plaque: bool  # "共产党员户" household plaque


def iter_villages() -> Iterator[tuple[str, str]]:
    """(township, village) for all 136 villages, townships in ``TOWNSHIPS`` order."""
    for township in TOWNSHIP_NAMES:
        for village in VILLAGES[township]:
            yield township, village


def random_name(rng: random.Random, gender: str, birth_year: int) -> str:
    """A surname (weighted) and a given name typical of the gender and the birth era."""
    surname = rng.choices(_SURNAME_CHOICES, weights=_SURNAME_WEIGHTS)[0]
    older = birth_year < 1970
    if gender == "M":
        pool = MALE_NAMES_OLDER if older else MALE_NAMES_YOUNGER
    else:
        pool = FEMALE_NAMES_OLDER if older else FEMALE_NAMES_YOUNGER
    return surname + rng.choice(pool)


def _minus_years(d: date, years: int) -> date:
    """``d`` moved back ``years`` years; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _plus_years(d: date, years: int) -> date:
    """``d`` moved on ``years`` years; 29 February becomes 1 March (the day the age is reached)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return date(d.year + years, 3, 1)


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _birth_date_for_age(rng: random.Random, age: int, today: date) -> date:
    """A birth date on which the person is exactly ``age`` full years old on ``today``."""
    latest = _minus_years(today, age)
    earliest = _minus_years(today, age + 1) + timedelta(days=1)
    return _random_date(rng, earliest, latest)


def _category_weights(age: int) -> tuple[int, int, int, int]:
    weights = _CATEGORY_WEIGHTS_BY_AGE[0][1]
    for lowest, band_weights in _CATEGORY_WEIGHTS_BY_AGE:
        if age >= lowest:
            weights = band_weights
    return weights


def _male_share(age: int) -> float:
    if age < 36:
        return 0.62
    if age < 51:
        return 0.70
    if age < 65:
        return 0.76
    return 0.84


def _mobile_share(age: int) -> float:
    if age < 50:
        return 0.92
    if age < 65:
        return 0.80
    if age < 75:
        return 0.55
    return 0.30


def _joined_party(rng: random.Random, birth_date: date, today: date) -> date:
    """Joining date: at 18 or later (usually in the twenties), at most at 60, not before 1949."""
    earliest = max(_plus_years(birth_date, 18), _EARLIEST_JOINED)
    latest = min(_plus_years(birth_date, 60), today)
    span = (latest - earliest).days
    offset = int(rng.triangular(0, span, min(span, 8 * 365)))
    return earliest + timedelta(days=offset)


def demo_member(
    rng: random.Random,
    *,
    used_ids: set[str],
    today: date,
    area_code: str = COUNTY_AREA_CODE,
) -> DemoMember:
    """One invented rural Party member; the new ID number is added to ``used_ids``.

    About 75% men; ages 22-90 weighted to the old; a mobile number for about 70% (fewer among
    the old); categories about A 15%, B 40%, C 25%, D 20% (D likelier from 70, C rarer from 65);
    95% with the household plaque.
    """
    low, high, _ = rng.choices(_AGE_BANDS, weights=[w for _, _, w in _AGE_BANDS])[0]
    age = rng.randint(low, high)
    gender = "M" if rng.random() < _male_share(age) else "F"
    birth_date = _birth_date_for_age(rng, age, today)
    for _attempt in range(200):
        id_number = make_id_number(area_code, birth_date, rng.randrange(100), gender)
        if id_number not in used_ids:
            break
        if _attempt % 20 == 19:  # this birth date is crowded: try another one, same age
            birth_date = _birth_date_for_age(rng, age, today)
    else:
        raise RuntimeError("could not find an unused ID number")
    used_ids.add(id_number)

    name = random_name(rng, gender, birth_date.year)
    phone = ""
    if rng.random() < _mobile_share(age):
        phone = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    joined = _joined_party(rng, birth_date, today)
    category = rng.choices(CATEGORIES, weights=_category_weights(age))[0]
    has_plaque = rng.random() < _PLAQUE_SHARE
    return DemoMember(
        name=name,
        gender=gender,
        id_number=id_number,
        birth_date=birth_date,
        phone=phone,
        joined_party=joined,
        category=category,
        has_plaque=has_plaque,
    )


def demo_members(
    rng: random.Random,
    count: int,
    *,
    today: date,
    used_ids: set[str] | None = None,
    area_code: str = COUNTY_AREA_CODE,
) -> list[DemoMember]:
    """``count`` members from :func:`demo_member`, sharing one set of used ID numbers."""
    if used_ids is None:
        used_ids = set()
    return [
        demo_member(rng, used_ids=used_ids, today=today, area_code=area_code) for _ in range(count)
    ]


def branch_sizes(
    rng: random.Random,
    total: int,
    count: int,
    *,
    minimum: int = 12,
    maximum: int = 90,
) -> list[int]:
    """Split ``total`` members over ``count`` branches: each in [minimum, maximum], exact sum.

    Sizes vary like real villages (a log-normal spread around the mean: a few large villages,
    many small ones). Raises ``ValueError`` if the bounds make the split impossible.
    """
    if count < 0 or minimum < 0 or minimum > maximum:
        raise ValueError("count must be >= 0 and 0 <= minimum <= maximum")
    if not count * minimum <= total <= count * maximum:
        raise ValueError(f"cannot split {total} into {count} branches of {minimum}..{maximum}")
    if count == 0:
        return []
    weights = [rng.lognormvariate(0.0, 0.55) for _ in range(count)]
    weight_sum = sum(weights)
    spare = total - count * minimum
    sizes = [min(maximum, minimum + int(spare * w / weight_sum)) for w in weights]
    # Rounding down and capping leave a remainder: hand it out one member at a time,
    # preferring the bigger villages, never above the maximum.
    remaining = total - sum(sizes)
    while remaining > 0:
        open_ = [i for i in range(count) if sizes[i] < maximum]
        i = rng.choices(open_, weights=[weights[j] for j in open_])[0]
        sizes[i] += 1
        remaining -= 1
    return sizes
