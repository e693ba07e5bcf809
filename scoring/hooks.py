"""Where apps built on scoring add a link to scoring's pages without scoring importing them
(the dependency runs one way: posts imports scoring, never the reverse). An app appends its
callables from its AppConfig.ready(); each returns a (label, url) pair, or None to add nothing."""

from __future__ import annotations

from collections.abc import Callable

# (member, token) → a link on the member's public card page (the QR code's page).
card_public_links: list[Callable[..., tuple[str, str] | None]] = []
# (branch, year, month) → a link on the branch's month screen.
month_links: list[Callable[..., tuple[str, str] | None]] = []


def links(registry, *args) -> list[tuple[str, str]]:
    return [link for hook in registry if (link := hook(*args))]
