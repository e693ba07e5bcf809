"""Members and their points so far, and groups of members (a branch, a category, a township).

Definitions (shown on the pages too, so that every number can be checked against its list):

* **The reference month** of a year is the current month for the current year and December for a
  past year (oversight.clock). "So far" means months 1 to the reference month.
* **A scope's members** are the members on a roll in scope in the reference month, counted in
  the branch of that roll and in the category held that month. The county and township overview
  pages count the same way.
* **A member's figures** come from the engine (scoring.engine.standing, the aggregate path whose
  equality with the detailed path of the points card and the assessment is a property in
  tests/test_engine.py): base shares of the months on any roll, each month with the version it
  is scored with (scoring.versions), plus the ledger entries so far. 本年累计 is the running
  total, as on the card and the quarterly notice; 预计年度积分 is the year if nothing else were
  recorded (the base shares to December, the entries so far, the appraisal; floored at 0; 0 if a
  clearing item is recorded); the year's grade uses the annual version's cut-offs.
* **Grade**: the confirmed annual grade (an annual assessment confirmed by the members' meeting
  or approved by the township) when there is one; otherwise the grade of 预计年度积分 (预计).
* **Deductions / clearing items** of a branch are the ledger entries the branch recorded in the
  year; by category, those recorded in scope for members counted in that category.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import F, IntegerField, Q, Sum
from django.db.models.functions import Cast, Round

from evaluations.models import Appraisal, Assessment, AssessmentLine
from members.models import Branch, RollPeriod
from oversight.scope import Scope, branches_in
from scoring import engine, versions
from scoring.models import MonthStanding
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
    # What the member is ranked and averaged by: 本年累计 (the running total, as on the points
    # card and the quarterly notice) while the year runs; the year's total (年度总积分) once it
    # is complete; the confirmed annual total when the members' meeting has confirmed one.
    total_c: int
    running_c: int  # 本年累计 through the reference month
    projected_c: int  # 预计年度积分: the year if nothing else were recorded
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
    running = property(lambda self: _money(self.running_c))
    projected = property(lambda self: _money(self.projected_c))

    @property
    def annual(self) -> Decimal:
        """年度总积分: the confirmed annual total, or else the projection (预计年度积分)."""
        return self.total if self.grade_confirmed else self.projected

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


def scoring_rules_for(year: int, *, county) -> engine.ScoringRules:
    """The county's rule set in force for the year (two queries), or the defaults if none is
    published."""
    return versions.scoring_rules(versions.in_force_id(year, county=county))


def _cents(value: Decimal | None) -> int:
    if value is None:
        return 0
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"积分须为两位小数：{value}")
    return int(cents)


def _decimal(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def cents_sum(condition: Q | None = None):
    """SUM of the points in integer cents: exact on SQLite too (no float sum of decimals)."""
    return Sum(Cast(Round(F("points") * 100), IntegerField()), filter=condition)


def population(scope: Scope, year: int, month: int):
    """Roll periods in scope that cover the month (a queryset; one row per member normally): the
    same "members on a roll this month" the county and township pages count."""
    return RollPeriod.objects.covering(datetime.date(year, month, 1)).filter(**scope.on())


def member_points(scope: Scope, year: int, ref_month: int) -> list[MemberPoints]:
    """Every member on a roll in scope in the reference month, with the year so far, its
    projection and the grade — read from the stored standings (scoring.standings: the engine's
    figures for each member and month, kept with the ledger), with the appraisal and the annual
    version's cut-offs beside them (scoring.engine.year_figures), so that a member's figures here
    are those of the points card and the assessment.

    A fixed number of queries whatever the scope's size: the branches in scope, the standings of
    the reference month with the members' names, appraisals, confirmed annual lines, the version
    in force, the annual versions and their rules.
    """
    branches = {branch.pk: branch for branch in branches_in(scope)}
    standings = MonthStanding.objects.filter(
        year=year, month=ref_month, branch_id__in=list(branches)
    )
    rows = list(
        standings.order_by().values_list(
            "member_id",
            "member__name",
            "member__name_sort",
            "member__card_number",
            "branch_id",
            "category",
            "bonus",
            "deductions",
            "corrections",
            "running",
            "cleared",
            "base_rest",
            "grade_category",
            "bonus_count",
            "deduction_count",
            "clearing_count",
        )
    )
    # The members as a subquery: thousands of ids as parameters cost more than the query.
    ids = standings.values("member_id")
    appraisals = dict(
        Appraisal.objects.filter(member_id__in=ids, year=year).values_list("member_id", "score")
    )
    counted = {row[0]: row[4] for row in rows}
    confirmed: dict[int, tuple] = {}
    for member_id, branch_id, total, grade, cleared in AssessmentLine.objects.filter(
        member_id__in=ids,
        assessment__year=year,
        assessment__period=Period.YEAR,
        assessment__status__in=CONFIRMED,
    ).values_list("member_id", "assessment__branch_id", "annual_total", "grade", "cleared"):
        # Each period's line belongs to one branch (evaluations.services.members_in_period).
        if member_id not in confirmed or counted.get(member_id) == branch_id:
            confirmed[member_id] = (total, grade, cleared)
    annual = versions.annual_versions(set(counted.values()), year)
    rules = versions.scoring_rules_of(annual.values())

    year_complete = ref_month == 12
    result = []
    for (
        member_id,
        name,
        name_sort,
        card,
        branch_id,
        category,
        bonus,
        deductions,
        corrections,
        running,
        cleared,
        base_rest,
        grade_category,
        bonus_count,
        deduction_count,
        clearing_count,
    ) in rows:
        appraisal = appraisals.get(member_id)
        year_figures = engine.year_figures(
            rules[annual[branch_id]],
            running=running,
            later=base_rest,
            cleared=cleared,
            appraisal=appraisal,
            grade_category=grade_category or None,
        )
        grade = year_figures.grade or ""
        total_c = engine.units_to_cents(year_figures.total if year_complete else running)
        line = confirmed.get(member_id)
        if line is not None:
            total_c, grade, cleared = _cents(_decimal(line[0])), line[1], line[2]
        result.append(
            MemberPoints(
                pk=member_id,
                name=name,
                name_sort=name_sort,
                card_number=card,
                branch_id=branch_id,
                branch=branches[branch_id],
                category=category or None,
                total_c=total_c,
                running_c=engine.units_to_cents(running),
                projected_c=engine.units_to_cents(year_figures.projected),
                # Entries have two decimals: a sum of them is a whole number of cents.
                bonus_c=bonus // CENT_UNITS,
                deductions_c=deductions // CENT_UNITS,
                corrections_c=corrections // CENT_UNITS,
                appraisal=appraisal,
                cleared=cleared,
                grade=grade,
                grade_confirmed=line is not None,
                bonus_count=bonus_count,
                deduction_count=deduction_count,
                deduction_sum_c=deductions // CENT_UNITS,
                clearing_count=clearing_count,
            )
        )
    result.sort(key=lambda m: (m.name_sort, m.pk))
    return result


CENT_UNITS = engine.UNITS_PER_POINT // 100


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
