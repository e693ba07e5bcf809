"""A published notice shared to the village WeChat group as a public link: exactly what the
printed notice shows (the same sheet, evaluations' build), laid out for a phone, and the same as
a PNG image or a PDF made on the server (core.render); nothing more. Unknown and revoked links
are the same 404; never indexed, cached or passed on as a Referer."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from core import render as renderer
from core.web import methods
from evaluations.models import Notice
from evaluations.notice_views import _notice_sheet
from posts.models import NoticeShare
from posts.self_views import _private

TOKEN_MAX_LENGTH = NoticeShare._meta.get_field("token").max_length


def _shared_notice(token) -> Notice:
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
    return share.notice


@login_not_required
@methods("GET")
def notice_shared(request, token):
    sheet = _notice_sheet(_shared_notice(token))
    return _private(render(request, "posts/notice_shared.html", {"sheet": sheet, "token": token}))


@login_not_required
@methods("GET")
def notice_shared_file(request, token, kind):
    """The PNG (phone width) or the PDF (A4, as printed) of the shared notice. The page rendered
    is the shared page without its download links, so the file carries the sheet alone."""
    notice = _shared_notice(token)
    sheet = _notice_sheet(notice)
    html = render_to_string("posts/notice_shared.html", {"sheet": sheet, "rendering": True})
    try:
        data = renderer.png(html) if kind == "png" else renderer.pdf(html)
    except renderer.RenderError as error:
        response = render(
            request,
            "posts/notice_render_failed.html",
            {"sheet": sheet, "token": token, "message": str(error)},
            status=503,
        )
        return _private(response)
    response = HttpResponse(data, content_type="image/png" if kind == "png" else "application/pdf")
    filename = f"{notice.title}.{kind}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return _private(response)
