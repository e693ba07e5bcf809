"""The oversight pages' "today" and "so far".

``today`` is a module function, called as ``clock.today()``, so that a test can fix the date
for every page at once."""

from __future__ import annotations

import datetime

from django.utils import timezone


def today() -> datetime.date:
    return timezone.localdate()


def reference_month(year: int, on: datetime.date) -> int:
    """The last month counted "so far": this month in the current year, December before."""
    if year > on.year:
        raise ValueError(f"{year}年尚未开始")
    return on.month if year == on.year else 12
