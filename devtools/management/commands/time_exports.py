"""Time the county's annual results export at county scale.

Run on a database built by ``seed_demo`` (a throwaway one: this command writes to it). For a past
year (default 2025) it makes sure the rule set exists, then fabricates — once, with bulk_create —
an approved annual assessment for every branch and a line for each of its members, with plausible
figures, ranks and grades. Then it downloads the county's annual export through the view function
three times and prints the median, the row count, the file size and the number of queries.

    DEBUG=1 DATABASE_URL=sqlite:////tmp/exp.sqlite3 python manage.py migrate
    DEBUG=1 DATABASE_URL=sqlite:////tmp/exp.sqlite3 python manage.py seed_demo
    DEBUG=1 DATABASE_URL=sqlite:////tmp/exp.sqlite3 python manage.py time_exports
"""

from __future__ import annotations

import datetime
import io
import random
import statistics
import time
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from devtools.synthetic import annual_line
from evaluations.export_views import county_results_export
from evaluations.models import Assessment, AssessmentLine, Period
from evaluations.services import rank_lines
from members.models import Branch, Member, Official
from scoring import versions
from scoring.services import ruleset_load_defaults


class Command(BaseCommand):
    help = "Time the county's annual results export (fabricates a past year's assessments once)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, year: int, runs: int, **options):
        county = Official.objects.filter(role=Official.Role.COUNTY).select_related("user").first()
        if county is None:
            raise CommandError("No county official: run `manage.py seed_demo` first.")
        created = fabricate_year(year, by=county.user)
        lines = AssessmentLine.objects.filter(assessment__year=year, assessment__period="Y")
        self.stdout.write(
            f"{year}: {created} assessments fabricated now; "
            f"{Assessment.objects.filter(year=year, period='Y').count()} annual assessments, "
            f"{lines.count()} lines in the database"
        )
        request_factory = RequestFactory()
        url = reverse("county_results_export", args=[year, Period.YEAR])
        timings = []
        for run in range(1, runs + 1):
            request = request_factory.get(url)
            request.user = county.user
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = county_results_export(request, year=year, period=Period.YEAR)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200
            self.stdout.write(
                f"run {run}: {timings[-1]:.2f} s, {len(queries)} queries, "
                f"{len(response.content) / 1024:.0f} KB"
            )
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        rows = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
        self.stdout.write(
            f"county annual export: {rows} rows, median over {runs} runs "
            f"{statistics.median(timings):.2f} s ({response['Content-Disposition']})"
        )


@transaction.atomic
def fabricate_year(year: int, *, by) -> int:
    """An approved annual assessment with lines for every branch that has none for ``year``."""
    done = set(
        Assessment.objects.filter(year=year, period=Period.YEAR).values_list("branch_id", flat=True)
    )
    branches = [
        branch
        for branch in Branch.objects.select_related("township__county")
        if branch.pk not in done
    ]
    if not branches:
        return 0
    # Each county scores with its own rules (DOMAIN §3.8).
    rule_sets = {}
    for county in {branch.township.county for branch in branches}:
        rule_sets[county.pk] = versions.in_force(year, county=county) or ruleset_load_defaults(
            year=year, county=county, by=by
        )
    scoring_rules = {pk: rule_set.scoring_rules() for pk, rule_set in rule_sets.items()}
    county_of = {branch.pk: branch.township.county_id for branch in branches}
    members = defaultdict(list)
    for member in Member.objects.filter(branch__in=branches).with_current_category():
        members[member.branch_id].append(member)
    now = timezone.now()
    meeting = datetime.date(year + 1, 1, 15)
    assessments = Assessment.objects.bulk_create(
        Assessment(
            branch=branch,
            year=year,
            period=Period.YEAR,
            rule_set=rule_sets[branch.township.county_id],
            status=Assessment.Status.APPROVED,
            meeting_date=meeting,
            members_expected=max(len(members[branch.pk]), 1),
            members_present=max(len(members[branch.pk]), 1),
            opened_by=by,
            confirmed_at=now,
            approved_at=now,
        )
        for branch in branches
    )
    rng = random.Random(year)
    lines = []
    for assessment in assessments:
        branch_lines = [
            annual_line(assessment, member, scoring_rules[county_of[assessment.branch_id]], rng)
            for member in members[assessment.branch_id]
        ]
        rank_lines(branch_lines, annual=True)
        lines += branch_lines
    AssessmentLine.objects.bulk_create(lines, batch_size=1000)
    return len(assessments)
