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

from django.db.models import Count, F, IntegerField, Q, Sum
from django.db.models.functions import Cast, Round

from evaluations.models import Appraisal, Assessment, AssessmentLine
from members.models import Branch, Member, RollPeriod
from oversight.scope import Scope, branches_in
from scoring import engine, ledger, versions
from scoring.models import PointsEntry
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
    projection and the grade — from the engine's aggregate path (scoring.engine.standing), which
    gives what a points card or an assessment gives for the same member and months.

    A fixed number of queries whatever the scope's size: the branches in scope, the members, their
    roll periods and category changes, the months' versions and base scores, the versions in force,
    ledger sums by member, appraisals, confirmed annual lines, the annual versions and their rules.
    """
    branches = {branch.pk: branch for branch in branches_in(scope)}
    in_scope = set(branches)
    ids = list(population(scope, year, ref_month).values_list("member_id", flat=True).distinct())
    people = {
        pk: (name, name_sort, card)
        for pk, name, name_sort, card in Member.objects.filter(pk__in=ids).values_list(
            "pk", "name", "name_sort", "card_number"
        )
    }
    rolls = ledger.roll_branches(ids, year)
    categories = ledger.categories_by_month(ids, year)
    # branch → its county's version in force: one query for every county in scope.
    in_force = versions.in_force_by_branch({b for by in rolls.values() for b in by.values()}, year)
    bases = ledger.month_bases(rolls, categories, year, in_force=in_force)

    # Ledger sums so far, one row per member: entries in any branch, for the points; those
    # recorded in scope, for the counts of deductions and clearing items.
    here = {"branch_id__in": sorted(in_scope)}
    sums = {
        row[0]: row[1:]
        for row in PointsEntry.objects.filter(member_id__in=ids, year=year, month__lte=ref_month)
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
    appraisals = dict(
        Appraisal.objects.filter(member_id__in=ids, year=year).values_list("member_id", "score")
    )
    counted = {
        pk: by_month[ref_month]
        for pk, by_month in rolls.items()
        if by_month.get(ref_month) in in_scope and pk in people
    }
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
    annual = versions.annual_versions(set(counted.values()), year, in_force=in_force)
    rules = {pk: versions.scoring_rules(pk) for pk in set(annual.values())}

    nothing = (0, 0, 0, 0, 0, 0, 0, 0)
    year_complete = ref_month == 12
    result = []
    for member_id, branch_id in counted.items():
        name, name_sort, card = people[member_id]
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
        held = {m: c for m, c in categories.get(member_id, {}).items() if m in bases[member_id]}
        months = {
            m: engine.MonthUnits(base=engine.base_units(base))
            for m, base in bases[member_id].items()
        }
        # The entries so far, summed by the database, go into the reference month: the fold only
        # adds the months up, and every entry so far is in a month up to it.
        base = months.get(ref_month, engine.MonthUnits()).base
        months[ref_month] = engine.MonthUnits(
            base=base,
            bonus=12 * (bonus or 0),
            deductions=12 * (deductions or 0),
            corrections=12 * (corrections or 0),
            cleared=clearings > 0,
        )
        standing = engine.standing(
            rules[annual[branch_id]],
            months,
            held,
            upto=ref_month,
            appraisal=appraisals.get(member_id),
        )
        grade = standing.grade or ""
        total = standing.total if year_complete else standing.running
        cleared = standing.cleared
        line = confirmed.get(member_id)
        if line is not None:
            total, grade, cleared = _decimal(line[0]), line[1], line[2]
        result.append(
            MemberPoints(
                pk=member_id,
                name=name,
                name_sort=name_sort,
                card_number=card,
                branch_id=branch_id,
                branch=branches[branch_id],
                category=categories.get(member_id, {}).get(ref_month),
                total_c=_cents(total),
                running_c=_cents(standing.running),
                projected_c=_cents(standing.projected),
                bonus_c=bonus or 0,
                deductions_c=deductions or 0,
                corrections_c=corrections or 0,
                appraisal=appraisals.get(member_id),
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
