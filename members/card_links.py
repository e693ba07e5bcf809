"""The QR code on a member's points card: issuing, reissuing and revoking its public link.

A `CardLink` is a random token; `/c/<token>/` shows that member's own card to whoever holds it,
without logging in (see `scoring.public_views`). The branch secretary issues it, reissues it
when a card is lost (the old QR stops working at once) and revokes it. Links are never deleted.
"""

from __future__ import annotations

import functools

import segno
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from members.models import CardLink, Member

QR_SIZE_MM = 25  # printed size: large enough for any phone camera, small enough for the card
QR_BORDER = 2  # quiet zone in modules; the card around it is white as well


def card_link_path(link: CardLink) -> str:
    return reverse("card_public", args=[link.token])


def active_link(member: Member) -> CardLink | None:
    return CardLink.objects.active().filter(member=member).first()


def active_token_subquery() -> Subquery:
    """The member's active token (or NULL), to annotate a member query without extra queries."""
    return Subquery(CardLink.objects.active().filter(member=OuterRef("pk")).values("token")[:1])


def _refuse_unless_active(member: Member) -> None:
    if member.status != Member.Status.ACTIVE:
        raise ValidationError(f"{member.name}已不在册，不能生成积分卡二维码。")


def _create(member: Member, by) -> CardLink:
    """Insert a new active link; the partial unique constraint refuses a second active one."""
    try:
        with transaction.atomic():
            return CardLink.objects.create(member=member, created_by=by)
    except IntegrityError as error:
        raise ValidationError("二维码刚刚被其他人更新过，请刷新页面后再试。") from error


@transaction.atomic
def card_link_for(*, member: Member, by) -> CardLink:
    """The member's active link, created if there is none."""
    if link := active_link(member):
        return link
    _refuse_unless_active(member)
    try:
        return _create(member, by)
    except ValidationError:
        # Someone issued one between our read and our insert: theirs is the answer.
        if link := active_link(member):
            return link
        raise


@transaction.atomic
def card_link_revoke(*, member: Member, by) -> bool:
    """Stop the member's active link. False when there was none (already revoked)."""
    revoked = (
        CardLink.objects.active()
        .filter(member=member)
        .update(revoked_at=timezone.now(), revoked_by=by)
    )
    return revoked > 0


@transaction.atomic
def card_link_reissue(*, member: Member, by) -> CardLink:
    """Revoke the active link (the old QR stops working immediately) and issue a new one."""
    _refuse_unless_active(member)
    card_link_revoke(member=member, by=by)
    return _create(member, by)


@transaction.atomic
def card_links_issue_missing(*, branch, by) -> int:
    """Issue a link to every member on the branch's roll who has none. Returns how many."""
    members = list(
        branch.members.filter(status=Member.Status.ACTIVE)
        .exclude(pk__in=CardLink.objects.active().values("member_id"))
        .values_list("pk", flat=True)
    )
    links = [CardLink(member_id=pk, created_by=by) for pk in members]
    # A link issued concurrently for one of these members wins; this one is skipped.
    CardLink.objects.bulk_create(links, ignore_conflicts=True)
    return len(links)


@functools.lru_cache(maxsize=512)
def qr_svg(url: str, size_mm: float = QR_SIZE_MM) -> SafeString:
    """The QR code of `url` as inline SVG, `size_mm` wide, for screen and print.

    Plain attributes only (fill, stroke, width, viewBox): no style attribute and no <style>
    element, so the page's Content-Security-Policy (style-src 'self') does not block it.
    Cached: the same link always gives the same picture, and a sheet of 60 cards redraws many.
    """
    code = segno.make(url, error="m", micro=False)
    width = code.symbol_size(border=QR_BORDER)[0]
    svg = code.svg_inline(
        scale=size_mm / width,
        border=QR_BORDER,
        unit="mm",
        svgclass="qr",
        lineclass=None,
        light="#fff",
        title="积分卡二维码",
    )
    # segno's own markup: the URL is encoded in the path data, never embedded as text.
    return mark_safe(svg)


def card_link_panel(request, member: Member) -> dict | None:
    """What the member page's "积分卡二维码" section needs; None unless the viewer is the
    secretary of the member's branch (only they see, issue and revoke the link)."""
    official = getattr(request.user, "official", None)
    if official is None or not official.is_secretary_of(member.branch):
        return None
    link = active_link(member)
    url = request.build_absolute_uri(card_link_path(link)) if link else ""
    return {
        "link": link,
        "url": url,
        "qr": qr_svg(url) if link else "",
        "can_issue": member.status == Member.Status.ACTIVE,
    }
