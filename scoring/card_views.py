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
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.web import apply_validation_error
from members.card_links import active_token_subquery, qr_svg
from members.models import Branch, CardLink, Member, RollPeriod
from members.scope import (
    get_branch,
    get_member,
    official_of,
    only_methods,
    require_secretary,
)
from scoring import ledger, services
from scoring.cards import build_card
from scoring.forms_card import CorrectionForm, month_value
from scoring.models import BranchMonth, Declaration, PointsEntry, RuleSet

# Years a card can be asked for; outside this range the URL is simply not a page.
FIRST_YEAR, LAST_YEAR = 2000, 2099
CARDS_PER_PAGE = 4  # 2 × 2 on an A4 sheet


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _read_only(request):
    """Read-only pages refuse other methods only AFTER the scope check, so that another
    branch's card answers 404 to a POST as to a GET (see members.scope)."""
    return only_methods(request, "GET", "HEAD")


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


def points_card(request, pk, year):
    """The member's card for the year: months, quarters, the year, and every ledger entry."""
    _check_year(year)
    member = get_member(request, pk)
    if refused := _read_only(request):
        return refused
    official = official_of(request)
    today = timezone.localdate()
    rule_set = RuleSet.in_force(year)
    if rule_set is None:
        return _no_rules(request, year, member=member, **_year_links(year, today))
    card = build_card(
        rule_set.scoring_rules(),
        ledger.member_years([member.pk], year)[member.pk],
        member=member,
        branch=member.branch,
        year=year,
        today=today,
    )
    entries = list(
        PointsEntry.objects.filter(member=member, year=year)
        .select_related("item", "created_by", "branch")
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
    month_status = dict(
        BranchMonth.objects.filter(branch_id=member.branch_id, year=year).values_list(
            "month", "status"
        )
    )
    rows = []
    for card_month in card.months:
        status = month_status.get(card_month.month)
        rows.append(
            {
                "kind": "month",
                "m": card_month,
                "closed": status == BranchMonth.Status.CLOSED,
                "open": status == BranchMonth.Status.OPEN,
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


def points_card_print(request, pk, year):
    """The card that goes home with the member: no ID number, phone, birth date or reasons."""
    _check_year(year)
    member = get_member(request, pk)
    if refused := _read_only(request):
        return refused
    today = timezone.localdate()
    rule_set = RuleSet.in_force(year)
    if rule_set is None:
        return _no_rules(request, year, member=member, **_year_links(year, today))
    token = CardLink.objects.active().filter(member=member).values_list("token", flat=True)
    card = build_card(
        rule_set.scoring_rules(),
        ledger.member_years([member.pk], year)[member.pk],
        member=member,
        branch=member.branch,
        year=year,
        today=today,
        qr=_card_qr(request, token.first()),
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


def branch_cards_print(request, pk, year):
    """An A4 sheet of cards, four to a page, for every member on the branch's roll that year."""
    _check_year(year)
    branch = get_branch(request, pk)
    if refused := _read_only(request):
        return refused
    today = timezone.localdate()
    rule_set = RuleSet.in_force(year)
    if rule_set is None:
        return _no_rules(request, year, branch=branch, **_year_links(year, today))
    scoring_rules = rule_set.scoring_rules()
    members = list(_members_on_roll(branch, year))
    member_years = ledger.member_years([m.pk for m in members], year)
    cards = [
        build_card(
            scoring_rules,
            member_years[member.pk],
            member=member,
            branch=branch,
            year=year,
            today=today,
            qr=_card_qr(request, member.card_token),
        )
        for member in members
    ]
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


@require_http_methods(["GET", "POST"])
def correction_create(request, pk):
    """A correction against one of the branch's closed months (the branch secretary only)."""
    member = get_member(request, pk)
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
