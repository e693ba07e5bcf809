"""A published notice shared to the village WeChat group as a public link: exactly what the
printed notice shows (the same sheet, evaluations' build), laid out for a phone; nothing more.
Unknown and revoked links are the same 404; never indexed, cached or passed on as a Referer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render

from core.web import methods
from evaluations.models import Notice
from evaluations.notice_views import _notice_sheet
from posts.models import NoticeShare
from posts.self_views import _private

TOKEN_MAX_LENGTH = NoticeShare._meta.get_field("token").max_length


@login_not_required
@methods("GET")
def notice_shared(request, token):
    if len(token) > TOKEN_MAX_LENGTH:
        raise Http404
    share = (
        NoticeShare.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("notice__assessment__rule_set", "notice__branch__township")
        .first()
    )
    # Only while the notice is posted or kept: a draft never reaches the public.
    if share is None or share.notice.status not in (
        Notice.Status.PUBLISHED,
        Notice.Status.ARCHIVED,
    ):
        raise Http404
    return _private(
        render(request, "posts/notice_shared.html", {"sheet": _notice_sheet(share.notice)})
    )
