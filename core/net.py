"""The client's address as the login throttle sees it.

Behind a reverse proxy every request comes from the proxy's address, so throttling by
REMOTE_ADDR would lock a user out everywhere once someone, anywhere, guessed their password five
times. X-Forwarded-For carries the real address, but a client can send that header too: only
the entries added by proxies we run can be believed. Each trusted proxy appends the address it
received the request from, so with N trusted proxies the client is the N-th entry from the
right; anything further left was written by the client and is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

__all__ = ["client_ip"]


def client_ip(request) -> str | None:
    """The address of whoever connected to the first trusted proxy (REMOTE_ADDR without one).

    ``settings.TRUSTED_PROXY_COUNT`` is the number of proxies in front of the app that append to
    X-Forwarded-For (nginx with ``$proxy_add_x_forwarded_for``: 1). A request that did not pass
    through all of them (too few entries), or whose entry is not an address, is taken at its
    REMOTE_ADDR, which the client cannot forge.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < trusted:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return remote
