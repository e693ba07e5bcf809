"""The secretary's controls for a member's card link (the QR code on the printed card): issue,
reissue, revoke. The public page behind the link is scoring.public_views.card_public."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from core.web import FIRST_YEAR, LAST_YEAR, scoped
from members.card_links import (
    card_link_for,
    card_link_reissue,
    card_link_revoke,
    card_links_issue_missing,
)
from members.models import Branch, Member
from members.scope import get_branch, get_member, require_secretary


def _member_url(member: Member) -> str:
    return reverse("member", args=[member.pk]) + "#card-link"


def _secretarys_member(request, pk) -> Member:
    """The member, for the secretary of their branch only: anyone else gets 404 before any 405."""
    member = get_member(request, pk)
    require_secretary(request, member.branch)
    return member


def _secretarys_branch(request, pk) -> Branch:
    """The branch, for its secretary only: anyone else gets 404 before any 405."""
    branch = get_branch(request, pk)
    require_secretary(request, branch)
    return branch


@scoped(_secretarys_member, "POST")
def card_link(request, member):
    """Issue, reissue or revoke a member's card link: the secretary of the member's branch."""
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


@scoped(_secretarys_branch, "POST")
def card_links_issue_all(request, branch):
    """Issue a card link to every member on the branch's roll who has none (the secretary)."""
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
