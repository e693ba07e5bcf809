"""The secretary's main screen: one branch, one month (steps 2–3).

Every member on the roll that month with their base share, declarations, deductions and running
quarter total; quick entry of declarations, deductions and clearing items; review; closing the
month. Views are thin: scoped look-up (core.web.scoped), form, service, redirect; what the page
shows is built by scoring.selectors.month_screen.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.models import new_submission_key
from core.submissions import once
from core.web import FIRST_YEAR, apply_validation_error, scoped
from members.scope import get_branch, official_of, require_points_clerk, require_secretary
from scoring import hooks, month_xlsx, selectors, services
from scoring.forms import (
    ActivityForm,
    ClearingForm,
    CloseMonthForm,
    DeclarationEditForm,
    DeclarationForm,
    DeductionForm,
    MeetingForm,
    MonthImportForm,
    ReviewForm,
)
from scoring.models import Declaration, RuleItem

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
                    year=year,
                    month=month,
                ),
            )
        forms.setdefault(
            "activity",
            ActivityForm(
                members=screen.members,
                items=screen.items_by_kind[RuleItem.Kind.BONUS],
                initial={"occurred_on": screen.default_date},
                prefix="activity",
                year=year,
                month=month,
            ),
        )
        forms.setdefault(
            "meeting",
            MeetingForm(
                members=screen.members,
                initial={"held_on": screen.default_date},
                prefix="meeting",
                year=year,
                month=month,
            ),
        )
        if is_secretary:
            forms.setdefault(
                "close", CloseMonthForm(initial={"meeting_date": timezone.localdate()})
            )
    saved = request.GET.get("saved", "")
    for number, row in enumerate(screen.rows, 1):
        row["no"] = number
    # Members with something this month first; the rest folded away (a 40-member month fits in
    # a few phone screens).
    active = [row for row in screen.rows if row["declarations"] or row["entries"]]
    quiet = [row for row in screen.rows if not (row["declarations"] or row["entries"])]
    context.update(
        active_rows=active,
        quiet_rows=quiet,
        saved=int(saved) if saved.isdigit() else None,
        open_kind=request.GET.get("open", ""),
        first_waiting=screen.waiting[0] if screen.waiting else None,
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
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    form_class = FORMS[kind]
    form = form_class(
        request.POST,
        request.FILES or None,
        members=screen.members,
        items=screen.items_by_kind[form_class.item_kind],
        prefix=kind,
        year=year,
        month=month,
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
        saved = ""
        try:
            if kind == "declaration":
                saved = services.declaration_create(
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
            pk = saved.pk if kind == "declaration" else ""
            return _saved(request, branch, year, month, done, kind=kind, pk=pk)
    return _page(request, branch, year, month, forms={kind: form})


def _saved(request, branch, year, month, done: str, *, kind: str, pk="") -> object:
    """Back to the form just used, with the message announced beside it (not off screen at the
    top) and the saved entry highlighted in the table."""
    messages.success(request, done, extra_tags="entry")
    # No #fragment: Chromium blocks autofocus on a page whose URL has one; month.js scrolls.
    query = f"?open={kind}" + (f"&saved={pk}" if pk else "")
    return redirect(_month_url(branch, year, month) + query)


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
                approve_waiting=form.cleaned_data["approve_waiting"],
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
            "member", "branch__township", "item", "created_by__official"
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
        name = declaration.member.name
        try:
            if data["action"] == ReviewForm.APPROVE:
                services.declaration_approve(
                    declaration=declaration,
                    by=official.user,
                    points=data["points"],
                    reason=data["reason"],
                )
                done = f"已通过{name}的申报。"
            elif data["action"] == ReviewForm.RETURN:
                services.declaration_return(
                    declaration=declaration, by=official.user, reason=data["reason"]
                )
                done = f"已退回{name}的申报。"
            else:
                services.declaration_withdraw(
                    declaration=declaration, by=official.user, reason=data["reason"]
                )
                done = f"已撤回{name}的申报。"
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            # Straight on to the next entry waiting, as a committee goes down its list.
            following = selectors.next_waiting(declaration)
            if following is not None:
                messages.success(request, f"{done}下一条待审议：{following.member.name}。")
                return redirect("declaration_review", pk=following.pk)
            messages.success(request, f"{done}本月的申报已全部审议。")
            return redirect(back)
    return render(
        request,
        "scoring/declaration_review.html",
        {
            "declaration": declaration,
            "form": form,
            "logs": declaration.logs.select_related("by__official"),
            "can_review": official.can_enter_points(declaration.branch),
            "waiting_count": selectors.waiting_count(declaration),
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


def _screen_or_refuse(request, branch, year, month):
    _check_month(year, month)
    screen = selectors.month_screen(branch, year, month)
    if screen is None:
        messages.error(request, NO_RULES.format(year=year))
    return screen


@scoped(get_branch, "POST")
@once
def activity_create(request, branch, year, month):
    """One activity for many members: one declaration each, all or none."""
    official = require_points_clerk(request, branch)
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    form = ActivityForm(
        request.POST,
        members=screen.members,
        items=screen.items_by_kind[RuleItem.Kind.BONUS],
        prefix="activity",
        year=year,
        month=month,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.activity_declare(
                branch=branch,
                year=year,
                month=month,
                item=data["item"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                points=data["points"],
                members=data["chosen"],
                confirm_duplicate=data["confirm_duplicate"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            names = "、".join(d.member.name for d in made)
            done = f"已为 {len(made)} 名党员录入{data['item'].code}：{names}。"
            return _saved(request, branch, year, month, done, kind="activity")
    return _page(request, branch, year, month, forms={"activity": form})


@scoped(get_branch, "POST")
@once
def meeting_create(request, branch, year, month):
    """A meeting's roll call; unexcused absences become proposed deductions awaiting review."""
    official = require_points_clerk(request, branch)
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    form = MeetingForm(
        request.POST, members=screen.members, prefix="meeting", year=year, month=month
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_record(
                branch=branch,
                year=year,
                month=month,
                kind=data["kind"],
                held_on=data["held_on"],
                topic=data["topic"],
                attendance=form.attendance(),
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            counts = meeting.counts()
            done = (
                f"已记录{meeting.held_on:%-m月%-d日}{meeting.get_kind_display()}考勤："
                f"出席 {counts['present']}，请假 {counts['excused']}，缺席 {counts['absent']}"
                f"；提出扣分 {counts['proposed']} 条，待支委会审议。"
            )
            return _saved(request, branch, year, month, done, kind="meeting")
    return _page(request, branch, year, month, forms={"meeting": form})


@scoped(get_branch, "POST")
def declarations_approve_all(request, branch, year, month):
    """Approve every entry waiting this month at its declared points."""
    official = require_points_clerk(request, branch)
    _check_month(year, month)
    branch_month = services.month_view(branch=branch, year=year, month=month)
    if branch_month is None or branch_month.pk is None:
        messages.warning(request, "本月没有待审议的申报。")
        return redirect(_month_url(branch, year, month))
    try:
        count = services.declarations_approve_all(branch_month=branch_month, by=official.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        if count:
            messages.success(request, f"已按申报分值通过全部 {count} 条待审议的申报。")
        else:
            messages.warning(request, "本月没有待审议的申报。")
    return redirect(_month_url(branch, year, month))


@scoped(get_declaration, "GET", "POST")
def declaration_edit(request, declaration):
    """Correct a waiting entry before the committee decides (logged like every other step)."""
    official = require_points_clerk(request, declaration.branch)
    back = _month_url(declaration.branch, declaration.year, declaration.month)
    if declaration.status != Declaration.Status.SUBMITTED:
        messages.warning(request, "只有待审议的申报可以修改。")
        return redirect("declaration_review", pk=declaration.pk)
    form = DeclarationEditForm(
        request.POST or None,
        declaration=declaration,
        year=declaration.year,
        month=declaration.month,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.declaration_edit(
                declaration=declaration,
                by=official.user,
                description=data["description"],
                occurred_on=data["occurred_on"],
                points=data.get("points"),
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已修改{declaration.member.name}的申报。")
            return redirect("declaration_review", pk=declaration.pk)
    return render(
        request,
        "scoring/declaration_edit.html",
        {"declaration": declaration, "form": form, "back": back},
    )


# --- The month in and out of Excel ---------------------------------------------------------------

IMPORT_SALT = "scoring.month_import"


@scoped(get_branch, "GET")
def month_export(request, branch, year, month):
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    exporter = month_xlsx.MonthExport(screen, branch=branch, year=year, month=month)
    return exporter.as_response(f"{branch.name}{year}年{month}月积分.xlsx")


@scoped(get_branch, "GET")
def month_template(request, branch, year, month):
    require_points_clerk(request, branch)
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    exporter = month_xlsx.MonthTemplate(screen.members)
    return exporter.as_response(f"{branch.name}{year}年{month}月申报模板.xlsx")


@scoped(get_branch, "GET", "POST")
@once
def month_import(request, branch, year, month):
    """Upload the filled template → preview (row-by-row messages) → confirm: all or nothing."""
    official = require_points_clerk(request, branch)
    screen = _screen_or_refuse(request, branch, year, month)
    if screen is None:
        return redirect(_month_url(branch, year, month))
    context = {
        "branch": branch,
        "year": year,
        "month": month,
        "back": _month_url(branch, year, month),
    }
    form = MonthImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and "payload" in request.POST:
        try:
            rows = signing.loads(request.POST["payload"], salt=IMPORT_SALT, max_age=3600)
        except signing.BadSignature:
            messages.error(request, "预览已过期，请重新上传。")
            return redirect("month_import", pk=branch.pk, year=year, month=month)
        members = {m.pk: m for m in screen.members}
        items = {i.pk: i for i in screen.items_by_kind[RuleItem.Kind.BONUS]}
        try:
            resolved = [
                {
                    **row,
                    "member": members[row["member"]],
                    "item": items[row["item"]],
                    "points": Decimal(row["points"]) if row["points"] else None,
                    "occurred_on": datetime.date.fromisoformat(row["occurred_on"]),
                }
                for row in rows
            ]
        except KeyError:
            messages.error(request, "名册或细则已有变化，请重新上传。")
            return redirect("month_import", pk=branch.pk, year=year, month=month)
        try:
            count = services.declarations_import(
                branch=branch, year=year, month=month, rows=resolved, by=official.user
            )
        except ValidationError as error:
            context.update(form=form, problems=error.messages)
            return render(request, "scoring/month_import.html", context)
        messages.success(request, f"已从 Excel 导入 {count} 条申报，待支委会审议。")
        return redirect(_month_url(branch, year, month))
    if request.method == "POST" and form.is_valid():
        parsed = month_xlsx.parse_month_import(
            form.cleaned_data["file"],
            members=screen.members,
            items=screen.items_by_kind[RuleItem.Kind.BONUS],
            year=year,
            month=month,
        )
        context["parsed"] = parsed
        if not parsed.has_errors:
            context["payload"] = signing.dumps(month_xlsx.payload(parsed), salt=IMPORT_SALT)
            context["confirm_key"] = new_submission_key()
    context["form"] = form
    return render(request, "scoring/month_import.html", context)
