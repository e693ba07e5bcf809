"""Locked-out logins of a county's officials, and lifting a lock early.

django-axes records failed logins per (user name, address) and locks a pair for 30 minutes at
the limit. A county admin sees the locks on their own county's officials (never another
county's, never user names that belong to nobody) and may lift one after checking with the
person, e.g. by phone, instead of waiting or asking for the Django admin.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from members.models import County, Official

__all__ = ["Lockout", "county_lockouts", "county_usernames", "unlock"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lockout:
    username: str
    official: Official
    ip_address: str | None
    failures: int
    last_attempt: datetime.datetime
    until: datetime.datetime | None


def county_usernames(county: County) -> dict[str, Official]:
    """User name → Official for everyone working in ``county`` (county, township, branch)."""
    officials = Official.objects.filter(
        Q(county=county) | Q(township__county=county) | Q(branch__township__county=county)
    ).select_related("user", "county", "township", "branch__township")
    return {official.user.get_username(): official for official in officials}


def county_lockouts(county: County) -> list[Lockout]:
    """The (user name, address) pairs of the county's officials that are locked right now."""
    officials = county_usernames(county)
    attempts = AccessAttempt.objects.filter(
        username__in=list(officials), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return [
        Lockout(
            username=attempt.username,
            official=officials[attempt.username],
            ip_address=attempt.ip_address,
            failures=attempt.failures_since_start,
            last_attempt=attempt.attempt_time,
            until=attempt.attempt_time + cool_off if cool_off is not None else None,
        )
        for attempt in attempts.order_by("username", "-attempt_time")
    ]


def unlock(*, county: County, username: str, by) -> int:
    """Lift every lock on ``username`` (one of the county's officials): the number of records
    removed. Anyone else's name raises LookupError (the view answers 404)."""
    if username not in county_usernames(county):
        raise LookupError(username)
    removed = reset(username=username)
    log.warning("login lock on %r lifted by %s (%d records)", username, by, removed)
    return removed
