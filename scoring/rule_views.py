"""Step 1 (制定细则) on the web: the county's printed rules, and each branch's adoption of them.

Each county publishes its own rule set in the admin (scoring/admin.py). Here every official reads
and prints their own county's (the county of the branch, or of the official: another county's
rules are never shown); a branch secretary records the members' meeting that adopted it,
switches off county items that do not fit the village and adds the branch's own contribution
items within the county's ranges. Views are thin: look up through `members.scope`, validate a
form, call `scoring.services`, redirect.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from core.submissions import once
from core.web import apply_validation_error, scoped
from members.models import Branch, Category
from members.scope import get_branch, official_of, require_secretary
from scoring import services, versions
from scoring.forms_rules import BranchAdoptForm, BranchItemForm
from scoring.models import BranchAdoption, RuleItem, RuleSet

CHINESE_NUMERALS = "一二三四五六七八九十"
KIND_ORDER = [RuleItem.Kind.BONUS, RuleItem.Kind.DEDUCTION, RuleItem.Kind.CLEARING]


def _rule_set_in_force(year: int, branch: Branch) -> RuleSet:
    rule_set = versions.in_force(year, branch=branch)
    if rule_set is None:
        raise Http404(f"{year}年的积分细则尚未发布。")
    return rule_set


def _own_rules(official, year: int) -> RuleSet | None:
    """The rules an official reads: their own county's, whatever their role (one query). A city
    admin has no county of their own: each county's sheet is that county's to post."""
    if official.is_city:
        return None
    if official.is_county:
        return versions.in_force(year, county=official.county_id)
    if official.is_township:
        return versions.in_force(year, township=official.township_id)
    return versions.in_force(year, branch=official.branch_id)


def _sheet_context(rule_set: RuleSet, items, *, branch: Branch | None = None) -> dict:
    """What the printed 「党员积分管理评定编制」 shows, for the county or for one branch.

    `items` are the items that apply (for a branch: `services.active_items`, so switched-off
    county items are already left out and the branch's own items are in).
    """
    items = sorted(items, key=lambda item: (item.position, item.code))
    for item in items:
        item.not_for_d = "D" in item.not_for_categories
        item.not_for_others = "、".join(
            f"{c}类" for c in item.not_for_categories if c != "D" and c in Category.values
        )
    deductions = [item for item in items if item.kind == RuleItem.Kind.DEDUCTION]
    deduction_classes = [
        {"label": label, "items": [i for i in deductions if i.deduction_class == value]}
        for value, label in RuleItem.DeductionClass.choices
        if value
    ]
    unclassified = [i for i in deductions if not i.deduction_class]
    if unclassified:
        deduction_classes.append({"label": "其他", "items": unclassified})
    deduction_classes = [group for group in deduction_classes if group["items"]]
    for number, group in zip(CHINESE_NUMERALS, deduction_classes, strict=False):
        group["number"] = number
    categories = [
        # "A类（村“两委”成员、村民小组长）" → "村“两委”成员、村民小组长"
        {"rule": rule, "label": Category(rule.category).label.split("类", 1)[-1].strip("（）")}
        for rule in rule_set.category_rules.all()
    ]
    weights = [
        (label, f"{weight.normalize():f}")
        for label, weight in [
            ("优秀票", rule_set.weight_excellent),
            ("合格票", rule_set.weight_qualified),
            ("基本合格票", rule_set.weight_basic),
            ("不合格票", rule_set.weight_unqualified),
        ]
    ]
    return {
        "rule_set": rule_set,
        "branch": branch,
        "county_name": rule_set.county.name if rule_set.county else settings.COUNTY_NAME,
        "categories": categories,
        "ballot_weights": weights,
        "bonus_items": [item for item in items if item.kind == RuleItem.Kind.BONUS],
        "deduction_classes": deduction_classes,
        "deduction_count": len(deductions),
        "clearing_items": [item for item in items if item.kind == RuleItem.Kind.CLEARING],
        "has_dagger": any(item.not_for_d for item in deductions),
    }


@scoped(official_of, "GET")
def rules_sheet(request, official, year):
    """The county's published rules for the year, as the A4 sheet every branch posts."""
    rule_set = _own_rules(official, year)
    if rule_set is None:
        raise Http404(f"{year}年的积分细则尚未发布。")
    context = _sheet_context(rule_set, rule_set.items.filter(branch__isnull=True))
    context["heading"] = f"{context['county_name']}农村党员积分管理评定编制（{year}年）"
    return render(request, "scoring/rules_sheet.html", context)


@scoped(get_branch, "GET")
def branch_rules(request, branch, year):
    """The branch's view of the year's rules: what it switched off, its own items, the adoption."""
    official = official_of(request)
    rule_set = versions.in_force(year, branch=branch)
    context = {
        "branch": branch,
        "year": year,
        "rule_set": rule_set,
        "can_edit": official.is_secretary_of(branch),
    }
    if rule_set is not None:
        adoption = (
            BranchAdoption.objects.filter(branch=branch, rule_set=rule_set)
            .select_related("adopted_by__official")
            .first()
        )
        disabled = set()
        if adoption is not None:
            disabled = set(adoption.disabled_items.values_list("pk", flat=True))
        county_items = sorted(
            rule_set.items.filter(branch__isnull=True),
            key=lambda item: (KIND_ORDER.index(item.kind), item.position, item.code),
        )
        context.update(
            adoption=adoption,
            county_items=county_items,
            disabled_ids=disabled,
            disabled_items=[item for item in county_items if item.pk in disabled],
            own_items=rule_set.items.filter(branch=branch)
            .select_related("parent")
            .order_by("position", "code"),
            earlier_adoptions=BranchAdoption.objects.filter(branch=branch, rule_set__year=year)
            .exclude(rule_set=rule_set)
            .select_related("rule_set")
            .order_by("-rule_set__version"),
        )
    return render(request, "scoring/rules_branch.html", context)


@scoped(get_branch, "GET", "POST")
def branch_adopt(request, branch, year):
    """Record the members' meeting that adopted the year's rules (secretary only)."""
    require_secretary(request, branch)
    rule_set = _rule_set_in_force(year, branch)
    adoption = BranchAdoption.objects.filter(branch=branch, rule_set=rule_set).first()
    initial = {}
    if adoption is not None:
        disabled = list(adoption.disabled_items.all())
        initial = {
            "adopted_on": adoption.adopted_on,
            "disabled_bonus": [i for i in disabled if i.kind == RuleItem.Kind.BONUS],
            "disabled_deduction": [i for i in disabled if i.kind == RuleItem.Kind.DEDUCTION],
        }
    form = BranchAdoptForm(request.POST or None, rule_set=rule_set, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_adopt(
                branch=branch,
                rule_set=rule_set,
                adopted_on=form.cleaned_data["adopted_on"],
                disabled_items=form.disabled_items,
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            off = len(form.disabled_items)
            messages.success(
                request,
                f"已登记{branch.full_name}党员大会于{form.cleaned_data['adopted_on']:%Y-%m-%d}"
                f"通过{year}年积分细则" + (f"，本支部不适用的县级项目 {off} 项。" if off else "。"),
            )
            return redirect("branch_rules", pk=branch.pk, year=year)
    return render(
        request,
        "scoring/rules_adopt.html",
        {"form": form, "branch": branch, "year": year, "rule_set": rule_set, "adoption": adoption},
    )


@scoped(get_branch, "GET", "POST")
@once
def branch_item_create(request, branch, year):
    """Add one of the branch's own contribution items under a county item (secretary only)."""
    require_secretary(request, branch)
    rule_set = _rule_set_in_force(year, branch)
    parents = services.active_items(
        branch=branch, rule_set=rule_set, kind=RuleItem.Kind.BONUS
    ).filter(branch__isnull=True)
    form = BranchItemForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.branch_item_add(
                branch=branch,
                rule_set=rule_set,
                parent=data["parent"],
                name=data["name"],
                points_min=data["points_min"],
                points_max=data["points_max"],
                unit=data["unit"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                f"已添加本支部加分项目 {item.code} {item.name}。请提交党员大会通过后登记通过日期。",
            )
            return redirect("branch_rules", pk=branch.pk, year=year)
    return render(
        request,
        "scoring/rules_item_form.html",
        {"form": form, "branch": branch, "year": year, "rule_set": rule_set},
    )


@scoped(get_branch, "GET")
def branch_rules_print(request, branch, year):
    """The branch's own A4 sheet: switched-off items left out, own items in, adoption date."""
    rule_set = _rule_set_in_force(year, branch)
    items = services.active_items(branch=branch, rule_set=rule_set).select_related("parent")
    context = _sheet_context(rule_set, items, branch=branch)
    context["heading"] = f"{branch.full_name}党员积分管理评定编制（{year}年）"
    context["adoption"] = BranchAdoption.objects.filter(branch=branch, rule_set=rule_set).first()
    return render(request, "scoring/rules_sheet.html", context)
