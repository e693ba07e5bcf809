"""The lists behind the dashboards' numbers: ledger entries and members, filtered."""

from __future__ import annotations

import datetime

from django.db.models import OuterRef, Subquery

from members.models import CategoryChange
from oversight.figures import MemberPoints, member_points, population
from oversight.scope import Scope
from scoring.models import PointsEntry

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
