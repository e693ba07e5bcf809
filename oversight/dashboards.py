"""The township, county and city dashboards: progress, figures, the ledger by month, what
waits."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q

from evaluations.models import Appeal, Assessment, Objection
from members.models import City, County, Township
from oversight import clock
from oversight.figures import (
    Group,
    MemberPoints,
    _money,
    by_category,
    cells,
    cents_sum,
    member_points,
    merged,
    share,
)
from oversight.progress import BranchProgress, branch_progress
from oversight.rankings import HONOUR_COUNTY, HONOUR_TOWNSHIP, HonourRow, honour_roll
from oversight.scope import Scope
from rewards.statements import CountyActivity, activity_by_county
from scoring import engine
from scoring.models import PointsEntry

# --- Ledger figures ---------------------------------------------------------------------------


@dataclass
class MonthPoints:
    month: int
    bonus_c: int = 0
    deductions_c: int = 0
    corrections_c: int = 0
    bonus_count: int = 0
    deduction_count: int = 0
    correction_count: int = 0

    bonus = property(lambda self: _money(self.bonus_c))
    deductions = property(lambda self: _money(self.deductions_c))
    corrections = property(lambda self: _money(self.corrections_c))
    net = property(lambda self: _money(self.bonus_c + self.deductions_c + self.corrections_c))


@dataclass
class Ledger:
    """What the branches in scope recorded in the ledger, summed by month and by branch."""

    months: list[MonthPoints]
    # branch id -> kind (deduction / clearing) -> (count, cents)
    branches: dict[int, dict[str, tuple[int, int]]]


def ledger_in(scope: Scope, year: int, ref_month: int) -> Ledger:
    """Ledger entries recorded in scope up to the reference month, summed by branch and month
    with one query (one row per branch-month); by month for the chart, by branch for the counts
    of deductions and clearing items."""
    months = {m: MonthPoints(m) for m in range(1, ref_month + 1)}
    branches: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (
        branch_id,
        month,
        bonus,
        bonus_count,
        deductions,
        deduction_count,
        corrections,
        correction_count,
        clearing_count,
    ) in (
        PointsEntry.objects.filter(**scope.on(), year=year, month__lte=ref_month)
        .order_by()
        .values_list("branch_id", "month")
        .annotate(
            bonus=cents_sum(Q(kind=engine.BONUS)),
            bonus_count=Count("pk", filter=Q(kind=engine.BONUS)),
            deductions=cents_sum(Q(kind=engine.DEDUCTION)),
            deduction_count=Count("pk", filter=Q(kind=engine.DEDUCTION)),
            corrections=cents_sum(Q(kind=engine.CORRECTION)),
            correction_count=Count("pk", filter=Q(kind=engine.CORRECTION)),
            clearing_count=Count("pk", filter=Q(kind=engine.CLEARING)),
        )
    ):
        row = months[month]
        row.bonus_c += bonus or 0
        row.bonus_count += bonus_count
        row.deductions_c += deductions or 0
        row.deduction_count += deduction_count
        row.corrections_c += corrections or 0
        row.correction_count += correction_count
        total = branches[branch_id]
        total[0] += deduction_count
        total[1] += deductions or 0
        total[2] += clearing_count
    return Ledger(
        list(months.values()),
        {
            pk: {engine.DEDUCTION: (n, cents), engine.CLEARING: (clearing, 0)}
            for pk, (n, cents, clearing) in branches.items()
        },
    )


# --- What waits for the township ---------------------------------------------------------------


@dataclass
class Waiting:
    to_approve: int = 0  # assessments confirmed by the members' meeting, any year
    returned: int = 0
    appeals: int = 0
    objections: int = 0

    @property
    def total(self) -> int:
        return self.to_approve + self.appeals + self.objections


def waiting_by_township(scope: Scope) -> dict[int, Waiting]:
    """Per township: assessments to approve or sent back, open appeals, open objections.
    Three queries."""
    result: dict[int, Waiting] = defaultdict(Waiting)
    for township_id, status, count in (
        Assessment.objects.filter(
            **scope.on(),
            status__in=[Assessment.Status.CONFIRMED, Assessment.Status.RETURNED],
        )
        .order_by()
        .values_list("branch__township_id", "status")
        .annotate(n=Count("pk"))
    ):
        if status == Assessment.Status.CONFIRMED:
            result[township_id].to_approve = count
        else:
            result[township_id].returned = count
    for township_id, count in (
        Appeal.objects.filter(**scope.on(), status=Appeal.Status.OPEN)
        .order_by()
        .values_list("branch__township_id")
        .annotate(n=Count("pk"))
    ):
        result[township_id].appeals = count
    for township_id, count in (
        Objection.objects.filter(**scope.on("notice__branch"), status=Objection.Status.OPEN)
        .order_by()
        .values_list("notice__branch__township_id")
        .annotate(n=Count("pk"))
    ):
        result[township_id].objections = count
    return result


def open_objections(scope: Scope):
    return (
        Objection.objects.filter(**scope.on("notice__branch"), status=Objection.Status.OPEN)
        .select_related("notice__branch")
        .order_by("received_on", "pk")
    )


# --- The dashboards ---------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    year: int
    ref_month: int
    today: datetime.date
    branches: list[BranchProgress]
    members: list[MemberPoints]
    categories: list[Group]
    total: Group
    months: list[MonthPoints]
    waiting: Waiting
    townships: list[TownshipSummary] = field(default_factory=list)
    honour: list[HonourRow] = field(default_factory=list)
    honour_by_township: dict[int, list[HonourRow]] = field(default_factory=dict)

    @property
    def late_branches(self) -> list[BranchProgress]:
        return [b for b in self.branches if b.late]

    @property
    def months_closed(self) -> int:
        return sum(b.months_closed for b in self.branches)

    @property
    def months_due(self) -> int:
        return len(self.branches) * self.ref_month

    @property
    def quarters_approved(self) -> int:
        return sum(b.quarters_approved for b in self.branches)

    @property
    def quarters_due(self) -> int:
        return sum(b.quarters_due for b in self.branches)

    @property
    def waiting_declarations(self) -> int:
        return sum(b.waiting for b in self.branches)

    @property
    def any_projected(self) -> bool:
        return self.total.projected > 0

    @property
    def progress(self) -> dict:
        return share(self.months_closed, self.months_due)

    @property
    def quarter_progress(self) -> dict:
        return share(self.quarters_approved, self.quarters_due)


@dataclass
class TownshipSummary:
    pk: int
    name: str
    branches: list[BranchProgress]
    stats: Group
    categories: list[Group]
    waiting: Waiting
    dashboard_url: str = ""  # links, set by the view
    members_url: str = ""
    entries_url: str = ""

    @property
    def late(self) -> int:
        return sum(1 for b in self.branches if b.late)

    @property
    def months_closed(self) -> int:
        return sum(b.months_closed for b in self.branches)

    @property
    def months_due(self) -> int:
        return sum(len(b.months) for b in self.branches)

    @property
    def quarters_approved(self) -> int:
        return sum(b.quarters_approved for b in self.branches)

    @property
    def quarters_due(self) -> int:
        return sum(b.quarters_due for b in self.branches)

    @property
    def waiting_declarations(self) -> int:
        return sum(b.waiting for b in self.branches)

    @property
    def progress(self) -> dict:
        return share(self.months_closed, self.months_due)

    @property
    def quarter_progress(self) -> dict:
        return share(self.quarters_approved, self.quarters_due)


def _branch_stats(branches: list[BranchProgress], ledger: Ledger, groups: dict) -> None:
    """Each branch's Group: its members' cells merged, with the entries the branch recorded."""
    by_branch: dict[int, list[Group]] = defaultdict(list)
    for (branch_id, _), group in groups.items():
        by_branch[branch_id].append(group)
    for branch in branches:
        branch.stats = merged(branch.pk, branch.name, by_branch.get(branch.pk, ()))
        branch.stats.set_entries(ledger.branches.get(branch.pk, {}))


def township_dashboard(township: Township, year: int, on: datetime.date | None = None):
    """The township's year: branches × months, figures per branch and category, waiting items.

    A fixed number of queries (about 18) whatever the number of branches and members."""
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    scope = Scope(township=township)
    branches = branch_progress(scope, year, ref_month, on)
    counted = member_points(scope, year, ref_month)
    groups = cells(counted)
    recorded = ledger_in(scope, year, ref_month)
    _branch_stats(branches, recorded, groups)
    # The township's deductions: everything its branches recorded (also for members who left).
    total = merged(None, township.name, (b.stats for b in branches))
    return Dashboard(
        scope=scope,
        year=year,
        ref_month=ref_month,
        today=on,
        branches=branches,
        members=counted,
        categories=by_category(groups),
        total=total,
        months=recorded.months,
        waiting=waiting_by_township(scope).get(township.pk, Waiting()),
    )


def county_dashboard(county: County, year: int, on: datetime.date | None = None) -> Dashboard:
    """The county's year: townships, the branches most behind, grades, the 光荣榜.

    A fixed number of queries (about 19) whatever the number of townships, branches, members."""
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    scope = Scope(county=county)
    branches = branch_progress(scope, year, ref_month, on)
    counted = member_points(scope, year, ref_month)
    groups = cells(counted)
    recorded = ledger_in(scope, year, ref_month)
    _branch_stats(branches, recorded, groups)
    waiting = waiting_by_township(scope)
    branch_township = {b.pk: b.township_id for b in branches}
    residents: dict[int, list[MemberPoints]] = defaultdict(list)
    for member in counted:
        residents[branch_township[member.branch_id]].append(member)
    summaries = []
    for township in scope.townships().order_by("position", "name", "pk"):
        own = [b for b in branches if b.township_id == township.pk]  # late first already
        summaries.append(
            TownshipSummary(
                pk=township.pk,
                name=township.name,
                branches=own,
                stats=merged(township.pk, township.name, (b.stats for b in own)),
                categories=by_category(groups, {b.pk for b in own}),
                waiting=waiting.get(township.pk, Waiting()),
            )
        )
    county_waiting = _sum_waiting(waiting.values())
    return Dashboard(
        scope=scope,
        year=year,
        ref_month=ref_month,
        today=on,
        branches=branches,
        members=counted,
        categories=by_category(groups),
        total=merged(None, scope.name, (t.stats for t in summaries)),
        months=recorded.months,
        waiting=county_waiting,
        townships=summaries,
        honour=honour_roll(counted, HONOUR_COUNTY),
        honour_by_township={
            pk: honour_roll(group, HONOUR_TOWNSHIP) for pk, group in residents.items()
        },
    )


# --- The city ---------------------------------------------------------------------------------


@dataclass
class CountySummary(TownshipSummary):
    """A county as the city compares it: the same figures as a township row one level up."""

    rewards: CountyActivity = field(default_factory=CountyActivity)
    honour_url: str = ""  # links, set by the view

    @property
    def late_branches(self) -> list[BranchProgress]:
        return [b for b in self.branches if b.late]

    @property
    def townships(self) -> int:
        return len({b.township_id for b in self.branches})


@dataclass
class CityDashboard:
    scope: Scope
    year: int
    ref_month: int
    today: datetime.date
    counties: list[CountySummary]
    categories: list[Group]
    total: Group

    @property
    def branches(self) -> list[BranchProgress]:
        return [b for c in self.counties for b in c.branches]

    @property
    def late_branches(self) -> list[tuple[CountySummary, BranchProgress]]:
        """Every late branch with its county, most behind first (the order of BranchProgress)."""
        late = [(c, b) for c in self.counties for b in c.late_branches]
        return sorted(late, key=lambda pair: pair[1].order)

    @property
    def progress(self) -> dict:
        return share(
            sum(c.months_closed for c in self.counties), len(self.branches) * self.ref_month
        )

    @property
    def quarter_progress(self) -> dict:
        return share(
            sum(c.quarters_approved for c in self.counties),
            sum(c.quarters_due for c in self.counties),
        )

    @property
    def any_projected(self) -> bool:
        return self.total.projected > 0


def _sum_waiting(waiting: Iterable[Waiting]) -> Waiting:
    total = Waiting()
    for w in waiting:
        total.to_approve += w.to_approve
        total.returned += w.returned
        total.appeals += w.appeals
        total.objections += w.objections
    return total


def city_dashboard(city: City, year: int, on: datetime.date | None = None) -> CityDashboard:
    """The city's counties side by side: progress of the steps, grades by category, late
    branches, what waits, the shops and red funds.

    The same per-scope functions as the county dashboard, called once on the whole city and
    grouped by county, so every figure is the one the county's own dashboard shows, in a fixed
    number of queries whatever the number of counties."""
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    scope = Scope(city=city)
    counties = list(city.counties.order_by("position", "name", "pk"))
    township_county = dict(scope.townships().values_list("pk", "county_id"))
    branches = branch_progress(scope, year, ref_month, on)
    groups = cells(member_points(scope, year, ref_month))
    _branch_stats(branches, ledger_in(scope, year, ref_month), groups)
    waiting = waiting_by_township(scope)
    rewards = activity_by_county(counties, year)
    summaries = []
    for county in counties:
        own = [b for b in branches if township_county[b.township_id] == county.pk]
        summaries.append(
            CountySummary(
                pk=county.pk,
                name=county.name,
                branches=own,
                stats=merged(county.pk, county.name, (b.stats for b in own)),
                categories=by_category(groups, {b.pk for b in own}),
                waiting=_sum_waiting(
                    w for pk, w in waiting.items() if township_county.get(pk) == county.pk
                ),
                rewards=rewards.get(county.pk, CountyActivity()),
            )
        )
    return CityDashboard(
        scope=scope,
        year=year,
        ref_month=ref_month,
        today=on,
        counties=summaries,
        categories=by_category(groups),
        total=merged(None, city.name, (c.stats for c in summaries)),
    )
