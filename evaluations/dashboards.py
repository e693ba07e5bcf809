"""The numbers behind the township and county dashboards, the rankings and the 光荣榜.

Plain functions returning dataclasses; the views only render them. Every function costs a fixed
number of queries whatever the number of townships, branches, members or ledger entries: rows are
aggregated in the database (``values().annotate()``) or read once as tuples, and grouped here.

Definitions (shown on the pages too, so that every number can be checked against its list):

* **The reference month** of a year is the current month for the current year and December for a
  past year. "So far" means months 1 to the reference month.
* **A branch's members** are the members on its roll in the reference month (in the current year:
  this month's roll). A member is counted in the category held in that month.
* **Points so far** of a member are computed as ``scoring.engine.year_result`` would compute them
  for months 1..reference month (base shares of the months on any roll, the ledger entries of those
  months, the democratic appraisal once entered, floored at 0, 0 if a clearing item is recorded);
  at year end this is the annual total. The arithmetic is done here in integer cents × 12 (the
  base share is base / 12), which is exact and fast enough for the whole county; the test suite
  checks it against ``scoring.engine``.
* **Grade**: the confirmed annual grade (an annual assessment confirmed by the members' meeting or
  approved by the township) when there is one; otherwise a projected grade (预计): the grade of
  the year's total if nothing else is recorded — base shares for every month on the roll up to
  December plus the entries recorded so far (and the appraisal once entered).
* **Deductions / clearing items** of a branch are the ledger entries the branch recorded in the
  year; by category, those recorded in scope for members counted in that category.
* **Late** (see ``branch_progress``): a past month still open 10 days into the next month; a
  quarter whose months were all closed more than 15 days ago and that the members' meeting has not
  confirmed; a quarter confirmed more than 15 days ago that the township has not approved; the
  same for the year once all four quarters are approved.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone

from evaluations.models import (
    Appeal,
    Appraisal,
    Assessment,
    AssessmentLine,
    Notice,
    Objection,
    Period,
)
from evaluations.services import QUARTER_PERIODS, period_months, public_order, rank_lines
from members.models import Branch, CategoryChange, County, RollPeriod, Township
from scoring import engine
from scoring.models import BranchMonth, Declaration, PointsEntry, RuleSet

PERIODS = [*QUARTER_PERIODS, Period.YEAR]
PERIOD_SHORT = {"Q1": "一季度", "Q2": "二季度", "Q3": "三季度", "Q4": "四季度", "Y": "年度"}
GRADES = engine.GRADES
CATEGORIES = engine.CATEGORIES
MONTH_GRACE_DAY = 10  # a month should be closed by the 10th of the following month
MEETING_DAYS = 15  # days for the members' meeting to confirm, and for the township to approve
CONFIRMED = (Assessment.Status.CONFIRMED, Assessment.Status.APPROVED)
HONOUR_COUNTY, HONOUR_TOWNSHIP = 20, 10
CENT = Decimal("0.01")
TIE_EXPLANATION = (
    "积分相同的党员名次相同，下一名次顺延（例如 1、2、2、4）；同分者按姓名拼音排列。"
    "积分被清零的党员不参加排名，列在最后。"
)


def today() -> datetime.date:
    """The dashboards' today (a function, so that tests can fix it)."""
    return timezone.localdate()


def reference_month(year: int, on: datetime.date) -> int:
    """The last month counted "so far": this month in the current year, December before."""
    if year > on.year:
        raise ValueError(f"{year}年尚未开始")
    return on.month if year == on.year else 12


# --- Scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One county, one township, or one branch — never "everything": a database may hold many
    counties (the province scale), and a county admin sees their own."""

    county: County | None = None
    township: Township | None = None
    branch: Branch | None = None

    def __post_init__(self):
        if self.county is None and self.township is None and self.branch is None:
            raise ValueError("a scope names a county, a township or a branch")

    def on(self, path: str = "branch") -> dict:
        """Filter keywords for a model reached through ``path`` (a Branch foreign key)."""
        if self.branch is not None:
            return {path: self.branch.pk}
        if self.township is not None:
            return {f"{path}__township": self.township.pk}
        return {f"{path}__township__county": self.county.pk}

    def branches(self):
        if self.branch is not None:
            return Branch.objects.filter(pk=self.branch.pk)
        if self.township is not None:
            return Branch.objects.filter(township=self.township)
        return Branch.objects.filter(township__county=self.county)

    def townships(self):
        if self.township is not None:
            return Township.objects.filter(pk=self.township.pk)
        if self.branch is not None:
            return Township.objects.filter(pk=self.branch.township_id)
        return Township.objects.filter(county=self.county)

    @property
    def name(self) -> str:
        if self.branch is not None:
            return self.branch.name
        if self.township is not None:
            return self.township.name
        return self.county.name


# --- Members and their points so far -----------------------------------------------------------


def _money(cents: int) -> Decimal:
    """Integer cents → Decimal with exactly 2 places (``8800`` → ``Decimal("88.00")``)."""
    return Decimal(cents).scaleb(-2)


@dataclass
class MemberPoints:
    """One member on a roll in the reference month, with the year's points so far.

    Amounts are kept in integer cents (``*_c``) — cheap to add up for 4,538 members — and read as
    Decimals through the properties of the same name."""

    pk: int
    name: str
    name_sort: str
    card_number: str
    branch_id: int
    category: str | None  # held in the reference month
    total_c: int  # points so far (the confirmed annual total when there is one)
    bonus_c: int
    deductions_c: int
    corrections_c: int
    appraisal: Decimal | None
    cleared: bool
    grade: str  # confirmed or projected; "" when never on a roll with a category
    grade_confirmed: bool
    bonus_count: int = 0
    # Ledger entries recorded in scope for this member (what the category counts are made of).
    deduction_count: int = 0
    deduction_sum_c: int = 0
    clearing_count: int = 0
    rank: int | None = None
    branch_rank: int | None = None
    branch: Branch | None = None  # with its township

    total = property(lambda self: _money(self.total_c))
    bonus = property(lambda self: _money(self.bonus_c))
    deductions = property(lambda self: _money(self.deductions_c))
    corrections = property(lambda self: _money(self.corrections_c))
    deduction_sum = property(lambda self: _money(self.deduction_sum_c))

    # What evaluations.services.rank_lines and public_order read.
    @property
    def member(self) -> MemberPoints:
        return self

    @property
    def cumulative(self) -> int:
        return self.total_c

    @property
    def grade_label(self) -> str:
        return engine.GRADE_LABELS.get(self.grade, "")


def scoring_rules_for(year: int) -> engine.ScoringRules:
    """The year's rule set in force (two queries), or the county defaults if none is published."""
    rule_set = RuleSet.in_force(year)
    return rule_set.scoring_rules() if rule_set else engine.default_rules()


def _cents(value: Decimal | None) -> int:
    if value is None:
        return 0
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"积分须为两位小数：{value}")
    return int(cents)


def _round12(twelfths_of_cents: int) -> int:
    """A non-negative amount in 1/12 cent → cents, rounded half-up (as scoring.engine rounds)."""
    return (2 * twelfths_of_cents + 12) // 24


def _decimal(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def cents_sum(condition: Q | None = None):
    """SUM of the points in integer cents: exact on SQLite too (no float sum of decimals)."""
    return Sum(Cast(Round(F("points") * 100), IntegerField()), filter=condition)


def population(scope: Scope, year: int, month: int):
    """Roll periods in scope that cover the month (a queryset; one row per member normally)."""
    first = datetime.date(year, month, 1)
    return RollPeriod.objects.filter(**scope.on(), start__lte=first).filter(
        Q(end__isnull=True) | Q(end__gte=first)
    )


def member_points(scope: Scope, year: int, ref_month: int) -> list[MemberPoints]:
    """Every member on a roll in scope in the reference month, with points so far and grade.

    Eight queries whatever the scope's size: the rule set (2), the branches in scope (1), the
    members' roll periods of the year (1), their category changes (1), ledger sums by member (1),
    appraisals (1), confirmed annual lines (1).
    """
    scoring_rules = scoring_rules_for(year)
    base = {c: _cents(scoring_rules.base_scores[c]) for c in CATEGORIES}
    cutoffs = {c: [_cents(v) for v in scoring_rules.cutoffs[c]] for c in CATEGORIES}
    branches = {branch.pk: branch for branch in branches_in(scope)}
    in_scope = set(branches)
    ids = population(scope, year, ref_month).values("member_id")
    mine = {"member_id__in": ids}
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 1)

    # Roll periods of the year, as month intervals; the period covering the reference month in
    # scope says where the member is counted.
    intervals: dict[int, list[tuple[int, int]]] = defaultdict(list)
    counted: dict[int, tuple] = {}
    for member_id, branch_id, start, end, name, name_sort, card in (
        RollPeriod.objects.filter(**mine, start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gte=first))
        .order_by("member_id", "start")
        .values_list(
            "member_id",
            "branch_id",
            "start",
            "end",
            "member__name",
            "member__name_sort",
            "member__card_number",
        )
    ):
        lo = 1 if start.year < year else start.month
        hi = 12 if end is None or end.year > year else end.month
        intervals[member_id].append((lo, hi))
        if lo <= ref_month <= hi and branch_id in in_scope:
            counted[member_id] = (branch_id, name, name_sort, card)  # the latest period wins

    # Categories: (first month, category) from each change, the later change winning a month.
    segments: dict[int, list[list]] = defaultdict(list)
    for member_id, effective_from, category in (
        CategoryChange.objects.filter(**mine, effective_from__lte=last)
        .order_by("member_id", "effective_from", "pk")
        .values_list("member_id", "effective_from", "category")
    ):
        month = 1 if effective_from.year < year else effective_from.month
        held = segments[member_id]
        if held and held[-1][0] == month:
            held[-1][1] = category
        else:
            held.append([month, category])

    # Ledger sums in cents, one row per member: entries in any branch, for the points; those
    # recorded in scope, for the counts of deductions and clearing items.
    here = {"branch_id__in": sorted(in_scope)}
    sums = {
        row[0]: row[1:]
        for row in PointsEntry.objects.filter(**mine, year=year, month__lte=ref_month)
        .order_by()
        .values_list("member_id")
        .annotate(
            bonus=cents_sum(Q(kind=engine.BONUS)),
            bonus_count=Count("pk", filter=Q(kind=engine.BONUS)),
            deductions=cents_sum(Q(kind=engine.DEDUCTION)),
            corrections=cents_sum(Q(kind=engine.CORRECTION)),
            cleared=Count("pk", filter=Q(kind=engine.CLEARING)),
            deduction_count=Count("pk", filter=Q(kind=engine.DEDUCTION, **here)),
            deduction_sum=cents_sum(Q(kind=engine.DEDUCTION, **here)),
            clearing_count=Count("pk", filter=Q(kind=engine.CLEARING, **here)),
        )
    }

    appraisals = {
        member_id: score
        for member_id, score in Appraisal.objects.filter(**mine, year=year).values_list(
            "member_id", "score"
        )
    }
    confirmed: dict[int, tuple] = {}
    for member_id, branch_id, total, grade, cleared in AssessmentLine.objects.filter(
        **mine,
        assessment__year=year,
        assessment__period=Period.YEAR,
        assessment__status__in=CONFIRMED,
    ).values_list("member_id", "assessment__branch_id", "annual_total", "grade", "cleared"):
        # A member assessed in two branches (moved in December): the line of their branch wins.
        if member_id not in confirmed or counted.get(member_id, (0,))[0] == branch_id:
            confirmed[member_id] = (total, grade, cleared)

    nothing = (0, 0, 0, 0, 0, 0, 0, 0)
    result = []
    for member_id, (branch_id, name, name_sort, card) in counted.items():
        held = segments.get(member_id, ())
        spans = [
            (month, (held[i + 1][0] - 1) if i + 1 < len(held) else 12, category)
            for i, (month, category) in enumerate(held)
        ]
        base_so_far = base_year = last_month = 0
        for lo, hi in _merge(intervals[member_id]):
            for f, t, category in spans:
                overlap = min(hi, t) - max(lo, f) + 1
                if overlap > 0:
                    base_year += overlap * base[category]
                    so_far = min(hi, t, ref_month) - max(lo, f) + 1
                    if so_far > 0:
                        base_so_far += so_far * base[category]
                    last_month = max(last_month, min(hi, t))
        (
            bonus,
            bonus_count,
            deductions,
            corrections,
            clearings,
            deduction_count,
            deduction_sum,
            clearing_count,
        ) = sums.get(member_id, nothing)
        bonus, deductions, corrections = bonus or 0, deductions or 0, corrections or 0
        cleared = clearings > 0
        appraisal = appraisals.get(member_id)
        parts = 12 * (bonus + deductions + corrections + _cents(appraisal))
        total = 0 if cleared else _round12(max(0, base_so_far + parts))
        grade = ""
        if last_month:
            projected = 0 if cleared else _round12(max(0, base_year + parts))
            grade = _grade(cutoffs[_held_in(spans, last_month)], projected, cleared)
        line = confirmed.get(member_id)
        if line is not None:
            total, grade, cleared = _cents(_decimal(line[0])), line[1], line[2]
        result.append(
            MemberPoints(
                pk=member_id,
                name=name,
                name_sort=name_sort,
                card_number=card,
                branch_id=branch_id,
                branch=branches[branch_id],
                category=_held_in(spans, ref_month),
                total_c=total,
                bonus_c=bonus,
                deductions_c=deductions,
                corrections_c=corrections,
                appraisal=appraisal,
                cleared=cleared,
                grade=grade,
                grade_confirmed=line is not None,
                bonus_count=bonus_count,
                deduction_count=deduction_count,
                deduction_sum_c=deduction_sum or 0,
                clearing_count=clearing_count,
            )
        )
    result.sort(key=lambda m: (m.name_sort, m.pk))
    return result


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Month intervals merged, so that a month on two rolls counts once (as in scoring.ledger)."""
    if len(intervals) == 1:
        return intervals
    merged: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _held_in(spans: list[tuple[int, int, str]], month: int) -> str | None:
    for f, t, category in spans:
        if f <= month <= t:
            return category
    return None


def _grade(cutoffs: Sequence[int], total_cents: int, cleared: bool) -> str:
    """``engine.grade_for`` on a total in cents (cut-offs in cents)."""
    excellent, qualified, basic = cutoffs
    if cleared:
        return engine.UNQUALIFIED
    if total_cents >= excellent:
        return engine.EXCELLENT
    if total_cents >= qualified:
        return engine.QUALIFIED
    if total_cents >= basic:
        return engine.BASIC
    return engine.UNQUALIFIED


# --- Groups of members: a branch, a category, a township ---------------------------------------


@dataclass
class Group:
    key: object
    label: str
    members: int = 0
    points_c: int = 0
    grades: dict = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    no_grade: int = 0
    projected: int = 0  # members whose grade is projected (预计), not confirmed
    deduction_count: int = 0
    deduction_sum_c: int = 0
    clearing_count: int = 0

    deduction_sum = property(lambda self: _money(self.deduction_sum_c))

    def add(self, member: MemberPoints) -> None:
        self.members += 1
        self.points_c += member.total_c
        if member.grade:
            self.grades[member.grade] += 1
        else:
            self.no_grade += 1
        if not member.grade_confirmed:
            self.projected += 1
        self.deduction_count += member.deduction_count
        self.deduction_sum_c += member.deduction_sum_c
        self.clearing_count += member.clearing_count

    def merge(self, other: Group) -> Group:
        self.members += other.members
        self.points_c += other.points_c
        for grade in GRADES:
            self.grades[grade] += other.grades[grade]
        self.no_grade += other.no_grade
        self.projected += other.projected
        self.deduction_count += other.deduction_count
        self.deduction_sum_c += other.deduction_sum_c
        self.clearing_count += other.clearing_count
        return self

    def set_entries(self, entries: dict[str, tuple[int, int]]) -> None:
        """Deductions and clearing items as recorded by the branches (also for members who have
        left since), instead of those of the members counted."""
        self.deduction_count, self.deduction_sum_c = entries.get(engine.DEDUCTION, (0, 0))
        self.clearing_count = entries.get(engine.CLEARING, (0, 0))[0]

    @property
    def average(self) -> Decimal | None:
        if not self.members:
            return None
        return engine.round_points(Fraction(self.points_c, 100 * self.members))

    @property
    def grade_rows(self) -> list[tuple[str, str, int]]:
        return [(g, engine.GRADE_LABELS[g], self.grades[g]) for g in GRADES]

    @property
    def all_projected(self) -> bool:
        return self.members > 0 and self.projected == self.members

    @property
    def grade_bar(self) -> list[dict]:
        """The grade counts as segments of a 100-wide bar (x, width), for a stacked bar chart."""
        graded = sum(self.grades.values())
        segments, x = [], Decimal(0)
        for grade, label, count in self.grade_rows:
            width = Decimal(100 * count) / graded if graded else Decimal(0)
            if count:
                segments.append(
                    {
                        "grade": grade,
                        "label": label,
                        "count": count,
                        "x": _svg(x),
                        "width": _svg(width),
                        "share": engine.round_points(width, 1),
                    }
                )
            x += width
        return segments


def cells(members: Iterable[MemberPoints]) -> dict[tuple[int, str | None], Group]:
    """Members grouped by (branch, category): each member is added once; every other grouping
    is a merge of these cells."""
    result: dict[tuple[int, str | None], Group] = {}
    for member in members:
        key = (member.branch_id, member.category)
        group = result.get(key)
        if group is None:
            group = result[key] = Group(key, "")
        group.add(member)
    return result


def merged(key, label: str, groups: Iterable[Group]) -> Group:
    total = Group(key, label)
    for group in groups:
        total.merge(group)
    return total


def by_category(groups: dict[tuple[int, str | None], Group], branch_ids=None) -> list[Group]:
    """The four categories, from the (branch, category) cells of ``branch_ids`` (all if None)."""
    return [
        merged(
            c,
            f"{c}类",
            (
                g
                for (branch_id, category), g in groups.items()
                if category == c and (branch_ids is None or branch_id in branch_ids)
            ),
        )
        for c in CATEGORIES
    ]


def total_group(members: Iterable[MemberPoints], label: str = "合计") -> Group:
    group = Group(None, label)
    for member in members:
        group.add(member)
    return group


def _svg(value: Decimal) -> str:
    """A coordinate for an SVG attribute: plain decimal, at most 2 places."""
    return f"{Decimal(value).quantize(CENT):f}"


def share(done: int, due: int) -> dict:
    """``done`` of ``due`` as a percentage and a bar width (0..100), for progress bars."""
    percent = Decimal(100 * done) / due if due else Decimal(0)
    return {
        "done": done,
        "due": due,
        "percent": engine.round_points(percent, 0),
        "width": _svg(min(percent, Decimal(100))),
    }


# --- Month and quarter progress ---------------------------------------------------------------

MONTH_LABELS = {
    "missing": "未开始",
    "declaring": "申报审议中",
    "reviewed": "已审议，待结账",
    "closed": "已结账",
}
SHORT_MONTH = {"missing": "—", "declaring": "审议中", "reviewed": "待结账", "closed": "✓"}
ASSESSMENT_LABELS = {
    Assessment.Status.OPEN: "待党员大会评定",
    Assessment.Status.CONFIRMED: "已评定，待乡镇审核",
    Assessment.Status.RETURNED: "乡镇退回修改",
    Assessment.Status.APPROVED: "乡镇已审核",
}
SHORT_ASSESSMENT = {
    Assessment.Status.OPEN: "待评定",
    Assessment.Status.CONFIRMED: "待审核",
    Assessment.Status.RETURNED: "退回",
    Assessment.Status.APPROVED: "已审核",
}
SHORT_NOTICE = {
    Notice.Status.DRAFT: "公示草稿",
    Notice.Status.APPROVED: "待公示",
    Notice.Status.PUBLISHED: "公示中",
    Notice.Status.ARCHIVED: "已存档",
}
NOTICE_LABELS = {
    Notice.Status.DRAFT: "公示草稿",
    Notice.Status.APPROVED: "公示已审定",
    Notice.Status.PUBLISHED: "公示中",
    Notice.Status.ARCHIVED: "已存档",
}


@dataclass
class MonthCell:
    month: int
    state: str  # missing / declaring / reviewed / closed
    waiting: int = 0  # declarations waiting for the branch committee
    late: bool = False
    url: str = ""  # set by the view

    @property
    def label(self) -> str:
        text = MONTH_LABELS[self.state]
        if self.waiting:
            text += f"（{self.waiting} 条申报待审议）"
        return text + ("，已逾期" if self.late else "")

    @property
    def short(self) -> str:
        return SHORT_MONTH[self.state]


@dataclass
class PeriodCell:
    period: str
    started: bool  # its first month has come
    months_closed: bool
    status: str = ""  # the assessment's status, "" when none
    notice_status: str = ""
    assessment_id: int | None = None
    notice_id: int | None = None
    late: bool = False
    url: str = ""  # set by the view

    @property
    def state(self) -> str:
        """One word for the cell's colour and the export."""
        if self.notice_status:
            return self.notice_status
        return self.status or ("due" if self.months_closed else "none")

    @property
    def label(self) -> str:
        if self.notice_status:
            return NOTICE_LABELS[self.notice_status]
        if self.status:
            return ASSESSMENT_LABELS[self.status]
        if self.months_closed:
            return "各月已结账，待开始评定"
        return "尚未开始" if self.started else "未到期"

    @property
    def short(self) -> str:
        """The grid's one-word version of ``label``."""
        if self.notice_status:
            return SHORT_NOTICE[self.notice_status]
        if self.status:
            return SHORT_ASSESSMENT[self.status]
        if self.months_closed:
            return "可评定"
        return "进行中" if self.started else "—"

    @property
    def approved(self) -> bool:
        return self.status == Assessment.Status.APPROVED

    @property
    def title(self) -> str:
        return Period(self.period).label


@dataclass
class BranchProgress:
    pk: int
    name: str
    kind: str
    position: int
    township_id: int
    township_name: str
    township_position: int
    months: list[MonthCell]
    periods: list[PeriodCell]
    late_reasons: list[str] = field(default_factory=list)
    stats: Group | None = None

    @property
    def late(self) -> bool:
        return bool(self.late_reasons)

    @property
    def months_closed(self) -> int:
        return sum(1 for cell in self.months if cell.state == "closed")

    @property
    def waiting(self) -> int:
        return sum(cell.waiting for cell in self.months)

    @property
    def quarters_due(self) -> int:
        return sum(1 for p in self.periods if p.period != Period.YEAR and p.months_closed)

    @property
    def quarters_approved(self) -> int:
        return sum(1 for p in self.periods if p.period != Period.YEAR and p.approved)

    @property
    def progress(self) -> dict:
        return share(self.months_closed, len(self.months))

    @property
    def behind(self) -> int:
        """How far behind: late months and late periods counted."""
        return sum(cell.late for cell in self.months) + sum(p.late for p in self.periods)

    @property
    def order(self) -> tuple:
        return (not self.late, -self.behind, self.township_position, self.position, self.name)


def branches_in(scope: Scope):
    return (
        scope.branches()
        .select_related("township")
        .order_by("township__position", "township__name", "position", "name", "pk")
    )


def branch_progress(
    scope: Scope, year: int, ref_month: int, on: datetime.date
) -> list[BranchProgress]:
    """Every branch in scope with its months 1..reference month and its four quarters and year.

    Four queries: branches, branch months, waiting declarations, assessments with their notice.
    Late branches first (most behind first), then in the organisation's order."""
    branches = list(branches_in(scope))
    month_rows = BranchMonth.objects.filter(**scope.on(), year=year).values_list(
        "branch_id", "month", "status", "closed_at"
    )
    months: dict[tuple[int, int], tuple[str, datetime.datetime | None]] = {
        (b, m): (status, closed_at) for b, m, status, closed_at in month_rows
    }
    waiting = {
        (b, m): n
        for b, m, n in Declaration.objects.filter(
            **scope.on(), year=year, status=Declaration.Status.SUBMITTED
        )
        .order_by()
        .values_list("branch_id", "month")
        .annotate(n=Count("pk"))
    }
    assessments = {
        (row["branch_id"], row["period"]): row
        for row in Assessment.objects.filter(**scope.on(), year=year).values(
            "pk",
            "branch_id",
            "period",
            "status",
            "confirmed_at",
            "approved_at",
            "notice__pk",
            "notice__status",
        )
    }
    past = range(1, ref_month) if year == on.year else range(1, 13)
    result = []
    for branch in branches:
        cells = []
        reasons = []
        for month in range(1, ref_month + 1):
            status, _ = months.get((branch.pk, month), ("", None))
            count = waiting.get((branch.pk, month), 0)
            if status == BranchMonth.Status.CLOSED:
                state = "closed"
            elif not status:
                state = "missing"
            else:
                state = "declaring" if count else "reviewed"
            late = state != "closed" and month in past and on > _grace_end(year, month)
            if late:
                reasons.append(f"{month}月未结账")
            cells.append(MonthCell(month, state, count, late))
        periods = []
        approvals: list[datetime.datetime] = []
        for period in PERIODS:
            wanted = period_months(period)
            closings = [months.get((branch.pk, m), ("", None)) for m in wanted]
            all_closed = all(s == BranchMonth.Status.CLOSED for s, _ in closings)
            row = assessments.get((branch.pk, period))
            cell = PeriodCell(
                period=period,
                started=wanted[0] <= ref_month,
                months_closed=all_closed,
                status=row["status"] if row else "",
                notice_status=(row["notice__status"] or "") if row else "",
                assessment_id=row["pk"] if row else None,
                notice_id=row["notice__pk"] if row else None,
            )
            ready_since = None
            if all_closed:
                ready_since = max((_local(c) for _, c in closings if c), default=None)
            if period == Period.YEAR:
                # The year waits for the four quarters' approval, too.
                if len(approvals) < 4:
                    ready_since = None
                elif ready_since is not None:
                    ready_since = max(ready_since, *approvals)
            label = PERIOD_SHORT[period]
            status = cell.status
            if status not in CONFIRMED and ready_since is not None:
                days = (on - ready_since).days
                if days > MEETING_DAYS:
                    cell.late = True
                    reasons.append(f"{label}待党员大会评定（已 {days} 天）")
            elif status == Assessment.Status.CONFIRMED and row["confirmed_at"]:
                days = (on - _local(row["confirmed_at"])).days
                if days > MEETING_DAYS:
                    cell.late = True
                    reasons.append(f"{label}待乡镇审核（已 {days} 天）")
            if period != Period.YEAR and status == Assessment.Status.APPROVED:
                approvals.append(_local(row["approved_at"]) if row["approved_at"] else on)
            periods.append(cell)
        result.append(
            BranchProgress(
                pk=branch.pk,
                name=branch.name,
                kind=branch.kind,
                position=branch.position,
                township_id=branch.township_id,
                township_name=branch.township.name,
                township_position=branch.township.position,
                months=cells,
                periods=periods,
                late_reasons=reasons,
            )
        )
    result.sort(key=lambda b: b.order)
    return result


def _grace_end(year: int, month: int) -> datetime.date:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following.replace(day=MONTH_GRACE_DAY)


def _local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


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
    on = on or today()
    ref_month = reference_month(year, on)
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
    on = on or today()
    ref_month = reference_month(year, on)
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
    county_waiting = Waiting(
        to_approve=sum(w.to_approve for w in waiting.values()),
        returned=sum(w.returned for w in waiting.values()),
        appeals=sum(w.appeals for w in waiting.values()),
        objections=sum(w.objections for w in waiting.values()),
    )
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


# --- Rankings and the 光荣榜 --------------------------------------------------------------------


@dataclass
class Ranking:
    scope: Scope
    year: int
    ref_month: int
    rows: list[MemberPoints]  # in public order: by rank, ties by pinyin; cleared last

    @property
    def confirmed(self) -> bool:
        """Every total is a confirmed annual total."""
        return bool(self.rows) and all(row.grade_confirmed for row in self.rows)

    @property
    def ties(self) -> list[tuple[int, list[MemberPoints]]]:
        """Shared ranks: (rank, members) for each rank held by more than one member."""
        groups: dict[int, list[MemberPoints]] = defaultdict(list)
        for row in self.rows:
            if row.rank is not None:
                groups[row.rank].append(row)
        return [(rank, rows) for rank, rows in groups.items() if len(rows) > 1]

    @property
    def cleared(self) -> list[MemberPoints]:
        return [row for row in self.rows if row.rank is None]


def rank(members: list[MemberPoints]) -> list[MemberPoints]:
    """Rank with evaluations.services.rank_lines (1, 2, 2, 4; cleared unranked) and put the
    rows in the notice's order (services.public_order)."""
    rank_lines(members, annual=False)
    return public_order(members)


def branch_ranking(branch: Branch, year: int, on: datetime.date | None = None) -> Ranking:
    on = on or today()
    ref_month = reference_month(year, on)
    scope = Scope(branch=branch)
    members = member_points(scope, year, ref_month)
    rows = rank(members)
    return Ranking(scope, year, ref_month, rows)


def township_ranking(township: Township, year: int, on: datetime.date | None = None) -> Ranking:
    """Township-wide ranking; each row also carries its rank within its branch."""
    on = on or today()
    ref_month = reference_month(year, on)
    scope = Scope(township=township)
    members = member_points(scope, year, ref_month)
    by_branch: dict[int, list[MemberPoints]] = defaultdict(list)
    for member in members:
        by_branch[member.branch_id].append(member)
    for group in by_branch.values():
        rank_lines(group, annual=False)
        for member in group:
            member.branch_rank = member.rank
    rows = rank(members)
    return Ranking(scope, year, ref_month, rows)


@dataclass
class HonourRow:
    """A member on the 光荣榜, ranked by the year's contribution bonus (贡献加分)."""

    member: MemberPoints
    rank: int | None = None

    # What evaluations.services.rank_lines reads.
    @property
    def cumulative(self) -> int:
        return self.member.bonus_c

    @property
    def cleared(self) -> bool:
        return self.member.cleared


def honour_roll(members: Iterable[MemberPoints], size: int) -> list[HonourRow]:
    """The members with the most contribution points this year, best first (ties share a rank and
    are listed by pinyin). Members whose points were cleared, and members without any
    contribution, are not listed. Members tied with the last place are all listed, so there may
    be a few more than ``size``."""
    rows = [HonourRow(m) for m in members if m.bonus_c > 0 and not m.cleared]
    rank_lines(rows, annual=False)
    rows.sort(key=lambda r: (r.rank, r.member.name_sort, r.member.pk))
    return [row for row in rows if row.rank <= size]


@dataclass
class Honour:
    scope: Scope
    year: int
    ref_month: int
    rows: list[HonourRow]
    by_township: list[tuple[Township, list[HonourRow]]] = field(default_factory=list)


def honour(scope: Scope, year: int, on: datetime.date | None = None) -> Honour:
    """The 光荣榜: the county's top 20 and each township's top 10, or one township's top 10."""
    on = on or today()
    ref_month = reference_month(year, on)
    members = member_points(scope, year, ref_month)
    if scope.township is not None:
        return Honour(scope, year, ref_month, honour_roll(members, HONOUR_TOWNSHIP))
    residents: dict[int, list[MemberPoints]] = defaultdict(list)
    for member in members:
        residents[member.branch.township_id].append(member)
    townships = scope.townships().order_by("position", "name", "pk")
    return Honour(
        scope,
        year,
        ref_month,
        honour_roll(members, HONOUR_COUNTY),
        [(t, honour_roll(residents.get(t.pk, ()), HONOUR_TOWNSHIP)) for t in townships],
    )


# --- The lists behind the numbers -------------------------------------------------------------

ENTRY_KINDS = dict(PointsEntry.Kind.choices)


def entries_list(
    scope: Scope,
    *,
    year: int,
    ref_month: int,
    branch: int | None = None,
    kind: str = "",
    month: int | None = None,
    category: str = "",
    member: int | None = None,
):
    """Ledger entries recorded in scope, filtered. ``category``: entries of the members counted in
    that category on the dashboard (on a roll in scope in the reference month, holding the
    category then)."""
    entries = PointsEntry.objects.filter(**scope.on(), year=year, month__lte=ref_month)
    if branch:
        entries = entries.filter(branch_id=branch)
    if kind:
        entries = entries.filter(kind=kind)
    if month:
        entries = entries.filter(month=month)
    if member:
        entries = entries.filter(member_id=member)
    if category:
        entries = entries.filter(
            member_id__in=category_member_ids(scope, year, ref_month, category)
        )
    return entries.select_related("member", "branch__township", "item").order_by(
        "month", "branch__township__position", "branch__position", "member__name_sort", "pk"
    )


def category_member_ids(scope: Scope, year: int, ref_month: int, category: str):
    """Members on a roll in scope in the reference month holding ``category`` that month, as a
    subquery (the same members ``member_points`` counts in that category)."""
    following = datetime.date(year + ref_month // 12, ref_month % 12 + 1, 1)
    held = CategoryChange.objects.filter(
        member=OuterRef("member_id"), effective_from__lt=following
    ).order_by("-effective_from")
    return (
        population(scope, year, ref_month)
        .annotate(held=Subquery(held.values("category")[:1]))
        .filter(held=category)
        .values("member_id")
    )


def members_list(
    scope: Scope,
    *,
    year: int,
    ref_month: int,
    branch: int | None = None,
    category: str = "",
    grade: str = "",
    flag: str = "",
) -> list[MemberPoints]:
    """The dashboard's members, filtered: the list behind members, averages and grade counts.

    ``flag``: "deducted" (deductions recorded in scope), "cleared", "projected" (grade not yet
    confirmed)."""
    members = member_points(scope, year, ref_month)
    if branch:
        members = [m for m in members if m.branch_id == branch]
    if category:
        members = [m for m in members if m.category == category]
    if grade:
        members = [m for m in members if m.grade == grade]
    if flag == "deducted":
        members = [m for m in members if m.deduction_count]
    elif flag == "cleared":
        members = [m for m in members if m.cleared]
    elif flag == "projected":
        members = [m for m in members if not m.grade_confirmed]
    return members
