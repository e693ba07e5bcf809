"""The member's own points card behind the QR code: the one page open without logging in.

Whoever holds the link (the member, their family) sees that one member's card for the year,
read-only: name, branch, category, card number, month-by-month points with the running total, the
year's total and the projected grade, and the items behind the points. Never the ID number, phone
or birth date, never the free-text reasons or who entered them (the page may be shown around the
family), and nothing about any other member. An unknown and a revoked link answer the same 404.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_not_required
from django.db.models import Min
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.web import FIRST_YEAR, LAST_YEAR, methods
from members.models import CardLink, Member, RollPeriod
from scoring import hooks, versions
from scoring.cards import card_for, panels_for
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
    """Years with published rules in the member's county, from the member's first year on a roll
    to this year."""
    first_start = RollPeriod.objects.filter(member=member).aggregate(first=Min("start"))["first"]
    if first_start is None:
        return []
    published = RuleSet.objects.filter(
        county__townships__branches=member.branch_id,
        status=RuleSet.Status.PUBLISHED,
        year__gte=first_start.year,
        year__lte=today.year,
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
    """The member's own ledger lines as the card link may show them (DOMAIN §5): contribution
    items by name; deductions only as one total per month (违规扣分 −5), never the item or the
    reason; corrections as 积分更正. No reasons, no authors. (A cleared year shows nothing but
    积分清零: the view leaves the lines out.)"""
    rows: list[dict] = []
    deductions: dict[int, dict] = {}
    entries = (
        PointsEntry.objects.filter(member=member, year=year)
        .exclude(kind=PointsEntry.Kind.CLEARING)
        .order_by("month", "created_at", "pk")
        .values_list("month", "kind", "points", "item__name")
    )
    for month, kind, points, item_name in entries:
        if kind == PointsEntry.Kind.DEDUCTION:
            if month not in deductions:
                deductions[month] = {"month": month, "kind": kind, "label": "违规扣分", "points": 0}
                rows.append(deductions[month])
            deductions[month]["points"] += points
        elif kind == PointsEntry.Kind.CORRECTION:
            rows.append({"month": month, "kind": kind, "label": "积分更正", "points": points})
        else:
            rows.append({"month": month, "kind": kind, "label": item_name, "points": points})
    return rows


@login_not_required
@methods("GET")
def card_public(request, token):
    member = _member_for_token(token)
    today = timezone.localdate()
    offered = _years_offered(member, today)
    year = _requested_year(request, today, offered)
    context = {
        "member": member,
        "year": year,
        "current_year": today.year,
        "other_years": [y for y in offered if y != year],
        "card": None,
        "panels": panels_for(member),
        "extra_links": hooks.links(hooks.card_public_links, member, token),
    }
    in_force = versions.in_force_by_branch([member.branch_id], year)
    if in_force[member.branch_id] is not None:
        card = card_for(member, year, today=today, in_force=in_force)
        so_far = None
        if year == today.year:
            so_far = {"month": today.month, "points": card.months[today.month - 1].running}
        context.update(
            card=card,
            so_far=so_far,
            has_future_months=any(m.future and m.on_roll for m in card.months),
            entries=[] if card.result.cleared else _entry_rows(member, year),
        )
    response = render(request, "scoring/card_public.html", context)
    # The token is in the URL: never send it on as a Referer, never keep the page in a cache
    # (a shared phone, a proxy), never let a search engine index it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response
