"""`manage.py bench`: latency and query counts of the main pages, at county and province scale.

Not a timed test: a command that builds a fresh database per target (the demo county with a year
of activity, see ``seed_demo``), measures each main page warm through the Django test client, and
writes one table to ``docs/benchmarks.md``.

How it runs:

* **Parent** (:func:`run_bench`): for each target (SQLite file under /tmp, or a PostgreSQL
  database created with psycopg) it creates a fresh database, re-executes ``manage.py bench
  --worker`` in a subprocess with ``DATABASE_URL`` pointing at it (the settings read it), collects
  the JSON the worker writes, drops the database (unless ``--keep``), prints one table and writes
  it with the machine it ran on.
* **Worker** (:func:`run_worker`): ``migrate`` + ``seed_demo`` (one county, or N counties for the
  province scale, one ``seed_demo --force`` per county), :func:`prepare` (a 150-member branch
  with its year, and whatever the demo lacks: assessments, a notice, card links, last year's
  annual lines), ``VACUUM ANALYZE`` on PostgreSQL, ``collectstatic`` into a temporary directory
  (the manifest storage of DEBUG=0), then :func:`measure`. ``--skip-build`` measures a database
  kept by an earlier ``--keep`` run (applying new migrations first).
* **Measuring** (:func:`measure`, also run by the test suite on a tiny demo): every page is
  requested as the demo user of its role (``force_login``), over HTTPS (``secure=True``, as
  DEBUG=0 redirects plain HTTP), 2 warm-up requests then ``repeat`` timed ones (fewer if a page
  exhausts the time budget), median and p95 (nearest rank) in ms; the query count comes from one
  more request (every statement, savepoints included), so counting does not slow the timed ones. The
  trivial baseline is Django's own login form (``/accounts/login/``, anonymous): the ratio column
  is a page's median over the baseline's median in the same run, which compares across machines.
* **The counter** is measured as the demo shopkeeper works it: the card-number look-up POST (the
  balance page) and the redemption POST, the latter inside a transaction that is rolled back, so
  each run redeems from the same balance and stock (target: at most 10× the baseline's median).
  The statements (a shop's month, a township's fund year, the county's overview of every shop
  and fund) are read by the county admin (target: under 1 s).

At province scale the demo logins exist for county 1 (岚县) only, so county 1's pages are
measured: its county admin sees that county's 9 townships among the 100 in the database.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from demo import county as demo
from demo.data import COUNTY_NAME, TOTAL_RURAL_MEMBERS, VILLAGE_COUNT
from demo.year import seed_year_activity
from evaluations import services as evaluation_services
from evaluations.models import Assessment, AssessmentLine, Notice, Period
from members import roster
from members.card_links import card_links_issue_missing
from members.models import Branch, County, Member, Official, Township
from members.permissions import system_user
from rewards import services as rewards_services
from rewards.models import Goods, Shop
from scoring import versions
from scoring.models import BranchMonth, Declaration, PointsEntry
from scoring.services import ruleset_load_defaults

# --- targets (a 2-core machine) ---------------------------------------------------------------

BRANCH_MS = 100  # every branch page, median
TOWNSHIP_DASHBOARD_MS = 200
COUNTY_DASHBOARD_MS = {"county": 300, "province": 500}
COUNTY_EXPORT_MS = 3000
STATEMENTS_MS = 1000  # a county's shop and red-fund statements
REDEEM_TIMES_BASELINE = 10  # the counter's redemption POST, against the trivial page's median
SHOPKEEPER = "shop"  # the demo's shopkeeper (demo.rewards)

DEFAULT_SQLITE = "sqlite:////tmp/lanxian-bench-county.sqlite3"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/lanxian_bench_{scale}"
BENCH_SECRETARY = "bench-secretary"  # the big branch's secretary, made by prepare()
BIG_BRANCH_SIZE = 150  # members of the big branch prepare() builds
BIG_COUNTY = demo.MAX_COUNTIES  # its township is "…（999）": no demo county collides
OBJECTION_CHANNEL = "党支部书记，村委会办公室，电话 0358-6521234"
MARK_BEGIN = (
    "<!-- bench:begin — generated by `manage.py bench`; text outside the markers is kept -->"
)
MARK_END = "<!-- bench:end -->"

# --- what is measured --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    who: str  # the username to log in as; "" = anonymous
    url: str | None  # None: not measurable in this database (see note)
    kind: str  # baseline, home, branch, township, county, export, county_export, import, floor
    note: str = ""
    compare: str = ""  # pages of one group must cost the same queries whatever the size
    # A POST: its form data, built afresh for each request; what it writes is rolled back, so
    # every run finds the same balance and stock. ``ok`` is the status of a success.
    post: Callable[[], dict] | None = None
    ok: int = 200


@dataclass
class Row:
    key: str
    label: str
    kind: str
    who: str = ""
    url: str | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    runs: int = 0
    queries: int | None = None
    status: int | None = None
    size_bytes: int | None = None
    note: str = ""
    target_ms: float | None = None
    verdict: str = ""  # PASS, MISS, ERROR, n/a or "" (no target)
    compare: str = ""

    @property
    def measured(self) -> bool:
        return self.median_ms is not None


def target_for(kind: str, scale: str) -> float | None:
    return {
        "branch": BRANCH_MS,
        "township": TOWNSHIP_DASHBOARD_MS,
        "county": COUNTY_DASHBOARD_MS.get(scale),
        "county_export": COUNTY_EXPORT_MS,
        "statements": STATEMENTS_MS,
    }.get(kind)


def p95(values: list[float]) -> float:
    """95th percentile by nearest rank (for 20 runs: the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- the bench's own data in the demo database --------------------------------------------------


@dataclass
class Fixtures:
    year: int
    month: int
    secretary_branch: Branch
    large_branch: Branch
    township: Township
    members: dict[int, int]  # branch pk -> members on the roll this month
    assessments: dict[tuple[int, str], Assessment]  # (branch pk, period)
    notice: Notice | None
    card_member: Member | None
    card_entries: int
    export_year: int
    export_lines: int
    township_lines: int = 0
    counties: int = 1
    # The counter (demo.rewards): 东阳涧村's shop, its richest customer, an item they can afford.
    shop: Shop | None = None
    shop_member: Member | None = None
    shop_goods: Goods | None = None
    shop_balance: Decimal | None = None


def _county_one_branches():
    """County 1's branches (岚县, where the demo logins are)."""
    return Branch.objects.filter(township__county__name=COUNTY_NAME)


def _on_roll_count(branch: Branch, month: datetime.date) -> int:
    return Member.objects.on_roll(branch, month).count()


def _user(username: str) -> User:
    try:
        return User.objects.select_related("official").get(username=username)
    except User.DoesNotExist:
        raise RuntimeError(f"no user {username!r}: run `manage.py seed_demo` first") from None


def _meeting_date(year: int, period: str, today: datetime.date) -> datetime.date:
    last = evaluation_services.period_months(period)[-1]
    return min(today, datetime.date(year, last, 1) + datetime.timedelta(days=40))


def _assessment(branch: Branch, year: int, period: str, *, approve: bool, secretary, approver):
    """Open (and, if asked, confirm and approve) the period's assessment, if its months are
    closed; None otherwise. Idempotent: an existing assessment is returned as it is."""
    existing = Assessment.objects.filter(branch=branch, year=year, period=period).first()
    if existing is not None:
        return existing
    months = evaluation_services.period_months(period)
    closed = BranchMonth.objects.filter(
        branch=branch, year=year, month__in=months, status=BranchMonth.Status.CLOSED
    ).count()
    if closed < len(months):
        return None
    today = timezone.localdate()
    assessment = evaluation_services.assessment_open(
        branch=branch, year=year, period=period, by=secretary
    )
    if approve:
        lines = evaluation_services.compute_lines(
            branch=branch, year=year, period=period, rule_set=assessment.rule_set
        )
        present = max(len(lines), 1)
        evaluation_services.assessment_confirm(
            assessment=assessment,
            meeting_date=_meeting_date(year, period, today),
            members_expected=present,
            members_present=present,
            by=secretary,
        )
        evaluation_services.assessment_approve(assessment=assessment, by=approver)
    assessment.refresh_from_db()
    return assessment


def _fabricate_annual(year: int, branches: list[Branch], *, by) -> int:
    """Approved annual assessments with lines for ``branches`` in a past year (as
    ``time_exports`` does), for the county's annual export; returns the number of lines."""
    from devtools.synthetic import annual_line

    # The branches are one county's (the caller's): its own rules score them.
    county = branches[0].township.county
    rule_set = versions.in_force(year, county=county) or ruleset_load_defaults(
        year=year, county=county, by=by
    )
    scoring_rules = rule_set.scoring_rules()
    members: dict[int, list[Member]] = {}
    for member in Member.objects.filter(branch__in=branches).with_current_category():
        members.setdefault(member.branch_id, []).append(member)
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        Assessment(
            branch=branch,
            year=year,
            period=Period.YEAR,
            rule_set=rule_set,
            status=Assessment.Status.APPROVED,
            meeting_date=datetime.date(year + 1, 1, 15),
            members_expected=max(len(members.get(branch.pk, ())), 1),
            members_present=max(len(members.get(branch.pk, ())), 1),
            opened_by=by,
            confirmed_at=now,
            approved_at=now,
        )
        for branch in branches
    )
    rng = random.Random(year)
    lines: list[AssessmentLine] = []
    for assessment in assessments:
        branch_lines = [
            annual_line(assessment, member, scoring_rules, rng)
            for member in members.get(assessment.branch_id, ())
        ]
        evaluation_services.rank_lines(branch_lines, annual=True)
        lines += branch_lines
    AssessmentLine.objects.bulk_create(lines, batch_size=1000)
    return len(lines)


def _large_branch(size: int, *, today: datetime.date, by) -> Branch:
    """A village of ``size`` members with a year of activity, built like the demo (demo.county
    and demo.year) as county :data:`BIG_COUNTY` with that one village; found if it exists."""
    found = Branch.objects.filter(township__name__endswith=f"（{BIG_COUNTY}）").first()
    if found is not None:
        return found
    plan = demo.plan_county(
        county=BIG_COUNTY,
        today=today,
        rural_members=size * VILLAGE_COUNT,
        community_members=(0, 0),
    )
    village = max(plan.villages, key=lambda b: len(b.members))
    village = replace(village, members=village.members[:size])
    built = demo.build_county(replace(plan, townships=(village.township,), branches=(village,)))
    seed_year_activity(
        built, rng=random.Random(f"lanxian-bench:{BIG_COUNTY}"), today=today, by_user=by
    )
    return built.branches[(village.township, village.name)]


@transaction.atomic
def prepare(
    *, today: datetime.date | None = None, big_branch_size: int = BIG_BRANCH_SIZE
) -> Fixtures:
    """Find — creating what is missing — everything the pages need in a ``seed_demo`` database.

    * a branch of ``big_branch_size`` members with its year of activity (the demo's largest
      village has 72), alone in a township of its own "county" (:data:`BIG_COUNTY`), and a
      secretary login for it (:data:`BENCH_SECRETARY`);
    * for the demo secretary's branch and the big one: Q1 and Q2 confirmed by the members'
      meeting and approved, Q3 open (its page computes the figures from the ledger), when the
      quarter's months are closed;
    * the Q2 notice of the secretary's branch, approved and published today;
    * card links for both branches (the printed cards carry QR codes);
    * approved annual assessments with lines for last year, for county 1's branches (the county
      annual export; ``time_exports`` fabricates them the same way).
    """
    today = today or timezone.localdate()
    year, month = today.year, today.month
    first = today.replace(day=1)
    county_user = _user("county")
    secretary = _user("secretary")
    sec_branch = secretary.official.branch
    township = _user("township").official.township

    large = Branch.objects.select_related("township").get(
        pk=_large_branch(big_branch_size, today=today, by=county_user).pk
    )
    bench_user, created = User.objects.get_or_create(
        username=BENCH_SECRETARY, defaults={"first_name": "基准测试"}
    )
    if created:
        bench_user.set_unusable_password()
        bench_user.save()
        Official.objects.create(user=bench_user, role=Official.Role.SECRETARY, branch=large)
    elif bench_user.official.branch_id != large.pk:
        Official.objects.filter(user=bench_user).update(branch=large)

    assessments: dict[tuple[int, str], Assessment] = {}
    for branch, clerk in ((sec_branch, secretary), (large, bench_user)):
        for period, approve in (("Q1", True), ("Q2", True), ("Q3", False)):
            assessment = _assessment(
                branch, year, period, approve=approve, secretary=clerk, approver=county_user
            )
            if assessment is not None:
                assessments[(branch.pk, period)] = assessment
        card_links_issue_missing(branch=branch, by=clerk)

    # The demo's latest published or archived notice of the secretary's branch, else one made
    # here for its latest approved quarter.
    notice = (
        Notice.objects.filter(
            branch=sec_branch, status__in=[Notice.Status.PUBLISHED, Notice.Status.ARCHIVED]
        )
        .select_related("assessment")
        .order_by("-assessment__year", "-assessment__period")
        .first()
    )
    approved = [
        a
        for (branch_pk, _), a in sorted(assessments.items(), key=lambda item: item[0][1])
        if branch_pk == sec_branch.pk and a.status == Assessment.Status.APPROVED
    ]
    if notice is None and approved:
        latest = approved[-1]
        notice = Notice.objects.filter(assessment=latest).first()
        if notice is None:
            notice = evaluation_services.notice_create(
                assessment=latest, objection_channel=OBJECTION_CHANNEL, by=secretary
            )
            evaluation_services.notice_approve(notice=notice, by=secretary)
            evaluation_services.notice_publish(notice=notice, start_date=today, by=secretary)

    busiest = (
        PointsEntry.objects.filter(year=year, branch__in=_county_one_branches())
        .values("member_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "member_id")
        .first()
    )
    card_member = Member.objects.get(pk=busiest["member_id"]) if busiest else None

    export_year = year - 1
    county_branches = list(_county_one_branches())
    done = Assessment.objects.filter(
        year=export_year, period=Period.YEAR, branch__in=county_branches
    ).values_list("branch_id", flat=True)
    done = set(done)
    missing = [b for b in county_branches if b.pk not in done]
    if missing:
        _fabricate_annual(export_year, missing, by=county_user)
    annual_lines = AssessmentLine.objects.filter(
        assessment__branch__township__county__name=COUNTY_NAME,
        assessment__year=export_year,
        assessment__period=Period.YEAR,
        assessment__status__in=[Assessment.Status.CONFIRMED, Assessment.Status.APPROVED],
    )
    export_lines = annual_lines.count()
    township_lines = annual_lines.filter(assessment__branch__township=township).count()

    shop, shop_member, shop_goods, shop_balance = _counter_fixtures(sec_branch)
    return Fixtures(
        shop=shop,
        shop_member=shop_member,
        shop_goods=shop_goods,
        shop_balance=shop_balance,
        year=year,
        month=month,
        secretary_branch=Branch.objects.select_related("township").get(pk=sec_branch.pk),
        large_branch=large,
        township=township,
        members={b.pk: _on_roll_count(b, first) for b in (sec_branch, large)},
        assessments=assessments,
        notice=notice,
        card_member=card_member,
        card_entries=busiest["n"] if busiest else 0,
        export_year=export_year,
        export_lines=export_lines,
        township_lines=township_lines,
        counties=County.objects.exclude(name__endswith=f"（{BIG_COUNTY}）").count() or 1,
    )


def _counter_fixtures(branch: Branch):
    """The demo shop serving ``branch``, the customer with the highest balance and the cheapest
    item in stock they can afford (Nones in a database without the demo's shops)."""
    shop = Shop.objects.filter(branches=branch).order_by("pk").first()
    if shop is None or not User.objects.filter(username=SHOPKEEPER).exists():
        return None, None, None, None
    held = rewards_services.balances(rewards_services.customers(shop).values_list("pk", flat=True))
    if not held:
        return shop, None, None, None
    member_pk, balance = max(held.items(), key=lambda item: (item[1], -item[0]))
    stock = rewards_services.stock_levels(shop.goods.values_list("pk", flat=True))
    in_stock = [pk for pk, level in stock.items() if level > 0]
    goods = (
        shop.goods.filter(active=True, price__lte=balance, pk__in=in_stock)
        .order_by("price", "pk")
        .first()
    )
    return shop, Member.objects.get(pk=member_pk), goods, balance


# --- the pages ---------------------------------------------------------------------------------


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def pages(fx: Fixtures) -> list[Page]:
    """The pages measured, with their URLs in this database (None where there is nothing)."""
    y, m = fx.year, fx.month
    sec, large = fx.secretary_branch, fx.large_branch
    n_sec, n_large = fx.members[sec.pk], fx.members[large.pk]

    def assessment(branch: Branch, period: str) -> str | None:
        found = fx.assessments.get((branch.pk, period))
        return reverse("assessment", args=[found.pk]) if found else None

    def state(branch: Branch, period: str) -> str:
        found = fx.assessments.get((branch.pk, period))
        if found is None:
            return ""
        if found.status in (Assessment.Status.OPEN, Assessment.Status.RETURNED):
            return f"{found.status}: live from the ledger"
        return f"{found.status}: stored lines"

    def group(branch: Branch, period: str) -> str:
        return f"assessment {state(branch, period).split(':')[0]}"

    notice = fx.notice
    notice_label = (
        f"{notice.assessment.title_period}, {notice.get_status_display()}" if notice else ""
    )
    export_year = fx.export_year

    missing_quarter = "n/a (the quarter's months are not all closed yet)"
    card = fx.card_member
    dashboard_missing = "n/a (not built)"
    township_dashboard = _url("township_dashboard", fx.township.pk, y)
    county_dashboard = _url("county_dashboard", y)
    return [
        Page("baseline", "Trivial baseline: login form", "", reverse("login"), "baseline"),
        Page("home_county", "Home — county (the / redirect target /county/)", "county",
             reverse("county"), "home"),
        Page("home_township", f"Home — township ({fx.township.name})", "township",
             reverse("home"), "home"),
        Page("home_secretary", f"Home — secretary ({sec.name})", "secretary", reverse("home"),
             "branch"),
        Page("month", f"Branch month screen {y}-{m:02d} ({sec.name}, {n_sec} members)",
             "secretary", reverse("month", args=[sec.pk, y, m]), "branch", compare="month"),
        Page("month_large", f"Branch month screen {y}-{m:02d} (big branch, "
             f"{n_large} members)", BENCH_SECRETARY, reverse("month", args=[large.pk, y, m]),
             "branch", compare="month"),
        Page("assessment_q1", f"Q1 assessment, {state(sec, 'Q1')} ({sec.name})", "secretary",
             assessment(sec, "Q1"), "branch", missing_quarter, compare=group(sec, "Q1")),
        Page("assessment_q1_large", f"Q1 assessment, {state(large, 'Q1')} (big branch, "
             f"{n_large} members)", BENCH_SECRETARY, assessment(large, "Q1"), "branch",
             missing_quarter, compare=group(large, "Q1")),
        Page("assessment_q2", f"Q2 assessment, {state(sec, 'Q2')} ({sec.name})",
             "secretary", assessment(sec, "Q2"), "branch", missing_quarter,
             compare=group(sec, "Q2")),
        Page("assessment_q3", f"Q3 assessment, {state(sec, 'Q3')} ({sec.name})",
             "secretary", assessment(sec, "Q3"), "branch", missing_quarter,
             compare=group(sec, "Q3")),
        Page("assessment_q3_large", f"Q3 assessment, {state(large, 'Q3')} (big branch, "
             f"{n_large} members)", BENCH_SECRETARY, assessment(large, "Q3"), "branch",
             missing_quarter, compare=group(large, "Q3")),
        Page("notice_print", f"Notice print ({notice_label}, {sec.name})", "secretary",
             reverse("notice_print", args=[notice.pk]) if notice else None, "branch",
             "n/a (no approved quarter)"),
        Page("points_card", f"Points card {y} (member with the most entries: {fx.card_entries})",
             "county", reverse("points_card", args=[card.pk, y]) if card else None, "branch",
             "n/a (no ledger entries)"),
        Page("cards_print", f"Branch cards print ({sec.name}, {n_sec} members, QR codes)",
             "secretary", reverse("branch_cards_print", args=[sec.pk, y]), "branch",
             compare="cards"),
        Page("cards_print_large", f"Branch cards print (big branch, {n_large} members)",
             BENCH_SECRETARY, reverse("branch_cards_print", args=[large.pk, y]), "branch",
             compare="cards"),
        Page("township_dashboard", f"Township dashboard ({fx.township.name})", "township",
             township_dashboard, "township", dashboard_missing),
        Page("township_floor", f"SQL floor: the township's ledger summed by branch, kind and "
             f"month ({fx.township.name})", "", None, "floor"),
        Page("county_dashboard", "County dashboard", "county", county_dashboard,
             "county", dashboard_missing),
        Page("county_floor", "SQL floor: the county's ledger summed by township, kind and month",
             "", None, "floor"),
        Page("roster_export", f"Roster export .xlsx (big branch, {n_large} members)",
             BENCH_SECRETARY,
             reverse("roster_export", args=[large.pk]), "export"),
        Page("township_export", f"Township annual results export .xlsx ({export_year}, "
             f"{fx.township.name}, {fx.township_lines:,} lines)", "township",
             reverse("township_results_export", args=[fx.township.pk, export_year, Period.YEAR]),
             "export"),
        Page("county_export", f"County annual results export .xlsx ({export_year}, "
             f"{fx.export_lines:,} lines)", "county",
             reverse("county_results_export", args=[export_year, Period.YEAR]),
             "county_export"),
        Page("roster_import", f"Roster import: parse + apply {TOTAL_RURAL_MEMBERS:,} rows into "
             "a new branch (rolled back)", "", None, "import"),
        *_counter_pages(fx),
    ]  # fmt: skip


def _counter_pages(fx: Fixtures) -> list[Page]:
    """The counter as the shopkeeper works it (look the card up → the balance page → redeem),
    and the statements the board and the county read."""
    shop, member, goods = fx.shop, fx.shop_member, fx.shop_goods
    no_shop = "n/a (no demo shop: seed_demo without demo.rewards)"
    counter = reverse("shop_counter", args=[shop.pk]) if shop else None
    card = member.card_number if member else ""
    lookup = {"step": "lookup", "card": card}
    redeem = {"step": "redeem", "card": card, "collected_by": member.name if member else ""}
    if goods is not None:
        redeem[f"qty_{goods.pk}"] = "1"
    last_month = fx.month - 1 or 12
    statement_year = fx.year if fx.month > 1 else fx.year - 1
    township = fx.township
    name = shop.name if shop else ""
    return [
        Page("counter_lookup", f"Counter: card number → balance page ({name}, shopkeeper)",
             SHOPKEEPER, counter if member else None, "counter", no_shop,
             post=lambda: dict(lookup)),
        Page("counter_redeem", f"Counter: redemption POST, 1 × {goods.name if goods else ''} "
             f"(balance {fx.shop_balance}; rolled back)", SHOPKEEPER,
             counter if goods else None, "redeem", no_shop,
             post=lambda: {**redeem, "submission_key": str(uuid.uuid4())}, ok=302),
        Page("shop_statement", f"Shop monthly statement {statement_year}-{last_month:02d} "
             f"({name}, county admin)", "county",
             reverse("shop_statement", args=[shop.pk, statement_year, last_month])
             if shop else None, "statements", no_shop),
        Page("fund_statement", f"Red fund annual statement {fx.year} ({township.name}, county "
             "admin)", "county", reverse("fund_statement", args=[township.pk, fx.year]),
             "statements"),
        Page("county_rewards", f"County's shops and funds {fx.year} (every shop and fund)",
             "county", _url("county_rewards", fx.year), "statements"),
    ]  # fmt: skip


# --- measuring ---------------------------------------------------------------------------------


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def time_calls(
    call: Callable[[], int | None],
    *,
    repeat: int,
    warmup: int,
    budget: float,
    min_runs: int = 3,
) -> tuple[list[float], int | None, int]:
    """Run ``call`` warmup + repeat times (stopping early, after at least ``min_runs``, once
    ``budget`` seconds are spent), then once more to count its queries. Returns (seconds per
    timed run, the last status, the query count)."""
    status = None
    for _ in range(warmup):
        status = call()
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        status = call()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_runs and time.perf_counter() - started > budget:
            break
    queries = _QueryCounter()
    with connection.execute_wrapper(queries):
        call()
    return times, status, queries.count


class _QueryCounter:
    """Counts every statement (savepoints included), without the 9,000-query cap of
    CaptureQueriesContext."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _Rollback(Exception):
    pass


def _roster_file(rows: int) -> io.BytesIO:
    from devtools.synthetic import build_roster_file

    return build_roster_file(rows, today=timezone.localdate())


def _import_once(stream: io.BytesIO, rows: int) -> None:
    try:
        with transaction.atomic():
            county = County.objects.create(name=f"基准测试县-{time.time_ns()}")
            township = Township.objects.create(county=county, name="基准测试乡")
            branch = Branch.objects.create(township=township, name="基准测试村")
            stream.seek(0)
            roster.check_upload(stream)
            preview = roster.parse_roster(stream, branch)
            if preview.has_errors:
                raise RuntimeError("; ".join(preview.errors[:5]))
            result = roster.apply_roster(preview, branch, system_user())
            if result.created != rows:
                raise RuntimeError(f"roster import created {result.created} of {rows} rows")
            raise _Rollback
    except _Rollback:
        pass


def _floor(fx: Fixtures, key: str) -> int:
    """The bare SQL a dashboard cannot beat: its scope's ledger summed by group, kind and month
    in one statement (what the figures are made of, with no roll, version or grade)."""
    if key == "county_floor":
        group, where, param = "b.township_id", "t.county_id = %s", fx.township.county_id
    else:
        group, where, param = "e.branch_id", "b.township_id = %s", fx.township.pk
    sql = (
        f"SELECT {group}, e.kind, e.month, SUM(e.points), COUNT(*) "
        "FROM scoring_pointsentry e JOIN members_branch b ON b.id = e.branch_id "
        "JOIN members_township t ON t.id = b.township_id "
        f"WHERE {where} AND e.year = %s GROUP BY {group}, e.kind, e.month"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [param, fx.year])
        return len(cursor.fetchall())


def measure(
    fx: Fixtures,
    *,
    repeat: int = 20,
    warmup: int = 2,
    budget: float = 60.0,
    scale: str = "county",
    roster_rows: int = TOTAL_RURAL_MEMBERS,
    import_repeat: int = 3,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Measure every page of :func:`pages` (or those keyed in ``only``); rows in page order."""
    wanted = set(only) if only is not None else None
    clients: dict[str, Client] = {}

    def client_for(username: str) -> Client:
        if username not in clients:
            client = Client()
            if username:
                client.force_login(_user(username))
            clients[username] = client
        return clients[username]

    rows: list[Row] = []
    for page in pages(fx):
        if wanted is not None and page.key not in wanted:
            continue
        row = Row(
            key=page.key,
            label=page.label,
            kind=page.kind,
            who=page.who,
            url=page.url,
            target_ms=target_for(page.kind, scale),
            compare=page.compare,
        )
        if page.kind == "import":
            row.label = row.label.replace(f"{TOTAL_RURAL_MEMBERS:,}", f"{roster_rows:,}")
            stream = _roster_file(roster_rows)
            times, _, row.queries = time_calls(
                lambda stream=stream: _import_once(stream, roster_rows),
                repeat=import_repeat,
                warmup=0,
                budget=budget,
            )
            row.status = 200
        elif page.kind == "floor":
            times, _, row.queries = time_calls(
                lambda key=page.key: _floor(fx, key), repeat=repeat, warmup=warmup, budget=budget
            )
            row.status = 200
        elif page.url is None:
            row.note, row.verdict = page.note, "n/a"
            rows.append(row)
            continue
        else:
            client = client_for(page.who)
            last = {}

            def get(client=client, url=page.url, last=last) -> int:
                response = client.get(url, secure=True)
                last["size"] = len(_body(response))
                return response.status_code

            def post(client=client, url=page.url, last=last, data=page.post) -> int:
                try:
                    with transaction.atomic():
                        response = client.post(url, data(), secure=True)
                        last["size"] = len(_body(response))
                        last["status"] = response.status_code
                        raise _Rollback
                except _Rollback:
                    pass
                return last["status"]

            times, row.status, row.queries = time_calls(
                get if page.post is None else post,
                repeat=repeat,
                warmup=warmup,
                budget=budget,
                min_runs=3,
            )
            row.size_bytes = last.get("size")
        row.runs = len(times)
        row.median_ms = statistics.median(times) * 1000
        row.p95_ms = p95(times) * 1000
        if page.kind == "redeem":
            baseline = next((r for r in rows if r.key == "baseline" and r.measured), None)
            if baseline is not None:
                row.target_ms = REDEEM_TIMES_BASELINE * baseline.median_ms
        if row.status != page.ok:
            row.verdict = "ERROR"
            row.note = f"HTTP {row.status}"
        elif row.target_ms is not None:
            row.verdict = "PASS" if row.median_ms <= row.target_ms else "MISS"
        rows.append(row)
        if progress:
            progress(
                f"  {row.key:<20} median {row.median_ms:8.1f} ms  p95 {row.p95_ms:8.1f} ms  "
                f"{row.queries:>5} queries  n={row.runs} {row.verdict}"
            )
    return rows


# --- the worker: build, prepare, measure (Django on the target database) ------------------------


def _database_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    with connection.cursor() as cursor:
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _database_size() -> int | None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("select pg_database_size(current_database())")
            return cursor.fetchone()[0]
    name = settings.DATABASES["default"]["NAME"]
    return os.path.getsize(name) if os.path.exists(name) else None


def _seed(counties: int, log: Callable[[str], None]) -> list[float]:
    """County 1 (with the demo logins), then counties 2..N one ``seed_demo --force`` at a time:
    progress per county, and no county's plan kept in memory after it is written."""
    seconds = []
    for county in range(1, counties + 1):
        started = time.perf_counter()
        out = io.StringIO()
        call_command("seed_demo", force=county > 1, stdout=out)
        seconds.append(time.perf_counter() - started)
        summary = next((ln for ln in out.getvalue().splitlines() if "Year activity" in ln), "")
        log(f"  county {county}/{counties}: {seconds[-1]:.1f} s  {summary.strip()[:110]}")
    return seconds


def run_worker(
    *,
    scale: str,
    counties: int,
    repeat: int,
    warmup: int,
    budget: float,
    skip_build: bool,
    only: list[str] | None,
    log: Callable[[str], None],
) -> dict:
    """Everything one database's run does; returns the JSON-able result."""
    build: dict[str, object] = {}
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)  # --skip-build: new migrations only
    build["migrate_s"] = time.perf_counter() - started
    if not skip_build:
        log(f"migrated in {build['migrate_s']:.1f} s; seeding {counties} county(ies)")
        started = time.perf_counter()
        per_county = _seed(counties, log)
        build["seed_s"] = time.perf_counter() - started
        build["seed_per_county_s"] = per_county
    started = time.perf_counter()
    fx = prepare()
    prepare_s = time.perf_counter() - started
    log(f"prepared the big branch, assessments, notice and annual lines in {prepare_s:.1f} s")
    record = build_record(os.environ.get("DATABASE_URL", ""))
    if skip_build:  # report the build of the earlier run that made the database, if noted
        build = {"prepare_s": prepare_s}
        if record.exists():
            build.update(json.loads(record.read_text()))
        build["reused"] = True
    else:
        build["prepare_s"] = prepare_s
    if connection.vendor == "postgresql" and not skip_build:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        build["vacuum_analyze_s"] = time.perf_counter() - started
        log(f"VACUUM ANALYZE in {build['vacuum_analyze_s']:.1f} s")
    if not skip_build and os.environ.get("DATABASE_URL"):
        record.write_text(json.dumps(build))
    counts = {
        "townships": Township.objects.count(),
        "branches": Branch.objects.count(),
        "members": Member.objects.count(),
        "ledger_entries": PointsEntry.objects.count(),
        "declarations": Declaration.objects.count(),
        "database_bytes": _database_size(),
    }
    log(
        f"{counts['members']:,} members, {counts['ledger_entries']:,} ledger entries, "
        f"{counts['declarations']:,} declarations; measuring (repeat {repeat})"
    )
    with (
        tempfile.TemporaryDirectory(prefix="lanxian-bench-static-") as static_root,
        override_settings(STATIC_ROOT=static_root, ALLOWED_HOSTS=["testserver"]),
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        # As a production worker does: lanxian_points.wsgi freezes what is loaded at start-up
        # out of the garbage collector's full collections.
        import lanxian_points.wsgi  # noqa: F401

        load_before = os.getloadavg()
        started = time.perf_counter()
        rows = measure(
            fx, repeat=repeat, warmup=warmup, budget=budget, scale=scale, only=only, progress=log
        )
        measured_s = time.perf_counter() - started
        load_after = os.getloadavg()
    return {
        "scale": scale,
        "counties": counties,
        "vendor": connection.vendor,
        "database": _database_version(),
        "build": build,
        "counts": counts,
        "rows": [asdict(row) for row in rows],
        "load_before": load_before,
        "load_after": load_after,
        "measure_s": measured_s,
        "repeat": repeat,
        "finished": timezone.now().isoformat(timespec="seconds"),
    }


# --- the parent: databases, subprocesses, the report ------------------------------------------


@dataclass
class Target:
    url: str
    scale: str
    counties: int

    @property
    def vendor(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    @property
    def title(self) -> str:
        engine = "SQLite" if self.vendor == "sqlite" else "PostgreSQL"
        if self.scale == "county":
            return f"{engine} · county"
        return f"{engine} · province ({self.counties} counties)"


def default_targets(scale: str, counties: int) -> list[Target]:
    targets = []
    if scale in ("county", "all"):
        targets.append(Target(DEFAULT_SQLITE, "county", 1))
        targets.append(Target(DEFAULT_POSTGRES.format(scale="county"), "county", 1))
    if scale in ("province", "all"):
        targets.append(Target(DEFAULT_POSTGRES.format(scale="province"), "province", counties))
    return targets


def _sqlite_path(url: str) -> Path:
    return Path(urlsplit(url).path[1:] if url.startswith("sqlite:////") else urlsplit(url).path)


def _check_throwaway(url: str) -> None:
    """The bench drops and recreates its databases: refuse any not named as a bench one."""
    name = _sqlite_path(url).name if url.startswith("sqlite") else urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise ValueError(
            f"refusing to recreate {url!r}: the bench only recreates databases whose name "
            "contains 'bench' (use --skip-build to measure an existing database as it is)"
        )


def _postgres_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def recreate_database(url: str) -> None:
    """Drop the database and, on PostgreSQL, create it empty (SQLite creates the file itself)."""
    drop_database(url)
    if url.startswith("sqlite"):
        return
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _postgres_admin(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    _check_throwaway(url)
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _postgres_admin(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "load": os.getloadavg(),
    }


def build_record(url: str) -> Path:
    """Where the worker notes how a database was built, so that a later run that reuses the
    database (``--skip-build``, ``--reuse``) can still report its build."""
    name = _sqlite_path(url).stem if url.startswith("sqlite") else urlsplit(url).path.lstrip("/")
    return Path(tempfile.gettempdir()) / f"lanxian-bench-build-{name}.json"


def database_exists(url: str) -> bool:
    if url.startswith("sqlite"):
        return _sqlite_path(url).exists()
    name = urlsplit(url).path.lstrip("/")
    with _postgres_admin(url) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def run_target(target: Target, options: dict, log: Callable[[str], None]) -> dict:
    """Build and measure one database in a subprocess; the worker's JSON result (or an error).

    ``--reuse``: a database kept by an earlier run (it exists, and so does its build record) is
    measured as it is; any other is built. ``--skip-build``: every database is measured as is.
    """
    reuse = options.get("reuse") and build_record(target.url).exists()
    skip = options["skip_build"] or (reuse and database_exists(target.url))
    if skip:
        log("reusing the database as it is")
    else:
        build_record(target.url).unlink(missing_ok=True)
        recreate_database(target.url)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=target.url,
        DEBUG="0",
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only",
        ALLOWED_HOSTS="testserver",
    )
    with tempfile.NamedTemporaryFile(prefix="lanxian-bench-", suffix=".json") as result_file:
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "bench",
            "--worker",
            "--result-file",
            result_file.name,
            "--scale",
            target.scale,
            "--counties",
            str(target.counties),
            "--repeat",
            str(options["repeat"]),
            "--warmup",
            str(options["warmup"]),
            "--budget",
            str(options["budget"]),
        ]
        if skip:
            command.append("--skip-build")
        for key in options.get("only") or ():
            command += ["--only", key]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, env=env, cwd=settings.BASE_DIR, check=False)
            elapsed = time.perf_counter() - started
            text = Path(result_file.name).read_text()
        finally:
            if not options["keep"] and not skip:
                drop_database(target.url)
                build_record(target.url).unlink(missing_ok=True)
    if done.returncode != 0 or not text:
        return {"error": f"worker exited with {done.returncode}", "total_s": elapsed}
    result = json.loads(text)
    result["total_s"] = elapsed
    return result


def run_bench(targets: list[Target], options: dict, log: Callable[[str], None]) -> str:
    """Run every target; return the report (Markdown) and write it to ``options['output']``."""
    info = machine()
    started = timezone.now()
    results = []
    for target in targets:
        log(f"== {target.title}: {target.url}")
        results.append((target, run_target(target, options, log)))
    info["load_end"] = os.getloadavg()
    block = report(results, info, started=started, options=options)
    output = options.get("output")
    if output and output != "-":
        write_report(Path(output), block)
        log(f"wrote {output}")
    return block


# --- the report --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _cell(row: dict, baseline: float | None) -> str:
    if row.get("median_ms") is None:
        return row.get("note") or "n/a"
    ratio = f"×{row['median_ms'] / baseline:.1f}" if baseline else ""
    text = f"{_ms(row['median_ms'])} / {_ms(row['p95_ms'])} · {row['queries']} q · {ratio}"
    if row.get("verdict"):
        text += f" · **{row['verdict']}**" if row["verdict"] != "PASS" else " · PASS"
    if row.get("note"):
        text += f" ({row['note']})"
    return text


def _target_text(kind: str, scales: set[str]) -> str:
    if kind == "redeem":
        return f"≤ {REDEEM_TIMES_BASELINE}× baseline"
    if kind == "county":
        return " / ".join(
            f"≤ {COUNTY_DASHBOARD_MS[s]} ms ({s})" for s in ("county", "province") if s in scales
        )
    target = target_for(kind, "county")
    if target is None:
        return "—"
    return f"≤ {_ms(target)} ms" if target < 1000 else f"≤ {_ms(target)}"


def _query_check(results: list[tuple[Target, dict]]) -> list[str]:
    """Are query counts independent of size? In each run, the pages of one group (the demo
    secretary's branch and the big branch, in the same state); and each page at county vs
    province scale on the same database engine."""
    lines = []
    for target, result in results:
        groups: dict[str, list[dict]] = {}
        for row in result.get("rows", ()):
            if row.get("compare") and row.get("queries") is not None:
                groups.setdefault(row["compare"], []).append(row)
        for name, rows in groups.items():
            if len(rows) < 2:
                continue
            counts = ", ".join(f"`{r['key']}` {r['queries']}" for r in rows)
            mark = "same" if len({r["queries"] for r in rows}) == 1 else "**differs**"
            lines.append(f"{target.title}, {name}: {counts} queries — {mark}")
    by_vendor: dict[str, dict[str, dict]] = {}
    for target, result in results:
        by_vendor.setdefault(target.vendor, {})[target.scale] = {
            r["key"]: r.get("queries") for r in result.get("rows", ())
        }
    for vendor, scales in by_vendor.items():
        if "county" in scales and "province" in scales:
            differ = [
                f"`{key}` {count} → {scales['province'].get(key)}"
                for key, count in scales["county"].items()
                if count is not None and scales["province"].get(key) not in (None, count)
            ]
            lines.append(
                f"{vendor}: county vs province scale — "
                + ("every page the same" if not differ else "differ: " + ", ".join(differ))
            )
    return lines


def report(results: list[tuple[Target, dict]], info: dict, *, started, options: dict) -> str:
    ok = [(t, r) for t, r in results if "rows" in r]
    out = [MARK_BEGIN, ""]
    out.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC with `manage.py bench` (repeat {options['repeat']}, "
        f"{options['warmup']} warm-up requests, DEBUG=0, Django test client over HTTPS, "
        "query counts from one extra request)."
    )
    out.append("")
    databases = sorted({r["database"] for _, r in ok})
    out.append(
        f"**Machine:** {info['platform']}; {info['cpu']}; {info['cores']} cores; "
        f"{info['memory']} RAM; Python {info['python']}; Django {info['django']}; "
        f"SQLite library {info['sqlite']}; " + ", ".join(databases) + ". "
        f"Load average (1/5/15 min) at the start {'/'.join(f'{x:.2f}' for x in info['load'])}, "
        f"at the end {'/'.join(f'{x:.2f}' for x in info['load_end'])} — other developers' test "
        "runs share the 2 cores, so single figures can be noisy."
    )
    out.append("")
    out.append("| run | members | ledger entries | declarations | database | build | measured |")
    out.append("|---|---:|---:|---:|---:|---|---|")
    for target, result in results:
        if "rows" not in result:
            out.append(f"| {target.title} | — | — | — | — | {result['error']} | — |")
            continue
        c, b = result["counts"], result["build"]
        size = f"{c['database_bytes'] / 1024 / 1024:,.0f} MB" if c["database_bytes"] else "?"
        parts = []
        if "seed_s" in b:
            per = b["seed_per_county_s"]
            parts.append(f"seed {_duration(b['seed_s'])}")
            if len(per) > 1:
                parts[-1] += f" ({statistics.median(per):.0f} s per county)"
        parts.append(f"prepare {b['prepare_s']:.0f} s")
        if "vacuum_analyze_s" in b:
            parts.append(f"VACUUM ANALYZE {b['vacuum_analyze_s']:.0f} s")
        if b.get("reused"):
            parts.append("built by an earlier run, kept")
        load = "/".join(f"{x:.1f}" for x in result["load_before"])
        out.append(
            f"| {target.title} | {c['members']:,} | {c['ledger_entries']:,} | "
            f"{c['declarations']:,} | {size} | {', '.join(parts)} | "
            f"{_duration(result['measure_s'])} (load {load}) |"
        )
    out.append("")
    out.append(
        "Each cell: **median / p95 ms · queries · ratio to the trivial baseline's median · "
        "verdict** against the target (a 2-core machine)."
    )
    out.append("")
    header = "| page | who | target | " + " | ".join(t.title for t, _ in ok) + " |"
    out.append(header)
    out.append("|---|---|---|" + "---|" * len(ok))
    scales = {t.scale for t, _ in ok}
    keys: list[str] = []
    labels: dict[str, tuple[str, str, str]] = {}
    for _, result in ok:
        for row in result["rows"]:
            if row["key"] not in labels:
                keys.append(row["key"])
                labels[row["key"]] = (row["label"], row["who"], row["kind"])
    for key in keys:
        label, who, kind = labels[key]
        cells = []
        for _, result in ok:
            rows = {r["key"]: r for r in result["rows"]}
            base = rows.get("baseline", {}).get("median_ms")
            cells.append(_cell(rows[key], base) if key in rows else "—")
        out.append(
            f"| {label} | {who or 'anonymous'} | {_target_text(kind, scales)} | "
            + " | ".join(cells)
            + " |"
        )
    out.append("")
    verdicts = [
        (t.title, r["label"], r["verdict"])
        for t, res in ok
        for r in res["rows"]
        if r["verdict"] in ("MISS", "ERROR")
    ]
    if verdicts:
        out.append(
            "**Missed targets:** " + "; ".join(f"{t}: {lbl} ({v})" for t, lbl, v in verdicts)
        )
    else:
        out.append("**Every measured page meets its target.**")
    out.append("")
    floors = []
    for target, result in ok:
        rows = {r["key"]: r for r in result["rows"]}
        for page, floor in (
            ("county_dashboard", "county_floor"),
            ("township_dashboard", "township_floor"),
        ):
            a, b = rows.get(page, {}).get("median_ms"), rows.get(floor, {}).get("median_ms")
            if a and b:
                floors.append(f"{target.title}: `{page}` ×{a / b:.1f} its SQL floor")
    if floors:
        out.append("**Dashboards against the bare SQL over the same ledger (target ≤ ×3):**")
        out.append("")
        out.extend(f"- {line}" for line in floors)
        out.append("")
    checks = _query_check(ok)
    if checks:
        out.append("**Query counts independent of size:**")
        out.append("")
        out.extend(f"- {line}" for line in checks)
        out.append("")
    out.append(MARK_END)
    return "\n".join(out) + "\n"


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


REPORT_HEADER = """# Benchmarks

Produced by `make bench` (`manage.py bench`; see `devtools/bench.py` for what is measured and
how). The block between the markers is rewritten by each run; the notes after it are written by
hand.

"""


def write_report(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_BEGIN in text and MARK_END in text:
        before = text[: text.index(MARK_BEGIN)]
        after = text[text.index(MARK_END) + len(MARK_END) :].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = REPORT_HEADER + block + ("\n" + text if text else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


__all__ = [
    "Fixtures",
    "Page",
    "Row",
    "Target",
    "default_targets",
    "machine",
    "measure",
    "pages",
    "prepare",
    "report",
    "run_bench",
    "run_worker",
    "write_report",
]
