"""The member's own points card behind the QR code, and the secretary's controls for that link.

`card_public` is the only page of the project open without logging in. Whoever holds the link
(the member, their family) sees that one member's card for the year, read-only: name, branch,
category, card number, month-by-month points with the running total, the year's total and the
projected grade, and the items behind the points. Never the ID number, phone or birth date,
never the free-text reasons or who entered them (the page may be shown around the family), and
nothing about any other member. An unknown and a revoked link answer the same 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Min
from django.http import Http404, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from members.card_links import (
    card_link_for,
    card_link_reissue,
    card_link_revoke,
    card_links_issue_missing,
)
from members.models import CardLink, Member, RollPeriod
from members.scope import get_branch, get_member, require_secretary
from scoring import ledger
from scoring.card_views import FIRST_YEAR, LAST_YEAR, _build_card
from scoring.models import PointsEntry, RuleSet

TOKEN_MAX_LENGTH = CardLink._meta.get_field("token").max_length


def _member_for_token(token: str) -> Member:
    """The member whose ACTIVE link this is; unknown and revoked links are the same 404."""
    if len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    member = (
        Member.objects.with_current_category()
        .select_related("branch__township")
        .filter(card_links__token=token, card_links__revoked_at__isnull=True)
        .first()
    )
    if member is None:
        raise Http404
    return member


def _years_offered(member: Member, today: datetime.date) -> list[int]:
    """Years with published rules, from the member's first year on a roll to this year."""
    first_start = RollPeriod.objects.filter(member=member).aggregate(first=Min("start"))["first"]
    if first_start is None:
        return []
    published = RuleSet.objects.filter(
        status=RuleSet.Status.PUBLISHED, year__gte=first_start.year, year__lte=today.year
    )
    return sorted(set(published.values_list("year", flat=True)), reverse=True)


def _requested_year(request, today: datetime.date, offered: list[int]) -> int:
    """This year by default; `?year=` may ask for an earlier year that had rules, nothing else."""
    raw = request.GET.get("year")
    if raw is None or raw == str(today.year):
        return today.year
    try:
        year = int(raw)
    except ValueError:
        raise Http404 from None
    if not FIRST_YEAR <= year <= LAST_YEAR or year not in offered:
        raise Http404
    return year


def _entry_rows(member: Member, year: int) -> list[dict]:
    """The member's own ledger lines as month, label and points: no reasons, no authors.

    A clearing item shows only the generic "积分清零" marker (as on the public notice), not
    which item it was; deductions and contributions show the item's name from the rules.
    """
    rows = []
    entries = (
        PointsEntry.objects.filter(member=member, year=year)
        .order_by("month", "created_at", "pk")
        .values_list("month", "kind", "points", "item__name")
    )
    for month, kind, points, item_name in entries:
        if kind == PointsEntry.Kind.CLEARING:
            label = "积分清零"
        elif kind == PointsEntry.Kind.CORRECTION:
            label = "积分更正"
        else:
            label = item_name
        rows.append({"month": month, "kind": kind, "label": label, "points": points})
    return rows


@login_not_required
def card_public(request, token):
    member = _member_for_token(token)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    today = timezone.localdate()
    offered = _years_offered(member, today)
    year = _requested_year(request, today, offered)
    context = {
        "member": member,
        "year": year,
        "current_year": today.year,
        "other_years": [y for y in offered if y != year],
        "card": None,
    }
    rule_set = RuleSet.in_force(year)
    if rule_set is not None:
        card = _build_card(
            rule_set.scoring_rules(),
            ledger.member_years([member.pk], year)[member.pk],
            member=member,
            branch=member.branch,
            year=year,
            today=today,
        )
        so_far = None
        if year == today.year:
            so_far = {"month": today.month, "points": card.months[today.month - 1].running}
        context.update(
            card=card,
            so_far=so_far,
            has_future_months=any(m.future and m.on_roll for m in card.months),
            entries=_entry_rows(member, year),
        )
    response = render(request, "members/card_public.html", context)
    # The token is in the URL: never send it on as a Referer, never keep the page in a cache
    # (a shared phone, a proxy), never let a search engine index it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _member_url(member: Member) -> str:
    return reverse("member", args=[member.pk]) + "#card-link"


def card_link(request, pk):
    """Issue, reissue or revoke a member's card link: the secretary of the member's branch."""
    member = get_member(request, pk)
    require_secretary(request, member.branch)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    action = request.POST.get("action")
    try:
        if action == "issue":
            card_link_for(member=member, by=request.user)
            messages.success(request, f"已为{member.name}生成积分卡二维码。")
        elif action == "reissue":
            card_link_reissue(member=member, by=request.user)
            messages.success(
                request,
                f"已为{member.name}重新生成积分卡二维码，旧二维码已失效，请重新打印积分卡。",
            )
        elif action == "revoke":
            if card_link_revoke(member=member, by=request.user):
                messages.success(request, f"已停用{member.name}的积分卡二维码。")
            else:
                messages.info(request, f"{member.name}的积分卡二维码已经停用。")
        else:
            return HttpResponseBadRequest("未知操作。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect(_member_url(member))


def card_links_issue_all(request, pk):
    """Issue a card link to every member on the branch's roll who has none (the secretary)."""
    branch = get_branch(request, pk)
    require_secretary(request, branch)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        year = timezone.localdate().year
    created = card_links_issue_missing(branch=branch, by=request.user)
    if created:
        messages.success(request, f"已为 {created} 名党员生成积分卡二维码。")
    else:
        messages.info(request, "本支部在册党员都已有积分卡二维码。")
    return redirect("branch_cards_print", pk=branch.pk, year=year)
