"""The secretary's main screen: one branch, one month (steps 2–3).

Every member on the roll that month with their base share, declarations, deductions and running
quarter total; quick entry of declarations, deductions and clearing items; review; closing the
month. Views are thin: scoped look-up (core.web.scoped), form, service, redirect; what the page
shows is built by scoring.selectors.month_screen.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.submissions import once
from core.web import FIRST_YEAR, apply_validation_error, scoped
from members.scope import get_branch, official_of, require_points_clerk, require_secretary
from scoring import hooks, selectors, services
from scoring.forms import ClearingForm, CloseMonthForm, DeclarationForm, DeductionForm, ReviewForm
from scoring.models import Declaration

FORMS = {"declaration": DeclarationForm, "deduction": DeductionForm, "clearing": ClearingForm}
NO_RULES = "{year}年的积分细则尚未发布，请联系县委组织部。"


def _check_month(year: int, month: int) -> None:
    """The month must exist and not be in the future."""
    today = timezone.localdate()
    if not 1 <= month <= 12 or (year, month) > (today.year, today.month):
        raise Http404


def _month_url(branch, year, month) -> str:
    return reverse("month", args=[branch.pk, year, month])


@scoped(get_branch, "GET")
def month_current(request, branch):
    today = timezone.localdate()
    return redirect("month", pk=branch.pk, year=today.year, month=today.month)


def _page(request, branch, year: int, month: int, forms: dict | None = None):
    """The month screen, with ``forms`` as typed when a POST was refused."""
    _check_month(year, month)
    official = official_of(request)
    links = selectors.month_links(year, month, today=timezone.localdate())
    if (year, month) == (FIRST_YEAR, 1):
        links["prev"] = None
    screen = selectors.month_screen(branch, year, month)
    context = {
        "branch": branch,
        "year": year,
        "month": month,
        "months": links,
        "extra_links": hooks.links(hooks.month_links, branch, year, month),
    }
    if screen is None:
        context["no_rules"] = NO_RULES.format(year=year)
        return render(request, "scoring/month.html", context)
    can_enter = official.can_enter_points(branch) and screen.is_open
    is_secretary = official.is_secretary_of(branch)
    forms = dict(forms or {})
    if can_enter:
        for name, form_class in FORMS.items():
            if name == "clearing" and not is_secretary:
                continue
            forms.setdefault(
                name,
                form_class(
                    members=screen.members,
                    items=screen.items_by_kind[form_class.item_kind],
                    initial={"occurred_on": screen.default_date},
                    prefix=name,
                ),
            )
        if is_secretary:
            forms.setdefault(
                "close", CloseMonthForm(initial={"meeting_date": timezone.localdate()})
            )
    context.update(
        branch_month=screen.branch_month,
        rule_set=screen.rule_set,
        quarter=screen.quarter,
        rows=screen.rows,
        members=screen.members,
        items_by_kind=screen.items_by_kind,
        waiting=screen.waiting,
        totals=screen.totals,
        forms=forms,
        can_enter=can_enter,
        is_secretary=is_secretary,
    )
    return render(request, "scoring/month.html", context)


@scoped(get_branch, "GET")
def month_screen(request, branch, year, month):
    return _page(request, branch, year, month)


def _entry(request, branch, year, month, *, kind: str):
    """POST of one of the three quick-entry forms; on error the month screen is shown again with
    the form as typed and the message next to the field."""
    official = require_points_clerk(request, branch)
    if kind == "clearing":
        require_secretary(request, branch)
    _check_month(year, month)
    screen = selectors.month_screen(branch, year, month)
    if screen is None:
        messages.error(request, NO_RULES.format(year=year))
        return redirect(_month_url(branch, year, month))
    form_class = FORMS[kind]
    form = form_class(
        request.POST,
        request.FILES or None,
        members=screen.members,
        items=screen.items_by_kind[form_class.item_kind],
        prefix=kind,
    )
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "member": data["member"],
            "branch": branch,
            "year": year,
            "month": month,
            "item": data["item"],
            "occurred_on": data["occurred_on"],
            "confirm_duplicate": data["confirm_duplicate"],
            "by": official.user,
        }
        try:
            if kind == "declaration":
                services.declaration_create(
                    **common,
                    description=data["description"],
                    points=data["points"],
                    photo=data["photo"],
                )
                done = f"已录入{data['member'].name}的申报：{data['item'].code}。"
            elif kind == "deduction":
                entry = services.deduction_record(**common, reason=data["reason"])
                done = f"已登记{data['member'].name}扣分：{entry.item.code} {entry.points} 分。"
            else:
                services.clearing_record(
                    **common, reason=data["reason"], confirmed=data["confirmed"]
                )
                done = f"已登记{data['member'].name}的清除全年积分事项。"
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, done)
            return redirect(_month_url(branch, year, month) + f"#entry-{kind}")
    return _page(request, branch, year, month, forms={kind: form})


@scoped(get_branch, "POST")
@once
def declaration_create(request, branch, year, month):
    return _entry(request, branch, year, month, kind="declaration")


@scoped(get_branch, "POST")
@once
def deduction_create(request, branch, year, month):
    return _entry(request, branch, year, month, kind="deduction")


@scoped(get_branch, "POST")
@once
def clearing_create(request, branch, year, month):
    return _entry(request, branch, year, month, kind="clearing")


@scoped(get_branch, "POST")
def declarations_approve(request, branch, year, month):
    official = require_points_clerk(request, branch)
    _check_month(year, month)
    ids = [int(i) for i in request.POST.getlist("declaration") if i.isdigit()]
    if not ids:
        messages.warning(request, "请先勾选要通过的申报。")
        return redirect(_month_url(branch, year, month))
    branch_month = services.month_view(branch=branch, year=year, month=month)
    if branch_month is None or branch_month.pk is None:
        raise Http404
    try:
        count = services.declarations_approve_many(
            branch_month=branch_month, declaration_ids=ids, by=official.user
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已通过 {count} 条申报。")
    return redirect(_month_url(branch, year, month))


@scoped(get_branch, "POST")
def month_close(request, branch, year, month):
    official = require_secretary(request, branch)
    _check_month(year, month)
    branch_month = services.month_view(branch=branch, year=year, month=month)
    if branch_month is None:
        raise Http404
    form = CloseMonthForm(request.POST)
    if form.is_valid():
        try:
            services.month_close(
                branch_month=branch_month,
                meeting_date=form.cleaned_data["meeting_date"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{year}年{month}月已结账。")
            return redirect(_month_url(branch, year, month))
    return _page(request, branch, year, month, forms={"close": form})


def get_declaration(request, pk) -> Declaration:
    return get_object_or_404(
        Declaration.objects.visible_to(request.user).select_related(
            "member", "branch__township", "item", "created_by"
        ),
        pk=pk,
    )


@scoped(get_declaration, "GET", "POST")
def declaration_review(request, declaration):
    # Everyone who sees the branch may read the record; only the branch committee decides.
    official = official_of(request)
    if request.method == "POST":
        require_points_clerk(request, declaration.branch)
    form = ReviewForm(request.POST or None, initial={"points": declaration.points_claimed})
    back = _month_url(declaration.branch, declaration.year, declaration.month)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == ReviewForm.APPROVE:
                services.declaration_approve(
                    declaration=declaration,
                    by=official.user,
                    points=data["points"],
                    reason=data["reason"],
                )
                messages.success(request, f"已通过{declaration.member.name}的申报。")
            else:
                services.declaration_return(
                    declaration=declaration, by=official.user, reason=data["reason"]
                )
                messages.success(request, f"已退回{declaration.member.name}的申报。")
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect(back)
    return render(
        request,
        "scoring/declaration_review.html",
        {
            "declaration": declaration,
            "form": form,
            "logs": declaration.logs.select_related("by"),
            "can_review": official.can_enter_points(declaration.branch),
            "back": back,
        },
    )


@scoped(get_declaration, "GET")
def declaration_photo(request, declaration):
    """The photo, served only to people who may see the declaration (not a public media URL)."""
    if not declaration.photo:
        raise Http404
    content_type = "image/png" if declaration.photo.name.endswith(".png") else "image/jpeg"
    return FileResponse(declaration.photo.open("rb"), content_type=content_type)
