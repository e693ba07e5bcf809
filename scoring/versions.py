"""Which rule-set version scores what (DOMAIN §3.8), in one place.

* Each county publishes its own rule set: the version in force for a year is the county's newest
  published version. A member's months are scored with their branch's county's versions; a
  template (a rule set without a county) scores nothing.
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

from django.db.models import OuterRef, Subquery

from members.models import Branch
from scoring import engine
from scoring.models import BranchMonth, CategoryRule, RuleSet

# f(branch_ids, year) -> {branch_id: rule_set_id} for branches whose annual version is fixed.
annual_version_finders: list[Callable[[Iterable[int], int], dict[int, int]]] = []


# "The caller has not looked it up": an ``in_force`` argument left out (None means "none is
# published").
UNKNOWN = object()


def _published(year: int):
    return RuleSet.objects.filter(year=year, status=RuleSet.Status.PUBLISHED).order_by("-version")


def in_force(year: int, *, county=None, township=None, branch=None) -> RuleSet | None:
    """The version in force for ``year`` in ``county`` — or in the county of ``township`` or of
    ``branch`` (objects or ids): one query, with the county, and no look-up of the township
    first. None when the county has published none."""
    given = {"county": county, "county__townships": township, "county__townships__branches": branch}
    given = {path: value for path, value in given.items() if value is not None}
    if len(given) != 1:
        raise TypeError("in_force() needs exactly one of county=, township=, branch=")
    return _published(year).filter(**given).select_related("county").first()


def in_force_id(year: int, *, county=None, township=None, branch=None) -> int | None:
    rule_set = in_force(year, county=county, township=township, branch=branch)
    return None if rule_set is None else rule_set.pk


def in_force_by_branch(branch_ids: Iterable[int], year: int) -> dict[int, int | None]:
    """branch → the version in force for ``year`` in its county: one query for any number of
    branches and counties (a subquery per county's newest published version)."""
    newest = _published(year).filter(county=OuterRef("township__county_id")).values("pk")[:1]
    rows = (
        Branch.objects.filter(pk__in=set(branch_ids))
        .annotate(in_force=Subquery(newest))
        .values_list("pk", "in_force")
    )
    return dict(rows)


def fill_in_force(in_force, branch_ids: Iterable[int], year: int) -> dict[int, int | None]:
    """``in_force`` (branch → version, as far as the caller knows it) completed for
    ``branch_ids``: at most one query, for the branches it does not cover."""
    known = {} if in_force is UNKNOWN else dict(in_force)
    missing = set(branch_ids) - set(known)
    if missing:
        known.update(in_force_by_branch(missing, year))
    return known


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


def annual_versions(
    branch_ids: Iterable[int], year: int, *, in_force=UNKNOWN
) -> dict[int, int | None]:
    """branch → the version of its annual part for ``year`` (``in_force``: branch → the version
    in force in its county, for the branches the caller has it for already)."""
    branch_ids = list(branch_ids)
    fixed: dict[int, int] = {}
    for finder in annual_version_finders:
        fixed.update(finder(branch_ids, year))
    open_ = [branch_id for branch_id in branch_ids if branch_id not in fixed]
    default = fill_in_force(in_force, open_, year) if open_ else {}
    return {branch_id: fixed.get(branch_id, default.get(branch_id)) for branch_id in branch_ids}


def scoring_rules_of(rule_set_ids: Iterable[int | None]) -> dict[int | None, engine.ScoringRules]:
    """:func:`scoring_rules` of several versions (one per county, say) in two queries."""
    wanted = set(rule_set_ids)
    found = RuleSet.objects.prefetch_related("category_rules").in_bulk(wanted - {None})
    result = {pk: rule_set.scoring_rules() for pk, rule_set in found.items()}
    if None in wanted:
        result[None] = engine.default_rules()
    return result


def scoring_rules(rule_set_id: int | None) -> engine.ScoringRules:
    """The engine's rules of a version (two queries), or the county defaults without one."""
    if rule_set_id is None:
        return engine.default_rules()
    return RuleSet.objects.get(pk=rule_set_id).scoring_rules()


def annual_rules(branch_id: int, year: int) -> engine.ScoringRules:
    return scoring_rules(annual_versions([branch_id], year)[branch_id])
