"""Time the roster import at county scale: 4,538 rows parsed and applied into a fresh branch.

Runs three times, each inside a transaction that is rolled back, so the database is left as it
was. Prints the median seconds for parse_roster and for apply_roster.
"""

from __future__ import annotations

import datetime
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.data import TOTAL_RURAL_MEMBERS
from devtools.synthetic import build_roster_file
from members import roster
from members.models import Branch, County, Member, Township


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time parsing and applying a 4,538-row roster import (3 runs, rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=TOTAL_RURAL_MEMBERS)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, rows: int, runs: int, **options):
        today = datetime.date.today()
        stream = build_roster_file(rows, today=today)
        self.stdout.write(f"{rows} rows, file {stream.size / 1024:.0f} KB")
        parse_times, apply_times = [], []
        for run in range(1, runs + 1):
            try:
                with transaction.atomic():
                    county = County.objects.create(name=f"计时县{run}-{time.time_ns()}")
                    township = Township.objects.create(county=county, name="计时乡")
                    branch = Branch.objects.create(township=township, name="计时村")
                    roster.check_upload(stream)
                    started = time.perf_counter()
                    preview = roster.parse_roster(stream, branch)
                    parse_times.append(time.perf_counter() - started)
                    if preview.has_errors:
                        raise SystemExit("\n".join(preview.errors[:10]))
                    started = time.perf_counter()
                    result = roster.apply_roster(preview, branch, None)
                    apply_times.append(time.perf_counter() - started)
                    assert Member.objects.filter(branch=branch).count() == result.created == rows
                    self.stdout.write(
                        f"run {run}: parse {parse_times[-1]:.2f} s, apply {apply_times[-1]:.2f} s"
                    )
                    raise Rollback
            except Rollback:
                pass
        self.stdout.write(
            f"median over {runs} runs: parse {statistics.median(parse_times):.2f} s, "
            f"apply {statistics.median(apply_times):.2f} s"
        )
