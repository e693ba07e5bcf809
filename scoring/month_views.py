"""The secretary's main screen: one branch, one month (steps 2–3).

Every member on the roll that month with their base share, declarations, deductions and running
quarter total; quick entry of declarations, deductions and clearing items; review; closing the
month. Views are thin: scoped look-up, form, service, redirect.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.web import apply_validation_error
from members.models import Member
from members.scope import get_branch, official_of, require_points_clerk, require_secretary
from scoring import engine, ledger, services
from scoring.forms import (
    ClearingForm,
    CloseMonthForm,
    DeclarationForm,
    DeductionForm,
    ReviewForm,
)
from scoring.models import BranchMonth, Declaration, PointsEntry, RuleItem

FORMS = {"declaration": DeclarationForm, "deduction": DeductionForm, "clearing": ClearingForm}


def _check_month(year: int, month: int) -> datetime.date:
    """The month must exist and not be in the future."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    first = datetime.date(year, month, 1)
    if first > services.current_month():
        raise Http404
    return first


def _month_url(branch, year, month) -> str:
    return reverse("month", args=[branch.pk, year, month])


def month_current(request, pk):
    branch = get_branch(request, pk)
    today = services.current_month()
    return redirect("month", pk=branch.pk, year=today.year, month=today.month)


def _month_context(request, branch, year: int, month: int, forms: dict | None = None) -> dict:
    """Everything the month screen shows. A fixed number of queries whatever the branch size."""
    first = _check_month(year, month)
    official = official_of(request)
    try:
        branch_month = services.month_get_or_open(branch=branch, year=year, month=month)
    except ValidationError as error:
        return {"branch": branch, "year": year, "month": month, "no_rules": error.messages[0]}
    rule_set = branch_month.rule_set
    scoring_rules = rule_set.scoring_rules()

    members = list(Member.objects.on_roll(branch, first).order_by("name_sort", "pk").distinct())
    member_ids = [m.pk for m in members]
    years = ledger.member_years(member_ids, year)
    quarter_so_far = [m for m in engine.quarter_months(engine.quarter_of(month)) if m <= month]
    declarations = list(
        Declaration.objects.filter(branch=branch, year=year, month=month)
        .select_related("item")
        .order_by("occurred_on", "pk")
    )
    entries = list(
        PointsEntry.objects.filter(branch=branch, year=year, month=month)
        .exclude(kind=PointsEntry.Kind.BONUS)
        .select_related("item")
        .order_by("created_at", "pk")
    )
    by_member_declarations: dict[int, list] = {}
    for declaration in declarations:
        by_member_declarations.setdefault(declaration.member_id, []).append(declaration)
    by_member_entries: dict[int, list] = {}
    for entry in entries:
        by_member_entries.setdefault(entry.member_id, []).append(entry)

    rows = []
    for member in members:
        member_year = years[member.pk]
        rows.append(
            {
                "member": member,
                "category": member_year.months.get(month),
                "month": engine.month_result(scoring_rules, member_year, month),
                "quarter": engine.period_result(scoring_rules, member_year, quarter_so_far),
                "declarations": by_member_declarations.get(member.pk, []),
                "entries": by_member_entries.get(member.pk, []),
            }
        )

    items = list(services.active_items(branch=branch, rule_set=rule_set))
    items_by_kind = {kind: [i for i in items if i.kind == kind] for kind in RuleItem.Kind.values}
    can_enter = official.can_enter_points(branch) and branch_month.is_open
    is_secretary = official.is_secretary_of(branch)
    if forms is None:
        forms = {}
    if can_enter:
        default_date = min(timezone.localdate(), _last_day(first))
        for name, form_class in FORMS.items():
            if name == "clearing" and not is_secretary:
                continue
            forms.setdefault(
                name,
                form_class(
                    members=members,
                    items=items_by_kind[form_class.item_kind],
                    initial={"occurred_on": default_date},
                    prefix=name,
                ),
            )
        if is_secretary:
            forms.setdefault(
                "close", CloseMonthForm(initial={"meeting_date": timezone.localdate()})
            )
    waiting = [d for d in declarations if d.status == Declaration.Status.SUBMITTED]
    return {
        "branch": branch,
        "year": year,
        "month": month,
        "quarter": engine.quarter_of(month),
        "branch_month": branch_month,
        "rule_set": rule_set,
        "rows": rows,
        "members": members,
        "items_by_kind": items_by_kind,
        "forms": forms,
        "can_enter": can_enter,
        "is_secretary": is_secretary,
        "waiting": waiting,
        "totals": {
            "members": len(members),
            "declarations": len(declarations),
            "approved": sum(1 for d in declarations if d.status == Declaration.Status.APPROVED),
            "deductions": sum(1 for e in entries if e.kind == PointsEntry.Kind.DEDUCTION),
            "clearing": sum(1 for e in entries if e.kind == PointsEntry.Kind.CLEARING),
        },
        "months": _month_links(year, month),
    }


def _last_day(first: datetime.date) -> datetime.date:
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def _month_links(year: int, month: int) -> dict:
    current = services.current_month()
    prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    return {
        "prev": prev_month,
        "next": next_month if datetime.date(*next_month, 1) <= current else None,
        "all": [(year, m) for m in range(1, 13) if datetime.date(year, m, 1) <= current],
    }


def month_screen(request, pk, year, month):
    branch = get_branch(request, pk)
    context = _month_context(request, branch, year, month)
    return render(request, "scoring/month.html", context)


def _entry_view(request, pk, year, month, *, kind: str):
    """POST of one of the three quick-entry forms; on error the month screen is shown again with
    the form as typed and the message next to the field."""
    branch = get_branch(request, pk)
    official = require_points_clerk(request, branch)
    if kind == "clearing":
        require_secretary(request, branch)
    first = _check_month(year, month)
    if request.method != "POST":
        return redirect(_month_url(branch, year, month))
    try:
        branch_month = services.month_get_or_open(branch=branch, year=year, month=month)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_month_url(branch, year, month))
    members = list(Member.objects.on_roll(branch, first).order_by("name_sort", "pk").distinct())
    form_class = FORMS[kind]
    items = services.active_items(
        branch=branch, rule_set=branch_month.rule_set, kind=form_class.item_kind
    )
    form = form_class(
        request.POST, request.FILES or None, members=members, items=list(items), prefix=kind
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
    context = _month_context(request, branch, year, month, forms={kind: form})
    return render(request, "scoring/month.html", context, status=200)


def deduction_create(request, pk, year, month):
    return _entry_view(request, pk, year, month, kind="deduction")


def clearing_create(request, pk, year, month):
    return _entry_view(request, pk, year, month, kind="clearing")


def declaration_create(request, pk, year, month):
    return _entry_view(request, pk, year, month, kind="declaration")


def declarations_approve(request, pk, year, month):
    branch = get_branch(request, pk)
    official = require_points_clerk(request, branch)
    _check_month(year, month)
    if request.method != "POST":  # after the scope check: out of scope is 404 on any method
        return HttpResponseNotAllowed(["POST"])
    ids = [int(i) for i in request.POST.getlist("declaration") if i.isdigit()]
    if not ids:
        messages.warning(request, "请先勾选要通过的申报。")
        return redirect(_month_url(branch, year, month))
    branch_month = get_object_or_404(BranchMonth, branch=branch, year=year, month=month)
    try:
        count = services.declarations_approve_many(
            branch_month=branch_month, declaration_ids=ids, by=official.user
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已通过 {count} 条申报。")
    return redirect(_month_url(branch, year, month))


def month_close(request, pk, year, month):
    branch = get_branch(request, pk)
    official = require_secretary(request, branch)
    _check_month(year, month)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    branch_month = get_object_or_404(BranchMonth, branch=branch, year=year, month=month)
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
    context = _month_context(request, branch, year, month, forms={"close": form})
    return render(request, "scoring/month.html", context)


def _get_declaration(request, pk) -> Declaration:
    return get_object_or_404(
        Declaration.objects.visible_to(request.user).select_related(
            "member", "branch__township", "item", "created_by"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def declaration_review(request, pk):
    declaration = _get_declaration(request, pk)
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


def declaration_photo(request, pk):
    """The photo, served only to people who may see the declaration (not a public media URL)."""
    declaration = _get_declaration(request, pk)
    if not declaration.photo:
        raise Http404
    content_type = "image/png" if declaration.photo.name.endswith(".png") else "image/jpeg"
    return FileResponse(declaration.photo.open("rb"), content_type=content_type)
