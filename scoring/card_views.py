"""Points card pages (积分卡): the member's year on screen, the printed card that goes home with
the member, a branch's A4 sheet of printed cards, and corrections against closed months.

The arithmetic is `scoring.engine`; the ledger is read through `scoring.ledger`, so every page
costs a fixed number of queries whatever the number of members or entries. Who may see what:
anyone who can see the member sees the card and its entries (inside the system only — the
public never sees this page); only the branch's secretary records corrections.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.submissions import once
from core.web import FIRST_YEAR, LAST_YEAR, apply_validation_error, scoped
from members.card_links import active_token_subquery, qr_svg
from members.models import Branch, CardLink, Member, RollPeriod
from members.scope import get_branch, get_member, official_of, require_secretary
from scoring import ledger, services, versions
from scoring.cards import card_for, cards_for
from scoring.forms_card import CorrectionForm, month_value
from scoring.models import BranchMonth, Declaration, PointsEntry

CARDS_PER_PAGE = 4  # 2 × 2 on an A4 sheet


def _card_qr(request, token: str | None) -> str:
    """The printed card's QR code for an active link's token ("" when there is none)."""
    if not token:
        return ""
    return qr_svg(request.build_absolute_uri(reverse("card_public", args=[token])))


def _no_rules(request, year: int, **context):
    return render(request, "scoring/points_card_missing.html", {"year": year, **context})


def _year_links(year: int, today: datetime.date) -> dict:
    return {
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < today.year and year < LAST_YEAR else None,
    }


@scoped(get_member, "GET")
def points_card(request, member, year):
    """The member's card for the year: months, quarters, the year, and every ledger entry.

    A member who moved keeps the year's points (DOMAIN §3.7): the months on another branch's
    roll show that branch and are read-only here (their corrections are that branch's)."""
    official = official_of(request)
    today = timezone.localdate()
    in_force = versions.in_force_by_branch([member.branch_id], year)
    if in_force[member.branch_id] is None:
        return _no_rules(request, year, member=member, **_year_links(year, today))
    card = card_for(member, year, today=today, in_force=in_force)
    entries = list(
        PointsEntry.objects.filter(member=member, year=year)
        .select_related("item", "created_by__official", "branch")
        .order_by("month", "created_at", "pk")
    )
    waiting, returned = [], []
    for declaration in Declaration.objects.filter(
        member=member,
        year=year,
        status__in=[Declaration.Status.SUBMITTED, Declaration.Status.RETURNED],
    ).select_related("item"):
        if declaration.status == Declaration.Status.SUBMITTED:
            waiting.append(declaration)
        else:
            returned.append(declaration)
    rolls = ledger.roll_branches([member.pk], year).get(member.pk, {})
    branch_ids = set(rolls.values()) | {member.branch_id}
    month_status = {
        (branch_id, month): status
        for branch_id, month, status in BranchMonth.objects.filter(
            branch_id__in=branch_ids, year=year
        ).values_list("branch_id", "month", "status")
    }
    names = dict(Branch.objects.filter(pk__in=branch_ids).values_list("pk", "name"))
    rows = []
    for card_month in card.months:
        branch_id = rolls.get(card_month.month, member.branch_id)
        status = month_status.get((branch_id, card_month.month))
        rows.append(
            {
                "kind": "month",
                "m": card_month,
                "closed": status == BranchMonth.Status.CLOSED,
                "open": status == BranchMonth.Status.OPEN,
                "elsewhere": names[branch_id] if branch_id != member.branch_id else "",
                "month_value": month_value(year, card_month.month),
            }
        )
        if card_month.month % 3 == 0:
            _, name, result = card.quarters[card_month.quarter - 1]
            rows.append({"kind": "quarter", "name": name, "result": result})
    return render(
        request,
        "scoring/points_card.html",
        {
            "member": member,
            "year": year,
            "card": card,
            "rows": rows,
            "entries": entries,
            "other_branches": any(e.branch_id != member.branch_id for e in entries),
            "waiting": waiting,
            "returned": returned,
            "has_future_months": any(m.future and m.on_roll for m in card.months),
            "can_correct": official.is_secretary_of(member.branch),
            **_year_links(year, today),
        },
    )


@scoped(get_member, "GET")
def points_card_print(request, member, year):
    """The card that goes home with the member: no ID number, phone, birth date or reasons."""
    today = timezone.localdate()
    in_force = versions.in_force_by_branch([member.branch_id], year)
    if in_force[member.branch_id] is None:
        return _no_rules(request, year, member=member, **_year_links(year, today))
    token = CardLink.objects.active().filter(member=member).values_list("token", flat=True)
    card = card_for(
        member, year, today=today, in_force=in_force, qr=_card_qr(request, token.first())
    )
    return render(
        request,
        "scoring/points_card_print.html",
        {"member": member, "year": year, "card": card, **_year_links(year, today)},
    )


def _members_on_roll(branch: Branch, year: int):
    """Members on the branch's roll in any month of `year` (one query, no duplicates)."""
    periods = RollPeriod.objects.filter(
        branch=branch, start__lte=datetime.date(year, 12, 1)
    ).filter(Q(end__isnull=True) | Q(end__gte=datetime.date(year, 1, 1)))
    return (
        Member.objects.filter(pk__in=periods.values("member_id"))
        .with_current_category()
        .annotate(card_token=active_token_subquery())
        .order_by("name_sort", "pk")
    )


@scoped(get_branch, "GET")
def branch_cards_print(request, branch, year):
    """An A4 sheet of cards, four to a page, for every member on the branch's roll that year."""
    today = timezone.localdate()
    in_force = versions.in_force_by_branch([branch.pk], year)
    if in_force[branch.pk] is None:
        return _no_rules(request, year, branch=branch, **_year_links(year, today))
    members = list(_members_on_roll(branch, year).select_related("branch__township"))
    cards = cards_for(
        members,
        year,
        today=today,
        in_force=in_force,
        qr=lambda member: _card_qr(request, member.card_token),
    )
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    without_link = sum(
        1
        for m in members
        if not m.card_token and m.status == Member.Status.ACTIVE and m.branch_id == branch.pk
    )
    return render(
        request,
        "scoring/cards_print.html",
        {
            "branch": branch,
            "year": year,
            "pages": pages,
            "count": len(cards),
            "can_issue_links": official_of(request).is_secretary_of(branch),
            "without_link": without_link,
        },
    )


@scoped(get_member, "GET", "POST")
@once
def correction_create(request, member):
    """A correction against one of the branch's closed months (the branch secretary only)."""
    branch = member.branch
    require_secretary(request, branch)
    closed = list(
        BranchMonth.objects.filter(branch=branch, status=BranchMonth.Status.CLOSED)
        .order_by("-year", "-month")
        .values_list("year", "month")
    )
    if request.method == "POST":
        form = CorrectionForm(request.POST, months=closed)
    else:
        wanted = request.GET.get("month", "")
        offered = {month_value(y, m) for y, m in closed}
        form = CorrectionForm(months=closed, initial={"month": wanted if wanted in offered else ""})
    if request.method == "POST" and form.is_valid():
        year, month = form.cleaned_data["month"]
        points = form.cleaned_data["points"]
        try:
            services.correction_record(
                member=member,
                branch=branch,
                year=year,
                month=month,
                points=points,
                reason=form.cleaned_data["reason"],
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                by=request.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"已为{member.name}登记{year}年{month}月的更正：{points:+.2f} 分。"
            )
            return redirect("points_card", pk=member.pk, year=year)
    return render(
        request,
        "scoring/correction_form.html",
        {
            "member": member,
            "form": form,
            "has_closed_months": bool(closed),
            "year": timezone.localdate().year,
        },
    )
