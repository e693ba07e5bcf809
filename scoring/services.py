"""Workflow of steps 1–3: rule sets, declarations, the branch committee's review, deductions,
clearing items, closing the month and corrections.

Each function is one transaction, takes keyword arguments only and checks that ``by`` may take
the step (members.permissions). Status changes go through core.transitions (a conditional UPDATE
and a log row); "0 rows updated" means someone else got there first, and the user is told so.

Writing into a month and closing it cannot interleave: both lock the month row first
(SELECT … FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE transaction mode of settings.py
serialises writers), so a declaration either lands before the close — and the close is then
refused because it waits — or is refused because the month is closed.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.transitions import Step, record_created, transition, transition_many
from members.models import Branch, County, Member, first_of_month
from members.permissions import (
    NOT_ALLOWED,
    require_county_admin,
    require_points_clerk,
    require_secretary,
)
from members.services import month_label
from scoring import standings, versions
from scoring.models import (
    Attendance,
    BranchAdoption,
    BranchMonth,
    CategoryRule,
    Declaration,
    Meeting,
    PointsEntry,
    RuleItem,
    RuleSet,
)

DEFAULT_RULES_FILE = Path(settings.BASE_DIR) / "fixtures" / "default_rules.json"
# One correction entry fixes one mistake: the largest item is worth 10 points, a whole year's
# base share 88. More than 100 either way is a typing error (one zero too many), not a fix.
MAX_CORRECTION_POINTS = Decimal(100)
MSG_CORRECTION_TOO_LARGE = "每条更正不能超过 ±100 分，请核对；确需更多请分条登记。"


# --- Step 1: rule sets ------------------------------------------------------------------------


@transaction.atomic
def ruleset_load_defaults(
    *, year: int, county: County | None, by=None, publish: bool = True
) -> RuleSet:
    """Create ``county``'s default rule set for `year` from fixtures/default_rules.json (with
    ``county=None``: a template, which only a superuser — the city or province — may issue)."""
    _require_rules_owner(by, county)
    data = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    weights = data["ballot_weights"]
    rule_set = RuleSet.objects.create(
        county=county,
        year=year,
        version=_next_version(county, year),
        title=data["title"],
        appraisal_max=Decimal(data["appraisal_max"]),
        weight_excellent=Decimal(weights["excellent"]),
        weight_qualified=Decimal(weights["qualified"]),
        weight_basic=Decimal(weights["basic"]),
        weight_unqualified=Decimal(weights["unqualified"]),
        excellent_quota_numerator=data["excellent_quota"][0],
        excellent_quota_denominator=data["excellent_quota"][1],
        notice_days=data["notice_days"],
    )
    CategoryRule.objects.bulk_create(
        CategoryRule(
            rule_set=rule_set,
            category=category,
            base_score=Decimal(c["base"]),
            excellent_min=Decimal(c["excellent"]),
            qualified_min=Decimal(c["qualified"]),
            basic_min=Decimal(c["basic"]),
        )
        for category, c in data["categories"].items()
    )
    items = []
    for position, item in enumerate(data["bonus"]):
        items.append(
            RuleItem(
                rule_set=rule_set,
                kind=RuleItem.Kind.BONUS,
                code=item["code"],
                name=item["name"],
                points_min=Decimal(item["min"]),
                points_max=Decimal(item["max"]),
                unit=item.get("unit", ""),
                position=position,
            )
        )
    for position, item in enumerate(data["deduction"]):
        points = Decimal(item["points"])
        items.append(
            RuleItem(
                rule_set=rule_set,
                kind=RuleItem.Kind.DEDUCTION,
                code=item["code"],
                name=item["name"],
                deduction_class=item["class"],
                points_min=points,
                points_max=points,
                unit=item.get("unit", ""),
                not_for_categories=item.get("not_for", ""),
                position=position,
            )
        )
    for position, item in enumerate(data["clearing"]):
        items.append(
            RuleItem(
                rule_set=rule_set,
                kind=RuleItem.Kind.CLEARING,
                code=item["code"],
                name=item["name"],
                position=position,
            )
        )
    RuleItem.objects.bulk_create(items)
    if publish:
        ruleset_publish(rule_set=rule_set, by=by)
        rule_set.refresh_from_db()
    return rule_set


@transaction.atomic
def ruleset_publish(*, rule_set: RuleSet, by) -> RuleSet:
    """Publish a draft: from now on the county's months open with it (a template is published
    for the counties to copy, and scores nothing itself)."""
    _require_rules_owner(by, rule_set.county)
    transition(
        rule_set,
        "publish",
        by=by,
        reason=f"发布{rule_set.year}年第{rule_set.version}版",
        published_at=timezone.now(),
        published_by=by,
    )
    # The county's months not opened yet are scored with the version in force: their base may
    # change. (A template scores nobody until a county copies it.)
    if rule_set.county_id is not None:
        standings.year_changed(rule_set.year, rule_set.county_id)
    return rule_set


@transaction.atomic
def ruleset_new_version(*, rule_set: RuleSet, by=None) -> RuleSet:
    """Copy a rule set into a new draft version of the same county (or template).

    The county edits the draft and publishes it; months already opened keep the version they
    were opened with, so past scores never change.
    """
    _require_rules_owner(by, rule_set.county)
    return _copy_rule_set(rule_set, county=rule_set.county)


@transaction.atomic
def ruleset_copy(*, rule_set: RuleSet, county: County, by) -> RuleSet:
    """A published template (issued by the city or province) or one of ``county``'s own versions
    copied into a new draft of ``county``'s rules for that year, to adapt and publish. Another
    county's rules are never a starting point: they are not the county admin's to see."""
    require_county_admin(by, county)
    if not rule_set.is_template and rule_set.county_id != county.pk:
        raise PermissionDenied(NOT_ALLOWED)
    if rule_set.is_template and rule_set.status != RuleSet.Status.PUBLISHED:
        raise ValidationError("该模板尚未发布，不能复制。")
    return _copy_rule_set(rule_set, county=county)


def _require_rules_owner(by, county: County | None) -> None:
    """A county's rules: its own county admin. A template: a superuser (the city or province
    until there is a level above the county)."""
    if county is None:
        if by is None or not getattr(by, "is_superuser", False):
            raise PermissionDenied("细则模板由市、省组织部下发，县级管理员不能修改。")
        return
    require_county_admin(by, county)


def _next_version(county: County | None, year: int) -> int:
    latest = (
        RuleSet.objects.filter(county=county, year=year)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return (latest or 0) + 1


def _copy_rule_set(rule_set: RuleSet, *, county: County | None) -> RuleSet:
    """A draft copy of ``rule_set`` (its categories and county items, not any branch's own
    items) as the next version of ``county``'s rules for the same year."""
    categories = list(rule_set.category_rules.all())
    items = list(rule_set.items.filter(branch__isnull=True))
    copy = RuleSet.objects.get(pk=rule_set.pk)
    copy.pk = None
    copy.county = county
    copy.version = _next_version(county, rule_set.year)
    copy.status = RuleSet.Status.DRAFT
    copy.created_at = timezone.now()
    copy.published_at = None
    copy.published_by = None
    copy.based_on = rule_set
    copy.save()
    for category in categories:
        category.pk = None
        category.rule_set = copy
    CategoryRule.objects.bulk_create(categories)
    for item in items:
        item.pk = None
        item.rule_set = copy
    RuleItem.objects.bulk_create(items)
    return copy


def active_items(*, branch: Branch, rule_set: RuleSet, kind: str | None = None):
    """The items a branch uses under `rule_set`: county items not switched off plus its own."""
    from django.db.models import Q

    items = rule_set.items.filter(Q(branch__isnull=True) | Q(branch=branch))
    if kind:
        items = items.filter(kind=kind)
    adoption = BranchAdoption.objects.filter(branch=branch, rule_set=rule_set).first()
    if adoption is not None:
        items = items.exclude(pk__in=adoption.disabled_items.values("pk"))
    return items.order_by("kind", "branch", "position", "code")


def _check_county_rules(rule_set: RuleSet, branch: Branch) -> None:
    """A branch adopts and adds to its own county's rules only (not a template, not another
    county's)."""
    if rule_set.county_id is None or rule_set.county_id != branch.township.county_id:
        raise PermissionDenied("只能采用本县的细则。")


@transaction.atomic
def branch_adopt(
    *, branch: Branch, rule_set: RuleSet, adopted_on: datetime.date, disabled_items, by
) -> BranchAdoption:
    require_secretary(by, branch)
    _check_county_rules(rule_set, branch)
    if rule_set.status != RuleSet.Status.PUBLISHED:
        raise ValidationError("只能采用县委组织部已发布的细则。")
    disabled = list(disabled_items)
    if any(item.kind == RuleItem.Kind.CLEARING for item in disabled):
        raise ValidationError({"disabled_items": "清除全年积分的事项全县统一执行，不能关闭。"})
    adoption, _ = BranchAdoption.objects.update_or_create(
        branch=branch, rule_set=rule_set, defaults={"adopted_on": adopted_on, "adopted_by": by}
    )
    adoption.disabled_items.set(disabled)
    return adoption


@transaction.atomic
def branch_item_add(
    *,
    branch: Branch,
    rule_set: RuleSet,
    parent: RuleItem,
    name: str,
    points_min: Decimal,
    points_max: Decimal,
    unit: str = "",
    by=None,
) -> RuleItem:
    """A branch's own contribution item, within the range of a county contribution item."""
    require_secretary(by, branch)
    _check_county_rules(rule_set, branch)
    if parent.kind != RuleItem.Kind.BONUS or parent.branch_id or parent.rule_set_id != rule_set.pk:
        raise ValidationError({"parent": "请选择本年度细则中的县级贡献加分项目。"})
    if points_min > points_max:
        raise ValidationError({"points_max": "上限不能小于下限。"})
    if points_min < parent.points_min or points_max > parent.points_max:
        raise ValidationError(
            {"points_min": f"分值须在县级项目 {parent.code} 的范围（{parent.points_label}）内。"}
        )
    count = RuleItem.objects.filter(rule_set=rule_set, branch=branch).count()
    return RuleItem.objects.create(
        rule_set=rule_set,
        branch=branch,
        parent=parent,
        kind=RuleItem.Kind.BONUS,
        code=f"{parent.code}-{count + 1}",
        name=name,
        points_min=points_min,
        points_max=points_max,
        unit=unit,
        position=parent.position,
    )


# --- The branch's month -----------------------------------------------------------------------


def month_view(*, branch: Branch, year: int, month: int) -> BranchMonth | None:
    """The branch's month as it stands, for reading: the stored row once the month is opened,
    otherwise an unsaved one with the rule set it would be opened with (None if no rule set is
    published for the year). Writes nothing: opening a page never opens a month."""
    existing = BranchMonth.objects.filter(branch=branch, year=year, month=month).first()
    if existing is not None:
        return existing
    rule_set = versions.in_force(year, branch=branch)
    if rule_set is None:
        return None
    return BranchMonth(branch=branch, year=year, month=month, rule_set=rule_set)


def month_get_or_open(*, branch: Branch, year: int, month: int) -> BranchMonth:
    """The branch's month, opened (written) with the rule set in force when it is first used.
    A month keeps the version it was opened with (DOMAIN §3.8)."""
    existing = BranchMonth.objects.filter(branch=branch, year=year, month=month).first()
    if existing is not None:
        return existing
    rule_set = versions.in_force(year, branch=branch)
    if rule_set is None:
        raise ValidationError(f"{year}年的积分细则尚未发布，请联系县委组织部。")
    with transaction.atomic():
        branch_month, _ = BranchMonth.objects.get_or_create(
            branch=branch, year=year, month=month, defaults={"rule_set": rule_set}
        )
    return branch_month


def _closed_message(year: int, month: int) -> str:
    return f"{year}年{month}月已于支委会结账，不能再修改；如需更正，请在积分卡上登记更正记录。"


def _lock_month(*, branch: Branch, year: int, month: int) -> BranchMonth:
    """The month row, opened if need be and locked until the end of the transaction."""
    branch_month = month_get_or_open(branch=branch, year=year, month=month)
    return BranchMonth.objects.select_for_update(no_key=True).get(pk=branch_month.pk)


def _lock_open_month(*, branch: Branch, year: int, month: int) -> BranchMonth:
    """Lock the month row for this transaction and make sure it is still open."""
    branch_month = _lock_month(branch=branch, year=year, month=month)
    if not branch_month.is_open:
        raise ValidationError(_closed_message(year, month))
    return branch_month


def _check_on_roll(*, member: Member, branch: Branch, year: int, month: int) -> None:
    if (
        not Member.objects.on_roll(branch, datetime.date(year, month, 1))
        .filter(pk=member.pk)
        .exists()
    ):
        raise ValidationError({"member": f"{member.name}{year}年{month}月不在本支部党员名册上。"})


def _check_date_in_month(*, occurred_on: datetime.date, year: int, month: int) -> None:
    if (occurred_on.year, occurred_on.month) != (year, month):
        raise ValidationError({"occurred_on": f"日期须在{year}年{month}月之内。"})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": "日期不能晚于今天。"})


def _check_item(*, item: RuleItem, branch_month: BranchMonth, kind: str, category: str | None):
    if item.kind != kind:
        raise ValidationError({"item": "项目类型不符。"})
    if (
        not active_items(branch=branch_month.branch, rule_set=branch_month.rule_set)
        .filter(pk=item.pk)
        .exists()
    ):
        raise ValidationError({"item": f"{item.code} 不在本支部本月适用的积分项目中。"})
    if not item.applies_to(category):
        raise ValidationError({"item": f"{item.code} 不适用于{category}类党员。"})


def _check_points(*, item: RuleItem, points: Decimal, field: str = "points") -> None:
    if points is None or not item.points_min <= points <= item.points_max:
        if item.is_range:
            message = f"{item.code} 的分值应在 {item.points_label} 分之间。"
        else:
            message = f"{item.code} 的分值为 {item.points_label} 分。"
        raise ValidationError({field: message})


@transaction.atomic
def declaration_create(
    *,
    member: Member,
    branch: Branch,
    year: int,
    month: int,
    item: RuleItem,
    occurred_on: datetime.date,
    description: str,
    points: Decimal | None = None,
    photo=None,
    confirm_duplicate: bool = False,
    source: str = Declaration.Source.CLERK,
    by,
) -> Declaration:
    """An entry waiting for the committee's review, in an open month: a contribution declared
    (a bonus item, points within its range) or a proposed deduction (a deduction item, at its
    fixed points; only from a meeting's attendance or a post's rating, never by the member).

    ``source`` says where it came from; a member declaring for themselves (``SELF``) acts
    through the system user after proving who they are (their card link and PIN)."""
    if source != Declaration.Source.SELF:
        require_points_clerk(by, branch)
    elif by is None or not getattr(by, "is_superuser", False):
        raise PermissionDenied("本人申报只能从党员本人的积分卡页面提交。")
    branch_month = _lock_open_month(branch=branch, year=year, month=month)
    _check_on_roll(member=member, branch=branch, year=year, month=month)
    _check_date_in_month(occurred_on=occurred_on, year=year, month=month)
    category = member.category_in(datetime.date(year, month, 1))
    proposed_deduction = item.kind == RuleItem.Kind.DEDUCTION
    if proposed_deduction and source not in (
        Declaration.Source.ATTENDANCE,
        Declaration.Source.POST,
    ):
        raise ValidationError({"item": "违规扣分由支委会直接登记，不能申报。"})
    _check_item(item=item, branch_month=branch_month, kind=item.kind, category=category)
    if item.kind == RuleItem.Kind.CLEARING:
        raise ValidationError({"item": "清除全年积分事项由支部书记直接登记。"})
    if proposed_deduction:
        points = -item.points_min  # the size of the deduction, written negative when approved
    else:
        if points is None and not item.is_range:
            points = item.points_min
        _check_points(item=item, points=points)
    if not description.strip():
        raise ValidationError({"description": "请简要写明做了什么。"})
    if not confirm_duplicate:
        _refuse_duplicate(
            Declaration.objects.filter(member=member, item=item, occurred_on=occurred_on).exclude(
                status=Declaration.Status.RETURNED
            ),
            what=f"{member.name} {occurred_on:%Y-%m-%d} 的 {item.code} 申报",
        )
    declaration = Declaration.objects.create(
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=item,
        occurred_on=occurred_on,
        description=description.strip(),
        points_claimed=points,
        photo=photo or "",
        source=source,
        created_by=by,
    )
    reason = Declaration.Source(source).label
    record_created(declaration, by=by, reason=reason, log_fields={"points": points})
    return declaration


def _refuse_duplicate(existing, *, what: str) -> None:
    """An entry that looks like one already made (a double entry from two people, or the same
    paper form typed twice) is written only when the user confirms it."""
    if existing.exists():
        message = f"已有一条相同的记录（{what}）。如确需重复登记，请勾选“确认重复登记”后再保存。"
        raise ValidationError({"confirm_duplicate": message}, code="duplicate")


@transaction.atomic
def declaration_approve(
    *, declaration: Declaration, by, points: Decimal | None = None, reason: str = ""
) -> PointsEntry:
    """Approve a declaration, optionally adjusting its points within the item's range (an
    adjustment needs a reason). Writes the ledger entry: a bonus, or for a proposed deduction
    the deduction at the item's points."""
    require_points_clerk(by, declaration.branch)
    branch_month = _lock_open_month(
        branch=declaration.branch, year=declaration.year, month=declaration.month
    )
    points = _approved_points(declaration, points, reason)
    review = Review(declaration, by=by, points=points, reason=reason.strip())
    return review_many([review], branch_month=branch_month)[0]


@transaction.atomic
def declaration_return(*, declaration: Declaration, by, reason: str) -> Declaration:
    require_points_clerk(by, declaration.branch)
    branch_month = _lock_open_month(
        branch=declaration.branch, year=declaration.year, month=declaration.month
    )
    if not reason.strip():
        raise ValidationError({"reason": "退回时请写明理由。"})
    review = Review(declaration, by=by, approve=False, reason=reason.strip())
    review_many([review], branch_month=branch_month)
    declaration.refresh_from_db()
    return declaration


def _approved_points(declaration: Declaration, points: Decimal | None, reason: str) -> Decimal:
    """The points a declaration is approved at: as claimed unless adjusted (within the item's
    range, with a reason); a proposed deduction always at its item's points."""
    item = declaration.item
    deduction = item.kind == RuleItem.Kind.DEDUCTION
    if points is None or deduction:
        points = declaration.points_claimed
    if not deduction:
        _check_points(item=item, points=points)
    if points != declaration.points_claimed and not reason.strip():
        raise ValidationError({"reason": "调整分值时请写明理由。"})
    return points


@dataclass
class Review:
    """The committee's decision on one waiting declaration: approved (at ``points``, default as
    claimed; ``reason`` says why adjusted) or returned (``reason`` says why), by whom and when
    (default: now)."""

    declaration: Declaration
    by: object
    approve: bool = True
    points: Decimal | None = None
    reason: str = ""
    at: datetime.datetime | None = None


@transaction.atomic
def review_many(reviews: list[Review], *, branch_month: BranchMonth | None = None) -> list:
    """Write the committee's decisions: the status changes and their log rows (core.transitions,
    one UPDATE per distinct outcome) and the approved ones' ledger entries (one chained bulk
    insert). Returns the entries, in the order of ``reviews``.

    The one writer of review outcomes, for one declaration or a county's year (the demo). It
    checks nothing: its callers have checked the user, the open month (``branch_month``, when
    every declaration is in it) and the points and reasons (``_approved_points``)."""
    groups: dict[tuple, list[Review]] = {}
    for review in reviews:
        declaration = review.declaration
        if review.approve:
            points = declaration.points_claimed if review.points is None else review.points
            key = ("approve", points, review.reason)
        else:
            key = ("return", None, review.reason)
        groups.setdefault(key, []).append(review)
    for (action, points, reason), group in groups.items():
        steps = [
            Step(r.declaration, by=r.by, reason=reason, at=r.at, log_fields={"points": points})
            for r in group
        ]
        fields = {"review_reason": reason}
        if action == "approve":
            fields["points_approved"] = points
        transition_many(Declaration, action, steps, **fields)
    approved = [r for r in reviews if r.approve]
    if branch_month is not None:
        rule_sets = {None: branch_month.rule_set_id}
    else:
        rule_sets = dict(
            ((bm.branch_id, bm.year, bm.month), bm.rule_set_id)
            for bm in BranchMonth.objects.filter(
                branch__in={r.declaration.branch_id for r in approved},
                year__in={r.declaration.year for r in approved},
            ).only("branch_id", "year", "month", "rule_set_id")
        )
    entries = []
    for review in approved:
        declaration = review.declaration
        deduction = declaration.item.kind == RuleItem.Kind.DEDUCTION
        points = declaration.points_approved
        adjusted = points != declaration.points_claimed
        month = (
            None if branch_month else (declaration.branch_id, declaration.year, declaration.month)
        )
        entries.append(
            PointsEntry(
                member_id=declaration.member_id,
                branch_id=declaration.branch_id,
                year=declaration.year,
                month=declaration.month,
                kind=PointsEntry.Kind.DEDUCTION if deduction else PointsEntry.Kind.BONUS,
                points=-points if deduction else points,
                item=declaration.item,
                rule_set_id=rule_sets[month],
                declaration=declaration,
                occurred_on=declaration.occurred_on,
                reason=declaration.description
                + (f"（调整：{declaration.review_reason}）" if adjusted else ""),
                created_by=review.by,
                **({"created_at": review.at} if review.at is not None else {}),
            )
        )
    return PointsEntry.objects.bulk_create(entries)


@transaction.atomic
def declaration_withdraw(*, declaration: Declaration, by, reason: str = "") -> Declaration:
    """Take back a waiting declaration (entered by mistake, twice, for the wrong member)."""
    if not (declaration.source == Declaration.Source.SELF and getattr(by, "is_superuser", False)):
        require_points_clerk(by, declaration.branch)
    _lock_open_month(branch=declaration.branch, year=declaration.year, month=declaration.month)
    transition(
        declaration,
        "withdraw",
        by=by,
        reason=reason.strip() or "撤回",
        review_reason=reason.strip(),
    )
    return declaration


@transaction.atomic
def declaration_edit(
    *,
    declaration: Declaration,
    by,
    description: str,
    occurred_on: datetime.date,
    points: Decimal | None = None,
) -> Declaration:
    """Correct a waiting declaration (what was done, the date, the points claimed); the log row
    keeps what it said before."""
    require_points_clerk(by, declaration.branch)
    _lock_open_month(branch=declaration.branch, year=declaration.year, month=declaration.month)
    _check_date_in_month(occurred_on=occurred_on, year=declaration.year, month=declaration.month)
    item = declaration.item
    if item.kind == RuleItem.Kind.DEDUCTION or points is None:
        points = declaration.points_claimed
    _check_points(item=item, points=points)
    if not description.strip():
        raise ValidationError({"description": "请简要写明做了什么。"})
    before = (
        f"修改前：{declaration.occurred_on:%Y-%m-%d} {declaration.description} "
        f"{declaration.points_claimed}分"
    )
    transition(
        declaration,
        "edit",
        by=by,
        reason=before[:500],
        log_fields={"points": points},
        description=description.strip(),
        occurred_on=occurred_on,
        points_claimed=points,
    )
    return declaration


@transaction.atomic
@standings.batch()
def declarations_approve_many(*, branch_month: BranchMonth, declaration_ids, by) -> int:
    """Approve several declarations at their claimed points. All or none."""
    require_points_clerk(by, branch_month.branch)
    locked = _lock_open_month(
        branch=branch_month.branch, year=branch_month.year, month=branch_month.month
    )
    declarations = list(
        Declaration.objects.filter(
            pk__in=declaration_ids,
            branch=branch_month.branch,
            year=branch_month.year,
            month=branch_month.month,
        ).select_related("item")
    )
    if len(declarations) != len(set(declaration_ids)):
        raise ValidationError("所选申报中有不属于本支部本月的记录，请刷新页面。")
    reviews = [Review(d, by=by, points=_approved_points(d, None, "")) for d in declarations]
    review_many(reviews, branch_month=locked)
    return len(declarations)


@transaction.atomic
def deduction_record(
    *,
    member: Member,
    branch: Branch,
    year: int,
    month: int,
    item: RuleItem,
    occurred_on: datetime.date,
    reason: str,
    confirm_duplicate: bool = False,
    by,
) -> PointsEntry:
    """A deduction decided by the branch committee (members never declare their own)."""
    require_points_clerk(by, branch)
    return _committee_entry(
        kind=PointsEntry.Kind.DEDUCTION,
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=item,
        occurred_on=occurred_on,
        reason=reason,
        missing_reason="请写明扣分事由。",
        confirm_duplicate=confirm_duplicate,
        by=by,
    )


@transaction.atomic
def clearing_record(
    *,
    member: Member,
    branch: Branch,
    year: int,
    month: int,
    item: RuleItem,
    occurred_on: datetime.date,
    reason: str,
    confirmed: bool,
    confirm_duplicate: bool = False,
    by,
) -> PointsEntry:
    """A clearing item (一次性清除全年所有积分), confirmed by the branch secretary."""
    require_secretary(by, branch)
    if not confirmed:
        raise ValidationError({"confirmed": "清除全年积分须由支部书记确认。"})
    return _committee_entry(
        kind=PointsEntry.Kind.CLEARING,
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=item,
        occurred_on=occurred_on,
        reason=reason,
        missing_reason="请写明事由。",
        confirm_duplicate=confirm_duplicate,
        by=by,
    )


def _committee_entry(
    *,
    kind,
    member,
    branch,
    year,
    month,
    item,
    occurred_on,
    reason,
    missing_reason,
    confirm_duplicate,
    by,
) -> PointsEntry:
    """The guards and the ledger line shared by deductions and clearing items: an open month,
    a member on the roll, a date in the month, a reason, an item that applies."""
    branch_month = _lock_open_month(branch=branch, year=year, month=month)
    _check_on_roll(member=member, branch=branch, year=year, month=month)
    _check_date_in_month(occurred_on=occurred_on, year=year, month=month)
    if not reason.strip():
        raise ValidationError({"reason": missing_reason})
    # Clearing items apply to every category; deduction items may exempt some (e.g. † for D).
    category = (
        member.category_in(datetime.date(year, month, 1))
        if kind == PointsEntry.Kind.DEDUCTION
        else None
    )
    _check_item(item=item, branch_month=branch_month, kind=kind, category=category)
    if not confirm_duplicate:
        _refuse_duplicate(
            PointsEntry.objects.filter(member=member, item=item, occurred_on=occurred_on),
            what=f"{member.name} {occurred_on:%Y-%m-%d} 的 {item.code}",
        )
    return PointsEntry.objects.create(
        member=member,
        branch=branch,
        year=year,
        month=month,
        kind=kind,
        points=item.points_min if kind == PointsEntry.Kind.DEDUCTION else Decimal("0"),
        item=item,
        rule_set=branch_month.rule_set,
        occurred_on=occurred_on,
        reason=reason.strip(),
        created_by=by,
    )


@transaction.atomic
@standings.batch()
def month_close(
    *, branch_month: BranchMonth, meeting_date: datetime.date, by, approve_waiting: bool = False
) -> BranchMonth:
    """Close the month at the branch committee meeting. Refused while declarations wait.
    ``branch_month`` may be a month not opened yet (a month without any entry is closed too);
    the closed month is returned.

    The month row is locked before the waiting declarations are counted, so a declaration
    posted at the same moment either is counted (and the close refused) or finds the month
    closed."""
    require_secretary(by, branch_month.branch)
    month_start = datetime.date(branch_month.year, branch_month.month, 1)
    if meeting_date < month_start:
        raise ValidationError({"meeting_date": "支委会日期不能早于该月。"})
    if meeting_date > timezone.localdate():
        raise ValidationError({"meeting_date": "支委会日期不能晚于今天。"})
    # The branch row first (roster changes lock it too: a category change cannot slip into the
    # month being closed), then the month row (declarations lock it). FOR NO KEY UPDATE: a row
    # inserted meanwhile that refers to the branch (a declaration) takes a key-share lock on it,
    # which a plain FOR UPDATE would block — and the declaration holds the month row: deadlock.
    branch = Branch.objects.select_for_update(no_key=True).get(pk=branch_month.branch_id)
    locked = _lock_month(branch=branch, year=branch_month.year, month=branch_month.month)
    if not locked.is_open:
        raise ValidationError("该月已经结账（可能刚被他人操作），无需重复结账。")
    if approve_waiting:  # the committee approved everything still waiting, at its points
        declarations_approve_all(branch_month=locked, by=by)
    waiting = Declaration.objects.filter(
        branch=locked.branch,
        year=locked.year,
        month=locked.month,
        status=Declaration.Status.SUBMITTED,
    ).count()
    if waiting:
        raise ValidationError(
            f"还有 {waiting} 条申报待审议。可勾选“同时按申报分值通过全部待审议的申报”，"
            "或先审议（通过、退回或撤回）后再结账。"
        )
    transition(
        locked,
        "close",
        by=by,
        reason=f"支委会 {meeting_date:%Y-%m-%d}",
        meeting_date=meeting_date,
        closed_at=timezone.now(),
        closed_by=by,
    )
    if branch.closed_through is None or branch.closed_through < month_start:
        Branch.objects.filter(pk=branch.pk).update(closed_through=month_start)
    if branch_month.pk is not None:
        branch_month.refresh_from_db()
    return locked


@transaction.atomic
def correction_record(
    *,
    member: Member,
    branch: Branch,
    year: int,
    month: int,
    points: Decimal,
    reason: str,
    confirm_duplicate: bool = False,
    by,
) -> PointsEntry:
    """A correction against a closed month: a new ledger line, visible as a correction.

    Only the branch whose roll held the member that month corrects it: after a transfer, the
    new branch reads the old branch's months but does not change them."""
    require_secretary(by, branch)
    branch_month = BranchMonth.objects.filter(branch=branch, year=year, month=month).first()
    if branch_month is None or branch_month.is_open:
        raise ValidationError("该月尚未结账：请直接在月度审议中处理，无需更正。")
    if not points:
        raise ValidationError({"points": "更正分值不能为 0。"})
    if not -MAX_CORRECTION_POINTS <= points <= MAX_CORRECTION_POINTS:
        raise ValidationError({"points": MSG_CORRECTION_TOO_LARGE})
    if points.as_tuple().exponent < -2:
        raise ValidationError({"points": "更正分值最多保留两位小数。"})
    if not reason.strip():
        raise ValidationError({"reason": "请写明更正理由。"})
    if (
        not Member.objects.on_roll(branch, datetime.date(year, month, 1))
        .filter(pk=member.pk)
        .exists()
    ):
        message = f"{member.name}{year}年{month}月不在本支部名册上，该月的积分由当时所在支部更正。"
        raise ValidationError({"member": message})
    if not confirm_duplicate:
        _refuse_duplicate(
            PointsEntry.objects.filter(
                member=member,
                year=year,
                month=month,
                kind=PointsEntry.Kind.CORRECTION,
                points=points,
            ),
            what=f"{member.name} {year}年{month}月 更正 {points}",
        )
    return PointsEntry.objects.create(
        member=member,
        branch=branch,
        year=year,
        month=month,
        kind=PointsEntry.Kind.CORRECTION,
        points=points,
        rule_set=branch_month.rule_set,
        reason=reason.strip(),
        created_by=by,
    )


# --- Many members at once: an activity, a meeting, approving everything -------------------------


@transaction.atomic
@standings.batch()
def activity_declare(
    *,
    branch: Branch,
    year: int,
    month: int,
    item: RuleItem,
    occurred_on: datetime.date,
    description: str,
    members,
    points: Decimal | None = None,
    confirm_duplicate: bool = False,
    by,
) -> list[Declaration]:
    """One activity for many members (a volunteer day, the 主题党日's work): one declaration per
    member, each reviewed like any other. All or none: if one member cannot have it (not on the
    roll, the item does not apply, it looks like a repeat), nothing is saved and the message names
    every member concerned."""
    members = list(members)
    if not members:
        raise ValidationError({"members": "请至少勾选一名参加的党员。"})
    made, problems, repeats = [], [], []
    for member in members:
        try:
            with transaction.atomic():
                made.append(
                    declaration_create(
                        member=member,
                        branch=branch,
                        year=year,
                        month=month,
                        item=item,
                        occurred_on=occurred_on,
                        description=description,
                        points=points,
                        confirm_duplicate=confirm_duplicate,
                        source=Declaration.Source.ACTIVITY,
                        by=by,
                    )
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and set(error.error_dict) <= {"confirm_duplicate"}:
                repeats.append(member.name)
            elif hasattr(error, "error_dict") and set(error.error_dict) & {"member", "item"}:
                problems.append(f"{member.name}：{'；'.join(error.messages)}")
            else:
                raise
    if problems:
        raise ValidationError({"members": problems})
    if repeats:
        names = "、".join(repeats)
        message = (
            f"{names}已有相同的记录（同一项目、同一日期）。如确需重复登记，请勾选“确认重复登记”。"
        )
        raise ValidationError({"confirm_duplicate": message}, code="duplicate")
    return made


@transaction.atomic
@standings.batch()
def meeting_record(
    *,
    branch: Branch,
    year: int,
    month: int,
    kind: str,
    held_on: datetime.date,
    topic: str,
    attendance: dict,
    by,
) -> Meeting:
    """A meeting and its roll call. ``attendance`` maps each member on the roll to (status,
    excuse). Every unexcused absence proposes the meeting's deduction (K01 for a 党员大会, 党小组会
    or 党课, K02 for the 主题党日, K03 for the 组织生活会, K05 for study) as an entry waiting for
    the committee — except where the item does not apply to the member's category (the old and
    sick, category D, have no attendance duty: DOMAIN §3.4 †)."""
    require_points_clerk(by, branch)
    branch_month = _lock_open_month(branch=branch, year=year, month=month)
    _check_date_in_month(occurred_on=held_on, year=year, month=month)
    on_roll = set(
        Member.objects.on_roll(branch, datetime.date(year, month, 1)).values_list("pk", flat=True)
    )
    unknown = [m for m in attendance if m.pk not in on_roll]
    if unknown:
        raise ValidationError("考勤名单中有不在本月名册上的党员，请刷新页面。")
    missing_reason = [
        m.name
        for m, (status, reason) in attendance.items()
        if status == Attendance.Status.EXCUSED and not reason.strip()
    ]
    if missing_reason:
        raise ValidationError({"attendance": f"请写明请假事由：{'、'.join(missing_reason)}。"})
    meeting = Meeting.objects.create(
        branch=branch,
        year=year,
        month=month,
        kind=kind,
        held_on=held_on,
        topic=topic.strip(),
        created_by=by,
    )
    label = Meeting.Kind(kind).label
    item = (
        active_items(branch=branch, rule_set=branch_month.rule_set, kind=RuleItem.Kind.DEDUCTION)
        .filter(code=Meeting.DEDUCTION_CODE[kind], branch__isnull=True)
        .first()
    )
    rows = []
    for member, (status, reason) in attendance.items():
        proposal = None
        if status == Attendance.Status.ABSENT and item is not None:
            category = member.category_in(datetime.date(year, month, 1))
            if item.applies_to(category):
                proposal = declaration_create(
                    member=member,
                    branch=branch,
                    year=year,
                    month=month,
                    item=item,
                    occurred_on=held_on,
                    description=f"{held_on.month}月{held_on.day}日{label}无故缺席",
                    confirm_duplicate=True,
                    source=Declaration.Source.ATTENDANCE,
                    by=by,
                )
        rows.append(
            Attendance(
                meeting=meeting,
                member=member,
                status=status,
                reason=reason.strip() if status == Attendance.Status.EXCUSED else "",
                proposal=proposal,
            )
        )
    Attendance.objects.bulk_create(rows)
    return meeting


@transaction.atomic
@standings.batch()
def declarations_import(*, branch: Branch, year: int, month: int, rows: list[dict], by) -> int:
    """A month's declarations from the filled Excel template: every row or none. ``rows`` hold
    the row number and the values of a declaration (member, item, description, points,
    occurred_on). A row like an entry already made (a sheet uploaded twice) is refused."""
    require_points_clerk(by, branch)
    problems = []
    for row in rows:
        try:
            with transaction.atomic():
                declaration_create(
                    member=row["member"],
                    branch=branch,
                    year=year,
                    month=month,
                    item=row["item"],
                    occurred_on=row["occurred_on"],
                    description=row["description"],
                    points=row["points"],
                    source=Declaration.Source.IMPORT,
                    by=by,
                )
        except ValidationError as error:
            problems.append(f"第 {row['row']} 行：{'；'.join(error.messages)}")
    if problems:
        raise ValidationError(problems)
    return len(rows)


@transaction.atomic
@standings.batch()
def declarations_approve_all(*, branch_month: BranchMonth, by) -> int:
    """Approve every entry waiting in the month at its declared (or fixed) points."""
    require_points_clerk(by, branch_month.branch)
    ids = list(
        Declaration.objects.filter(
            branch=branch_month.branch,
            year=branch_month.year,
            month=branch_month.month,
            status=Declaration.Status.SUBMITTED,
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    return declarations_approve_many(branch_month=branch_month, declaration_ids=ids, by=by)


def current_month(today: datetime.date | None = None) -> datetime.date:
    return first_of_month(today or timezone.localdate())


def entries_after_roll_end(*, member: Member, branch: Branch, after: datetime.date) -> None:
    """Registered in members.services.roll_end_checks: a member cannot leave a branch's roll
    before a month in which the branch still has their entries or waiting declarations."""
    later = Q(year__gt=after.year) | Q(year=after.year, month__gt=after.month)
    if PointsEntry.objects.filter(later, member=member, branch=branch).exists():
        message = (
            f"{member.name}在本支部{month_label(after)}以后的月份已有积分记录，请把日期定在那之后。"
        )
        raise ValidationError({"date": message})
    waiting = Declaration.objects.filter(
        later, member=member, branch=branch, status=Declaration.Status.SUBMITTED
    )
    if waiting.exists():
        raise ValidationError(
            {"date": f"{member.name}在本支部还有待审议的申报，请先审议后再办理。"}
        )
