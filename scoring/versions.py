"""Which rule-set version scores what (DOMAIN §3.8), in one place.

* A month is scored with the version it was opened with (``BranchMonth.rule_set``) — its base
  shares as well as its items. A month not opened yet would be opened with the version in force,
  so that is the one it is shown with until then.
* A member's month belongs to the branch whose roll holds them that month: after a transfer the
  earlier months keep the old branch's versions.
* The annual part (appraisal maximum and weights, grade cut-offs, the 优秀 quota) comes from the
  version the annual assessment was opened with; before it is opened, from the version in force.
  The assessment lives in ``evaluations``, above this app: it tells us through
  ``annual_version_finders`` (registered in its AppConfig), so that every page — a points card
  here, a dashboard, an export — uses the same version for the same member and year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from scoring import engine
from scoring.models import BranchMonth, CategoryRule, RuleSet

# f(branch_ids, year) -> {branch_id: rule_set_id} for branches whose annual version is fixed.
annual_version_finders: list[Callable[[Iterable[int], int], dict[int, int]]] = []


def in_force_id(year: int) -> int | None:
    return (
        RuleSet.objects.filter(year=year, status=RuleSet.Status.PUBLISHED)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )


def month_versions(branch_ids: Iterable[int], year: int) -> dict[tuple[int, int], int]:
    """(branch, month) → the version each opened month of ``year`` was opened with."""
    rows = BranchMonth.objects.filter(branch_id__in=list(branch_ids), year=year).values_list(
        "branch_id", "month", "rule_set_id"
    )
    return {(branch_id, month): rule_set_id for branch_id, month, rule_set_id in rows}


def base_scores(rule_set_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """rule set → category → the year's base score."""
    result: dict[int, dict[str, Decimal]] = {}
    rows = CategoryRule.objects.filter(rule_set_id__in=set(rule_set_ids)).values_list(
        "rule_set_id", "category", "base_score"
    )
    for rule_set_id, category, base in rows:
        result.setdefault(rule_set_id, {})[category] = base
    return result


UNKNOWN = object()


def annual_versions(
    branch_ids: Iterable[int], year: int, *, in_force=UNKNOWN
) -> dict[int, int | None]:
    """branch → the version of its annual part for ``year`` (``in_force``: the year's version in
    force, when the caller has it already)."""
    branch_ids = list(branch_ids)
    fixed: dict[int, int] = {}
    for finder in annual_version_finders:
        fixed.update(finder(branch_ids, year))
    if len(fixed) == len(set(branch_ids)):
        default = None
    else:
        default = in_force_id(year) if in_force is UNKNOWN else in_force
    return {branch_id: fixed.get(branch_id, default) for branch_id in branch_ids}


def scoring_rules(rule_set_id: int | None) -> engine.ScoringRules:
    """The engine's rules of a version (two queries), or the county defaults without one."""
    if rule_set_id is None:
        return engine.default_rules()
    return RuleSet.objects.get(pk=rule_set_id).scoring_rules()


def annual_rules(branch_id: int, year: int) -> engine.ScoringRules:
    return scoring_rules(annual_versions([branch_id], year)[branch_id])
