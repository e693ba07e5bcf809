"""Error pages in Chinese, in the site's layout, saying what happened and what to do next.

Wired in `lanxian_points/urls.py` (handler400 … handler500) and `CSRF_FAILURE_VIEW`; Django uses
them when DEBUG is off.

* 404 and 403 render with the request, so a logged-in official keeps the navigation. Out of scope
  answers 404 on purpose (members/scope.py), so the 404 page says "does not exist or you may not
  see it" and never which.
* Anything under /c/ (the member's own card behind the QR code, opened by family members without
  logging in) gets the public variant: no staff navigation, no link into the staff site, and the
  advice to ask the branch secretary for a new card (the link may have been reissued or revoked).
* 400 and 500 render the plain template without the request: no context processors, so no
  database query. If even that fails, a fixed Chinese page is returned.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

PUBLIC_CARD_PREFIX = "/c/"  # scoring/urls.py: "c/<str:token>/", the public points card

FALLBACK_500 = (
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>系统出错 · 岚县党员积分管理</title></head><body>"
    "<h1>系统出错了</h1><p>系统暂时无法完成这个操作，刚才填写的内容可能没有保存。"
    "请稍后再试；如果一直出现，请联系县委组织部。</p></body></html>"
)


def is_public_card_path(request) -> bool:
    return request is not None and request.path_info.startswith(PUBLIC_CARD_PREFIX)


def _page(response_class, template: str, request, *, with_request: bool = True):
    """Render errors/<template>; under /c/ the public variant, sent like the card itself: not
    cached, not indexed, no Referer."""
    public = is_public_card_path(request)
    html = loader.render_to_string(
        f"errors/{template}", {"public": public}, request=request if with_request else None
    )
    response = response_class(html)
    if public:
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
    return response


def page_not_found(request, exception=None):
    return _page(HttpResponseNotFound, "404.html", request)


def permission_denied(request, exception=None):
    return _page(HttpResponseForbidden, "403.html", request)


def bad_request(request, exception=None):
    # Plain: a bad request may have failed before the middleware set up the user or session.
    return _page(HttpResponseBadRequest, "400.html", request, with_request=False)


def server_error(request=None):
    # Plain, and never the database: the error may be the database being down.
    try:
        return _page(HttpResponseServerError, "500.html", request, with_request=False)
    except Exception:
        logger.exception("the 500 page itself failed; sending the fixed one")
        return HttpResponseServerError(FALLBACK_500)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token: mostly a page left open past the session (a
    logout in another tab, a long break), or a browser that refuses cookies."""
    return _page(HttpResponseForbidden, "csrf.html", request)
