"""`manage.py lapse_balances [--date YYYY-MM-DD]`: the daily job that lapses unspent exchange
points where the branch's exchange rule says so (cron, once a day; see docs/operations.md).

Safe to run any number of times, also two at once: what is due is settled, not added to
(rewards.services.lapse_branch).
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.permissions import system_user
from rewards.services import lapse_due, lapse_year_due


def a_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from error


class Command(BaseCommand):
    help = (
        "Lapse the exchange points credited for years that ended more than a year ago and still "
        "unspent, in branches whose exchange rule says they lapse. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=a_date, default=None, help="run as of this day (default: today)"
        )

    def handle(self, *args, date, **options):
        on = date or timezone.localdate()
        done = lapse_due(on=on, by=system_user())
        entries = sum(len(v) for v in done.values())
        points = -sum((e.points for v in done.values() for e in v), start=0)
        for branch, rows in done.items():
            self.stdout.write(f"{branch.name}: {len(rows)} 人")
        self.stdout.write(
            f"{on}: {lapse_year_due(on)} 年及以前未用完的兑换积分作废 {entries} 笔，共 {points}。"
        )
