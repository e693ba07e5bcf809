"""Read the ledger and the roster history into the plain data `scoring.engine` computes with.

Every function here costs a fixed number of queries whatever the number of members: roll
periods, category changes, ledger entries, and the versions the months are scored with
(scoring.versions).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q

from members.models import CategoryChange, RollPeriod
from scoring import engine, versions
from scoring.models import PointsEntry


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def roll_months(member_ids: Iterable[int], year: int, *, branch=None) -> dict[int, set[int]]:
    """Months (1..12) of `year` in which each member is on a roll (of `branch`, if given)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 1)
    periods = RollPeriod.objects.filter(member_id__in=member_ids, start__lte=last).filter(
        Q(end__isnull=True) | Q(end__gte=first)
    )
    if branch is not None:
        periods = periods.filter(branch=branch)
    months: dict[int, set[int]] = defaultdict(set)
    for member_id, start, end in periods.values_list("member_id", "start", "end"):
        lo = max(_month_index(start), year * 12)
        hi = min(_month_index(end) if end else year * 12 + 11, year * 12 + 11)
        months[member_id].update(index - year * 12 + 1 for index in range(lo, hi + 1))
    return months


def roll_branches(member_ids: Iterable[int], year: int) -> dict[int, dict[int, int]]:
    """For each member, month → the branch whose roll holds them that month (any branch).

    Roll periods of one member do not overlap (a transfer closes one before the next starts);
    were they to, the later period would win, as everywhere else."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 1)
    periods = (
        RollPeriod.objects.filter(member_id__in=member_ids, start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gte=first))
        .order_by("member_id", "start", "pk")
        .values_list("member_id", "branch_id", "start", "end")
    )
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for member_id, branch_id, start, end in periods:
        lo = max(_month_index(start), year * 12)
        hi = min(_month_index(end) if end else year * 12 + 11, year * 12 + 11)
        for index in range(lo, hi + 1):
            result[member_id][index - year * 12 + 1] = branch_id
    return result


def categories_by_month(member_ids: Iterable[int], year: int) -> dict[int, dict[int, str]]:
    """For each member, month → category held that month (months before any record absent)."""
    changes = (
        CategoryChange.objects.filter(
            member_id__in=member_ids, effective_from__lte=datetime.date(year, 12, 1)
        )
        .order_by("member_id", "effective_from")
        .values_list("member_id", "effective_from", "category")
    )
    result: dict[int, dict[int, str]] = defaultdict(dict)
    for member_id, effective_from, category in changes:
        start = 1 if effective_from.year < year else effective_from.month
        for month in range(start, 13):
            result[member_id][month] = category
    return result


def entries_for(member_ids: Iterable[int], year: int) -> dict[int, list[engine.Entry]]:
    rows = PointsEntry.objects.filter(member_id__in=member_ids, year=year).values_list(
        "member_id", "month", "kind", "points"
    )
    result: dict[int, list[engine.Entry]] = defaultdict(list)
    for member_id, month, kind, points in rows:
        result[member_id].append(engine.Entry(month=month, kind=kind, points=points))
    return result


def month_bases(
    rolls: dict[int, dict[int, int]],
    categories: dict[int, dict[int, str]],
    year: int,
    *,
    in_force=versions.UNKNOWN,
) -> dict[int, dict[int, Decimal]]:
    """member → month → the year's base score of the category held, under the version that
    month is scored with (the roll branch's month; if not opened yet, the version in force in the
    branch's county). ``in_force``: branch → that version, for the branches the caller knows it
    for. Three queries whatever the number of members, branches and counties."""
    branch_ids = {b for months in rolls.values() for b in months.values()}
    stored = versions.month_versions(branch_ids, year)
    unopened = {
        branch_id
        for months in rolls.values()
        for month, branch_id in months.items()
        if (branch_id, month) not in stored
    }
    in_force = versions.fill_in_force(in_force, unopened, year) if unopened else {}
    needed = set(stored.values()) | {v for v in in_force.values() if v}
    scores = versions.base_scores(needed)
    result: dict[int, dict[int, Decimal]] = {}
    for member_id, months in rolls.items():
        held = categories.get(member_id, {})
        bases = {}
        for month, branch_id in months.items():
            category = held.get(month)
            version = stored.get((branch_id, month), in_force.get(branch_id))
            if category is None or version is None:
                continue
            bases[month] = scores[version][category]
        result[member_id] = bases
    return result


def member_years(
    member_ids: Iterable[int],
    year: int,
    *,
    appraisals: dict[int, object] | None = None,
    in_force=versions.UNKNOWN,
) -> dict[int, engine.MemberYear]:
    """Build `engine.MemberYear` for each member: the months on any roll with the category held,
    each with the base of the version it is scored with, the year's ledger entries and (if
    given) the appraisal score. Six queries at most (five if ``in_force`` — branch → the version
    in force in its county — covers the branches of the months not opened yet)."""
    member_ids = list(member_ids)
    return year_inputs(member_ids, year, appraisals=appraisals, in_force=in_force)[2]


def year_inputs(
    member_ids: Iterable[int],
    year: int,
    *,
    appraisals: dict[int, object] | None = None,
    in_force=versions.UNKNOWN,
) -> tuple[dict[int, dict[int, int]], dict[int, dict[int, str]], dict[int, engine.MemberYear]]:
    """:func:`member_years` with what it is built from: each member's roll branch and category
    by month (also the months no version scores yet)."""
    member_ids = list(member_ids)
    rolls = roll_branches(member_ids, year)
    categories = categories_by_month(member_ids, year)
    entries = entries_for(member_ids, year)
    bases = month_bases(rolls, categories, year, in_force=in_force)
    appraisals = appraisals or {}
    result = {}
    for member_id in member_ids:
        held = categories.get(member_id, {})
        member_bases = bases.get(member_id, {})
        months = {
            m: held[m] for m in sorted(rolls.get(member_id, ())) if m in held and m in member_bases
        }
        result[member_id] = engine.MemberYear(
            months=months,
            entries=tuple(entries.get(member_id, ())),
            appraisal=appraisals.get(member_id),
            bases={m: member_bases[m] for m in months},
        )
    return rolls, categories, result
