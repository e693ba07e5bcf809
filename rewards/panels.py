"""The spendable balance on the member's own card page (registered in scoring.cards.card_panels:
scoring must not import rewards)."""

from __future__ import annotations

from rewards.models import BalanceEntry
from rewards.services import balance_of

RECENT = 20  # entries shown: a family checks the last few exchanges, not years of history


def balance_panel(member) -> dict | None:
    """Balance and latest entries, or nothing at all for a member who never had an entry (most
    villages have no shop yet: the card then looks as it always did)."""
    entries = list(
        BalanceEntry.objects.filter(member=member).order_by("-created_at", "-pk")[:RECENT]
    )
    if not entries:
        return None
    return {
        "template": "rewards/card_panel.html",
        "balance": balance_of(member),
        "entries": entries,
    }
