"""Members and their points so far, and groups of members (a branch, a category, a township)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Cast, Round

from evaluations.models import Appraisal, Assessment, AssessmentLine
from members.models import Branch, CategoryChange, RollPeriod
from oversight.scope import Scope, branches_in
from scoring import engine
from scoring.models import PointsEntry, RuleSet
from scoring.periods import Period

GRADES = engine.GRADES
CATEGORIES = engine.CATEGORIES
CONFIRMED = (Assessment.Status.CONFIRMED, Assessment.Status.APPROVED)
CENT = Decimal("0.01")

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
