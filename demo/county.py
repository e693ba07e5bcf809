"""Build the Lan County demo (岚县) in the database: places, members, roll history, demo logins.

Two layers, so later code can extend the demo year (declarations, reviews, quarterly meetings):

* **plan** — pure and deterministic: :func:`plan_county` turns a seed into a :class:`CountyPlan`
  (townships, branches, members with their roll and category history). No database.
* **build** — :func:`build_county` writes one plan with ``bulk_create`` in one transaction;
  :func:`create_demo_users` adds the demo logins; :func:`seed_demo` does both for N counties
  and returns a :class:`SeedResult` (what was built, with the model objects and their pks).

Numbers (docs/domain.md §6): per county 9 townships, 136 village branches with exactly
``rural_members`` (default 4,538) rural members between them, and 8 urban communities with a few
members of their own, which are *not* rural members and are counted apart.

History of the demo year (``year``, default the year of ``today``): every member is on the roll
from January with "登记入册", except about 3% who transferred in during the year ("转入", a month
from February to the current month). About 3% change category once during the year (B→D
"年老体弱", C→B "返乡", …) and about 1% leave (died or transferred out of the county), which
closes their roll period. No month after ``today`` is ever created.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from demo.data import (
    CITY_NAME,
    COMMUNITIES,
    COUNTY_AREA_CODE,
    COUNTY_NAME,
    TOTAL_RURAL_MEMBERS,
    TOWNSHIP_NAMES,
    VILLAGES,
    DemoMember,
    branch_sizes,
    demo_members,
)
from members.idcard import age_on
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
from scoring import standings

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "BuiltCounty",
    "CountyPlan",
    "DemoUser",
    "PlannedBranch",
    "PlannedMember",
    "SeedResult",
    "build_county",
    "county_area_code",
    "county_township_name",
    "create_demo_users",
    "next_free_county",
    "plan_county",
    "seed_demo",
]

DEFAULT_SEED = 2026
DEMO_PASSWORD = "lanxian2026"
BATCH_SIZE = 1000
MAX_COUNTIES = 999

REGISTERED = "登记入册"
TRANSFERRED_IN = "转入"
JOINER_SHARE = 0.03  # joined the roll during the year
CHANGE_SHARE = 0.03  # a second category change during the year
LEAVER_SHARE = 0.01  # died or transferred out of the county during the year
COMMUNITY_MEMBERS = (20, 60)  # members per urban community, inclusive


# --- naming --------------------------------------------------------------------------------


def county_area_code(county: int) -> str:
    """6-digit area code for synthetic ID numbers: 141127 (岚县) for county 1, then 141128, …"""
    if not 1 <= county <= MAX_COUNTIES:
        raise ValueError(f"county must be between 1 and {MAX_COUNTIES}")
    if county == 1:
        return COUNTY_AREA_CODE
    return f"14{(1127 + county - 1) % 10000:04d}"


def county_township_name(name: str, county: int) -> str:
    """ "东村镇" for county 1, "东村镇（2）" for county 2: township names stay unique."""
    return name if county == 1 else f"{name}（{county}）"


# --- the plan (pure) -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedMember:
    person: DemoMember
    start: datetime.date  # first month on the roll (a first of month)
    start_reason: str  # "登记入册" or "转入"
    # (first of month, category, reason); the first entry is at `start` with `person.category`.
    categories: tuple[tuple[datetime.date, str, str], ...]
    # Left during the year: (Member.Status value, status_date, end_reason), else None.
    leave: tuple[str, datetime.date, str] | None = None

    @property
    def end(self) -> datetime.date | None:
        return self.leave[1].replace(day=1) if self.leave else None

    @property
    def current_category(self) -> str:
        return self.categories[-1][1]


@dataclass(frozen=True)
class PlannedBranch:
    township: str  # the (suffixed) township name
    name: str
    kind: str  # Branch.Kind value
    position: int
    members: tuple[PlannedMember, ...]  # in card-number order


@dataclass(frozen=True)
class CountyPlan:
    county: int
    year: int
    today: datetime.date
    area_code: str
    townships: tuple[str, ...]  # (suffixed) names in display order
    branches: tuple[PlannedBranch, ...]  # villages of each township, then communities

    @property
    def villages(self) -> list[PlannedBranch]:
        return [b for b in self.branches if b.kind == Branch.Kind.VILLAGE]

    @property
    def communities(self) -> list[PlannedBranch]:
        return [b for b in self.branches if b.kind == Branch.Kind.COMMUNITY]

    @property
    def rural_members(self) -> list[PlannedMember]:
        return [m for b in self.villages for m in b.members]

    @property
    def community_members(self) -> list[PlannedMember]:
        return [m for b in self.communities for m in b.members]


def _rng(seed: int, county: int, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED; one
    # stream per part, so e.g. a different member count leaves the category history alone.
    return random.Random(f"lanxian-demo:{seed}:{county}:{part}")


def _month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


def _last_day(year: int, month: int) -> int:
    following = _month(year + month // 12, month % 12 + 1)
    return (following - datetime.timedelta(days=1)).day


def _category_change(
    rng: random.Random, category: str, age: int
) -> tuple[str, str]:  # (new category, reason)
    if category == "A":
        return "B", "村“两委”换届后不再任职"
    if category == "B":
        if age >= 65:
            return "D", "年老体弱"
        return rng.choice((("C", "外出务工"), ("A", "当选村民小组长")))
    if category == "C":
        return "B", "返乡"
    return "B", "身体康复，能正常履职"


def _history(
    rng: random.Random, people: Sequence[DemoMember], *, year: int, today: datetime.date
) -> list[PlannedMember]:
    """Roll and category history for `people` (rural members), in the same order."""
    n = len(people)
    last_month = today.month if today.year == year else 12
    starts = [1] * n
    reasons = [REGISTERED] * n
    if last_month >= 2:
        for i in rng.sample(range(n), round(n * JOINER_SHARE)):
            starts[i] = rng.randint(2, last_month)
            reasons[i] = TRANSFERRED_IN

    leaves: list[tuple[str, datetime.date, str] | None] = [None] * n
    ends = [last_month] * n
    for i in sorted(rng.sample(range(n), round(n * LEAVER_SHARE))):
        month = rng.randint(starts[i], last_month)
        last_day = today.day if (year, month) == (today.year, today.month) else None
        day = rng.randint(1, last_day or _last_day(year, month))
        status_date = datetime.date(year, month, day)
        if age_on(people[i].birth_date, status_date) >= 65 and rng.random() < 0.8:
            status, reason = Member.Status.DECEASED, "病故"
        else:
            status, reason = Member.Status.TRANSFERRED, "组织关系转往县外"
        label = Member.Status(status).label
        leaves[i] = (status.value, status_date, f"{label}：{reason}")
        ends[i] = month

    changes: dict[int, tuple[int, str, str]] = {}
    eligible = [i for i in range(n) if ends[i] > starts[i]]
    for i in sorted(rng.sample(eligible, min(len(eligible), round(n * CHANGE_SHARE)))):
        month = rng.randint(starts[i] + 1, ends[i])
        age = age_on(people[i].birth_date, _month(year, month))
        changes[i] = (month, *_category_change(rng, people[i].category, age))

    planned = []
    for i, person in enumerate(people):
        start = _month(year, starts[i])
        categories = [(start, person.category, reasons[i])]
        if i in changes:
            month, category, reason = changes[i]
            categories.append((_month(year, month), category, reason))
        planned.append(
            PlannedMember(
                person=person,
                start=start,
                start_reason=reasons[i],
                categories=tuple(categories),
                leave=leaves[i],
            )
        )
    return planned


def _by_card_order(members: Iterable[PlannedMember]) -> tuple[PlannedMember, ...]:
    # Registered members first (in the order drawn), then joiners by month: a later joiner
    # gets a later points-card number.
    return tuple(sorted(members, key=lambda m: m.start))


def plan_county(
    *,
    seed: int = DEFAULT_SEED,
    county: int = 1,
    today: datetime.date,
    year: int | None = None,
    rural_members: int = TOTAL_RURAL_MEMBERS,
    community_members: tuple[int, int] = COMMUNITY_MEMBERS,
) -> CountyPlan:
    """The whole county as plain data: same arguments, same plan (names, ID numbers, sizes).

    ``rural_members`` is split over the 136 villages with :func:`branch_sizes`: 12–90 each for
    the real 4,538 (smaller minimum / larger maximum only when the total needs it). Every
    community gets a size drawn from ``community_members`` (inclusive bounds).
    """
    year = today.year if year is None else year
    if datetime.date(year, 1, 1) > today:
        raise ValueError(f"the demo year {year} starts after today ({today})")
    village_count = sum(len(v) for v in VILLAGES.values())
    area_code = county_area_code(county)
    used_ids: set[str] = set()

    people = demo_members(
        _rng(seed, county, "members"),
        rural_members,
        today=today,
        used_ids=used_ids,
        area_code=area_code,
    )
    minimum = min(12, rural_members // village_count)
    maximum = max(90, -(-rural_members // village_count) * 2)
    sizes = branch_sizes(
        _rng(seed, county, "sizes"), rural_members, village_count, minimum=minimum, maximum=maximum
    )
    history = _history(_rng(seed, county, "history"), people, year=year, today=today)

    branches: list[PlannedBranch] = []
    offset = 0
    size_iter = iter(sizes)
    for township in TOWNSHIP_NAMES:
        for position, village in enumerate(VILLAGES[township], start=1):
            size = next(size_iter)
            branches.append(
                PlannedBranch(
                    township=county_township_name(township, county),
                    name=village,
                    kind=Branch.Kind.VILLAGE.value,
                    position=position,
                    members=_by_card_order(history[offset : offset + size]),
                )
            )
            offset += size

    community_rng = _rng(seed, county, "communities")
    low, high = community_members
    start = _month(year, 1)
    for community in COMMUNITIES:
        size = community_rng.randint(low, high)
        residents = demo_members(
            community_rng, size, today=today, used_ids=used_ids, area_code=area_code
        )
        position = len(VILLAGES[community.township]) + 1 + COMMUNITIES.index(community)
        branches.append(
            PlannedBranch(
                township=county_township_name(community.township, county),
                name=community.name,
                kind=Branch.Kind.COMMUNITY.value,
                position=position,
                members=tuple(
                    PlannedMember(
                        person=p,
                        start=start,
                        start_reason=REGISTERED,
                        categories=((start, p.category, REGISTERED),),
                    )
                    for p in residents
                ),
            )
        )
    return CountyPlan(
        county=county,
        year=year,
        today=today,
        area_code=area_code,
        townships=tuple(county_township_name(t, county) for t in TOWNSHIP_NAMES),
        branches=tuple(branches),
    )


# --- building (database) -------------------------------------------------------------------


@dataclass
class BuiltCounty:
    plan: CountyPlan
    county: County
    townships: dict[str, Township]  # by (suffixed) name
    branches: dict[tuple[str, str], Branch]  # by (township name, branch name)
    members: list[Member] = field(default_factory=list)  # in plan order, with pks

    @property
    def rural_member_count(self) -> int:
        return len(self.plan.rural_members)

    @property
    def community_member_count(self) -> int:
        return len(self.plan.community_members)

    def branch(self, name: str, township: str = "东村镇") -> Branch:
        """A branch of this county by its plain names: ``built.branch("东阳涧村")``."""
        return self.branches[(county_township_name(township, self.plan.county), name)]


@transaction.atomic
def build_county(plan: CountyPlan) -> BuiltCounty:
    """Write one planned county: townships, branches, members, roll periods, category changes.

    One transaction; ``bulk_create`` in batches of :data:`BATCH_SIZE`, using the returned pks.
    """
    # Every demo county is one of 吕梁市's, so the city's login has counties to compare.
    city, _ = City.objects.get_or_create(name=CITY_NAME)
    county = County.objects.create(
        name=county_township_name(COUNTY_NAME, plan.county), position=plan.county, city=city
    )
    townships = Township.objects.bulk_create(
        [Township(county=county, name=name, position=i) for i, name in enumerate(plan.townships, 1)]
    )
    by_name = {t.name: t for t in townships}
    branches = Branch.objects.bulk_create(
        [
            Branch(
                township=by_name[b.township],
                name=b.name,
                kind=b.kind,
                position=b.position,
                card_sequence=len(b.members),
            )
            for b in plan.branches
        ],
        batch_size=BATCH_SIZE,
    )

    rows: list[Member] = []
    planned: list[tuple[Branch, PlannedMember]] = []
    for branch, planned_branch in zip(branches, plan.branches, strict=True):
        for sequence, pm in enumerate(planned_branch.members, start=1):
            p = pm.person
            status, status_date = (pm.leave[0], pm.leave[1]) if pm.leave else ("active", None)
            rows.append(
                Member(
                    branch=branch,
                    name=p.name,
                    name_sort=pinyin_sort_key(p.name),
                    gender=p.gender,
                    id_number=p.id_number,
                    birth_date=p.birth_date,
                    phone=p.phone,
                    joined_party=p.joined_party,
                    status=status,
                    status_date=status_date,
                    card_number=format_card_number(branch_id=branch.pk, sequence=sequence),
                    has_plaque=p.has_plaque,
                )
            )
            planned.append((branch, pm))
    members = Member.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    periods: list[RollPeriod] = []
    changes: list[CategoryChange] = []
    for member, (branch, pm) in zip(members, planned, strict=True):
        periods.append(
            RollPeriod(
                member=member,
                branch=branch,
                start=pm.start,
                end=pm.end,
                start_reason=pm.start_reason,
                end_reason=pm.leave[2] if pm.leave else "",
            )
        )
        changes.extend(
            CategoryChange(member=member, category=category, effective_from=month, reason=reason)
            for month, category, reason in pm.categories
        )
    RollPeriod.objects.bulk_create(periods, batch_size=BATCH_SIZE)
    CategoryChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    # Written in bulk, not through members.services: tell the stored standings, as it would.
    if members:
        standings.roster_changed([m.pk for m in members], min(p.start for p in periods))
    return BuiltCounty(
        plan=plan,
        county=county,
        townships=by_name,
        branches={(b.township.name, b.name): b for b in branches},
        members=members,
    )


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str  # Official.Role value
    township: str = ""  # plain (county 1) township name, for the township role
    branch: tuple[str, str] | None = None  # (township, branch) for branch roles

    @property
    def place(self) -> str:
        if self.role == Official.Role.CITY:
            return f"{CITY_NAME}委组织部"
        return self.branch[1] if self.branch else self.township or "县委组织部"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("city", Official.Role.CITY),
    DemoUser("county", Official.Role.COUNTY),
    DemoUser("township", Official.Role.TOWNSHIP, township="东村镇"),
    DemoUser("secretary", Official.Role.SECRETARY, branch=("东村镇", "东阳涧村")),
    DemoUser("assessor", Official.Role.ASSESSOR, branch=("东村镇", "东阳涧村")),
    DemoUser("township2", Official.Role.TOWNSHIP, township="岚城镇"),
    DemoUser("secretary2", Official.Role.SECRETARY, branch=("东村镇", "官桥村")),
)


@transaction.atomic
def create_demo_users(
    built: BuiltCounty, *, password: str = DEMO_PASSWORD
) -> tuple[list[User], list[str]]:
    """The demo logins of :data:`DEMO_USERS`, scoped to places of ``built`` (county 1).

    The password is hashed once for all of them. A user name that already exists is left alone
    (its password is not changed). Returns (created users, skipped user names).
    """
    existing = set(
        User.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    hashed = make_password(password)
    created, skipped = [], []
    for demo in DEMO_USERS:
        if demo.username in existing:
            skipped.append(demo.username)
            continue
        is_county = demo.role == Official.Role.COUNTY
        user = User.objects.create(
            username=demo.username,
            password=hashed,
            first_name=demo.place,
            is_staff=is_county,
            is_superuser=is_county,
        )
        township = None
        if demo.township:
            township = built.townships[county_township_name(demo.township, built.plan.county)]
        branch = built.branch(demo.branch[1], demo.branch[0]) if demo.branch else None
        Official.objects.create(
            user=user,
            role=demo.role,
            city=built.county.city if demo.role == Official.Role.CITY else None,
            county=built.county if is_county else None,
            township=township,
            branch=branch,
        )
        created.append(user)
    return created, skipped


@dataclass
class SeedResult:
    counties: list[BuiltCounty]
    users: list[User]
    skipped_users: list[str]
    seconds: float

    @property
    def township_count(self) -> int:
        return sum(len(c.townships) for c in self.counties)

    @property
    def village_count(self) -> int:
        return sum(len(c.plan.villages) for c in self.counties)

    @property
    def community_count(self) -> int:
        return sum(len(c.plan.communities) for c in self.counties)

    @property
    def rural_member_count(self) -> int:
        return sum(c.rural_member_count for c in self.counties)

    @property
    def community_member_count(self) -> int:
        return sum(c.community_member_count for c in self.counties)


def next_free_county() -> int:
    """The first county number whose townships are not in the database yet."""
    names = set(Township.objects.values_list("name", flat=True))
    county = 1
    while county_township_name(TOWNSHIP_NAMES[0], county) in names:
        county += 1
    return county


def seed_demo(
    *,
    seed: int = DEFAULT_SEED,
    counties: int = 1,
    first_county: int = 1,
    today: datetime.date | None = None,
    year: int | None = None,
    rural_members: int = TOTAL_RURAL_MEMBERS,
    community_members: tuple[int, int] = COMMUNITY_MEMBERS,
    with_users: bool = True,
) -> SeedResult:
    """Build ``counties`` counties numbered from ``first_county``, one transaction each.

    The demo logins are created with county 1 (only if county 1 is among those built and
    ``with_users`` is true). ``today`` defaults to ``timezone.localdate()``.
    """
    if counties < 1:
        raise ValueError("counties must be at least 1")
    today = today or timezone.localdate()
    started = time.perf_counter()
    built: list[BuiltCounty] = []
    users: list[User] = []
    skipped: list[str] = []
    for county in range(first_county, first_county + counties):
        plan = plan_county(
            seed=seed,
            county=county,
            today=today,
            year=year,
            rural_members=rural_members,
            community_members=community_members,
        )
        with transaction.atomic():
            result = build_county(plan)
            if county == 1 and with_users:
                users, skipped = create_demo_users(result)
        built.append(result)
    return SeedResult(
        counties=built, users=users, skipped_users=skipped, seconds=time.perf_counter() - started
    )
