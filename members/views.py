"""Organisation pages: home, county → township → branch drill-down, roster, member pages.

Views are thin: look up through `members.scope`, validate a form, call a service, redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from core import verification
from core.web import apply_validation_error, scoped
from members import services
from members.card_links import card_link_panel
from members.forms import (
    CategoryChangeForm,
    LeaveForm,
    MemberCreateForm,
    MemberForm,
    TransferForm,
)
from members.models import Branch, Member, RollPeriod, Township
from members.scope import (
    get_branch,
    get_county,
    get_member,
    get_township,
    official_of,
    require_roster_manager,
)

ACTIVE = Q(members__status=Member.Status.ACTIVE)


@scoped(get_county, "GET")  # county admins only; everyone else 404, whatever the method
def county(request, county):
    townships = list(
        Township.objects.visible_to(request.user).annotate(
            branch_count=Count("branches", distinct=True)
        )
    )
    # Members on a roll this month: the count the county dashboard shows too.
    on_roll = dict(
        RollPeriod.objects.covering(timezone.localdate())
        .filter(branch__township__county=county)
        .values_list("branch__township")
        .annotate(n=Count("member", distinct=True))
        .order_by()
    )
    for township in townships:
        township.member_count = on_roll.get(township.pk, 0)
    totals = {
        "townships": len(townships),
        "branches": sum(t.branch_count for t in townships),
        "members": sum(t.member_count for t in townships),
    }
    check = verification.last_check()
    context = {
        "county": county,
        "townships": townships,
        "totals": totals,
        "current_year": timezone.localdate().year,
        "ledger_check": check,
        "last_passed": check if check is None or check.ok else verification.last_passed(),
    }
    return render(request, "members/county.html", context)


@scoped(get_township, "GET")
def township(request, township):
    # Members on a roll this month: the count the township dashboard shows too.
    periods = RollPeriod.objects.covering(timezone.localdate())
    branches = township.branches.annotate(
        member_count=Count(
            "roll_periods__member",
            filter=Q(roll_periods__in=periods),
            distinct=True,
        ),
        plaque_count=Count(
            "roll_periods__member",
            filter=Q(roll_periods__in=periods, roll_periods__member__has_plaque=True),
            distinct=True,
        ),
    )
    return render(
        request,
        "members/township.html",
        {
            "township": township,
            "branches": branches,
            "member_total": sum(b.member_count for b in branches),
            "current_year": timezone.localdate().year,
        },
    )


@scoped(get_branch, "GET")
def branch(request, branch):
    show = request.GET.get("show", "active")
    members = branch.members.with_current_category()
    if show != "all":
        members = members.filter(status=Member.Status.ACTIVE)
    members = list(members)
    by_category: dict[str, int] = {}
    for member in members:
        if member.status == Member.Status.ACTIVE:
            by_category[member.current_category] = by_category.get(member.current_category, 0) + 1
    official = official_of(request)
    return render(
        request,
        "members/branch.html",
        {
            "branch": branch,
            "members": members,
            "show": show,
            "by_category": sorted(by_category.items(), key=lambda item: item[0] or ""),
            "can_manage": official.can_manage_roster(branch),
            "current_year": timezone.localdate().year,
        },
    )


@scoped(get_member, "GET")
def member_detail(request, member):
    official = official_of(request)
    return render(
        request,
        "members/member_detail.html",
        {
            "member": member,
            "id_display": member.id_number
            if official.sees_full_id_numbers()
            else member.masked_id_number,
            "category_changes": member.category_changes.select_related("created_by"),
            "roll_periods": member.roll_periods.select_related("branch__township", "created_by"),
            "can_manage": official.can_manage_roster(member.branch),
            "current_year": timezone.localdate().year,
            "card_link": card_link_panel(request, member),
        },
    )


@scoped(get_branch, "GET", "POST")
def member_create(request, branch):
    official = require_roster_manager(request, branch)
    form = MemberCreateForm(request.POST or None, branch=branch, viewer=official)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.member_create(
                branch=branch,
                by=request.user,
                name=data["name"],
                gender=data["gender"],
                id_number=data["id_number"],
                birth_date=data["birth_date"],
                joined_party=data["joined_party"],
                phone=data["phone"],
                has_plaque=data["has_plaque"],
                notes=data["notes"],
                category=data["category"],
                on_roll_from=data["on_roll_from"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已添加党员{member.name}，积分卡号 {member.card_number}。")
            return redirect("member", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "branch": branch})


@scoped(get_member, "GET", "POST")
def member_edit(request, member):
    official = require_roster_manager(request, member.branch)
    form = MemberForm(request.POST or None, instance=member, branch=member.branch, viewer=official)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in MemberForm.Meta.fields}
        try:
            services.member_update(member=member, by=request.user, **fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已保存{member.name}的信息。")
            return redirect("member", pk=member.pk)
    return render(
        request,
        "members/member_form.html",
        {"form": form, "branch": member.branch, "member": member},
    )


@scoped(get_member, "GET", "POST")
def member_category(request, member):
    require_roster_manager(request, member.branch)
    form = CategoryChangeForm(
        request.POST or None, initial={"effective_from": timezone.localdate().replace(day=1)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.category_change(member=member, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已登记{member.name}的类别变更。")
            return redirect("member", pk=member.pk)
    return render(
        request,
        "members/member_action.html",
        {"form": form, "member": member, "title": "变更党员类别", "submit": "保存变更"},
    )


@scoped(get_member, "GET", "POST")
def member_transfer(request, member):
    require_roster_manager(request, member.branch)
    # A secretary may send a member to any branch in the county: receiving branches are not
    # "visible" to them, but the list of the county's branch names is not confidential. Leaving
    # the county is 转出 (member_leave), not a transfer.
    form = TransferForm(
        request.POST or None,
        branches=Branch.objects.filter(township__county=member.branch.township.county_id).exclude(
            pk=member.branch_id
        ),
        initial={"date": timezone.localdate()},
    )
    from_branch_id = member.branch_id
    if request.method == "POST" and form.is_valid():
        try:
            services.member_transfer(member=member, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"{member.name}已转至{form.cleaned_data['to_branch'].full_name}。"
            )
            return redirect("branch", pk=from_branch_id)
    return render(
        request,
        "members/member_action.html",
        {"form": form, "member": member, "title": "组织关系转接", "submit": "确认转出"},
    )


@scoped(get_member, "GET", "POST")
def member_leave(request, member):
    require_roster_manager(request, member.branch)
    if member.status != Member.Status.ACTIVE:
        messages.info(request, f"{member.name}已不在册。")
        return redirect("member", pk=member.pk)
    form = LeaveForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_leave(member=member, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已登记{member.name}离册。")
            return redirect("branch", pk=member.branch_id)
    return render(
        request,
        "members/member_action.html",
        {"form": form, "member": member, "title": "党员离册", "submit": "确认离册"},
    )
