"""demo.year: the demo county's year in progress (months, declarations, ledger); and
demo.assessments: its quarterly assessments, notices and archives, and last year's annual results.

One small county (300 rural members plus the communities) is seeded once for the module with its
year up to a fixed "today" and removed afterwards; each test runs in its own transaction on top
of it, so what a test adds (services calls, more counties) is rolled back.
"""

import datetime
import json
import random
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from core import chain
from demo import county as demo
from demo.assessments import seed_assessments
from demo.year import fallback_user, plan_year_activity, seed_year_activity
from evaluations import services as evaluation_services
from evaluations.forms_notice import ID_NUMBER, MOBILE
from evaluations.models import (
    Appeal,
    Appraisal,
    ArchivedNotice,
    Assessment,
    AssessmentLine,
    AssessmentLog,
    FollowUp,
    Notice,
    NoticeLog,
    Objection,
)
from members.models import Branch, County, Member, Official, RollPeriod, Township
from oversight.todo import township_tasks
from scoring import engine, ledger, services, standings, versions
from scoring.models import (
    BranchMonth,
    BranchMonthLog,
    Declaration,
    DeclarationLog,
    PointsEntry,
    RuleItem,
    RuleSet,
)

pytestmark = pytest.mark.django_db

SEED = 11
TODAY = datetime.date(2026, 11, 25)
YEAR, CURRENT, LATE = 2026, 11, 10
ATTENDANCE = {"K01", "K02", "K03", "K05"}  # not for category D


def _wipe():
    # flush empties every table with plain SQL: the append-only models refuse to delete rows,
    # which is right for the app and beside the point for a test's clean slate.
    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _wipe()  # start from an empty database, whatever an earlier module left behind
        try:
            seeded = demo.seed_demo(seed=SEED, today=TODAY, rural_members=300)
            county = seeded.counties[0]
            activity = seed_year_activity(county, rng=random.Random(SEED), today=TODAY)
            assessed = seed_assessments(county, rng=random.Random(SEED), today=TODAY)
            yield SimpleNamespace(
                county=county, activity=activity, assessed=assessed, now=timezone.now()
            )
        finally:
            _wipe()


@pytest.fixture
def member_ids(year):
    return list(Member.objects.values_list("pk", flat=True))


def _clerk_name(branch_name: str) -> str:
    return {"东阳涧村": "secretary", "官桥村": "secretary2"}.get(branch_name, "county")


def test_every_month_up_to_today_past_ones_closed_except_a_few_late_branches(year):
    rule_set = versions.in_force(YEAR, county=County.objects.get())
    assert rule_set is not None and year.activity.rule_set == rule_set
    branches = list(Branch.objects.all())
    months = list(BranchMonth.objects.select_related("branch", "closed_by"))
    assert (
        len(months)
        == len(branches) * CURRENT
        == year.activity.months_closed + (year.activity.months_open)
    )
    late = {b.pk for b in year.activity.late_branches}
    assert 2 <= len(late) <= 3
    logs = Counter(BranchMonthLog.objects.values_list("branch_month_id", flat=True))
    for bm in months:
        assert bm.rule_set_id == rule_set.pk and bm.year == YEAR
        if bm.month == CURRENT or (bm.month == LATE and bm.branch_id in late):
            assert bm.status == BranchMonth.Status.OPEN
            assert bm.meeting_date is None and bm.closed_at is None and bm.closed_by is None
            assert logs[bm.pk] == 0
            continue
        assert bm.status == BranchMonth.Status.CLOSED, bm
        meeting = bm.meeting_date
        assert (meeting.year, meeting.month) == (YEAR, bm.month + 1)
        assert meeting.day <= 10 and meeting <= TODAY
        assert timezone.localtime(bm.closed_at).date() == meeting
        assert bm.closed_by.username == _clerk_name(bm.branch.name)
        assert logs[bm.pk] == 1
    log = BranchMonthLog.objects.select_related("branch_month").first()
    assert (log.from_status, log.to_status) == ("open", "closed")
    assert log.at == log.branch_month.closed_at and log.by_id == log.branch_month.closed_by_id
    assert log.reason == f"支委会 {log.branch_month.meeting_date:%Y-%m-%d}"

    # The township has something to chase: declarations waiting in the late months only.
    waiting = Declaration.objects.filter(status=Declaration.Status.SUBMITTED)
    assert set(waiting.exclude(month=CURRENT).values_list("branch_id", "month")) == {
        (pk, LATE) for pk in late
    }


def test_nothing_is_dated_after_today(year):
    assert not PointsEntry.objects.exclude(year=YEAR).exists()
    assert not PointsEntry.objects.filter(month__gt=CURRENT).exists()
    assert not Declaration.objects.filter(month__gt=CURRENT).exists()
    assert not Declaration.objects.filter(occurred_on__gt=TODAY).exists()
    assert not PointsEntry.objects.filter(occurred_on__gt=TODAY).exists()
    for model, stamp in (
        (PointsEntry, "created_at"),
        (Declaration, "created_at"),
        (DeclarationLog, "at"),
        (BranchMonthLog, "at"),
    ):
        assert not model.objects.filter(**{f"{stamp}__gt": year.now}).exists(), model
    # The rule set was published at the start of the year, before the first month closed.
    rule_set = year.activity.rule_set
    assert rule_set.published_at.year == YEAR and rule_set.published_at.month == 1
    assert rule_set.published_by.username == "county"


def test_every_approved_declaration_has_exactly_one_bonus_entry_and_vice_versa(year):
    approved = {
        d.pk: d for d in Declaration.objects.filter(status="approved").select_related("item")
    }
    bonus = list(PointsEntry.objects.filter(kind=PointsEntry.Kind.BONUS))
    assert len(approved) > 1000
    assert sorted(e.declaration_id for e in bonus) == sorted(approved)
    for entry in bonus:
        d = approved[entry.declaration_id]
        assert entry.points == d.points_approved > 0
        assert (entry.member_id, entry.branch_id, entry.year, entry.month, entry.item_id) == (
            d.member_id, d.branch_id, d.year, d.month, d.item_id
        )  # fmt: skip
        assert entry.occurred_on == d.occurred_on and entry.rule_set_id == d.item.rule_set_id
        adjusted = f"（调整：{d.review_reason}）" if d.points_approved != d.points_claimed else ""
        assert entry.reason == d.description + adjusted
        assert entry.created_by_id == d.created_by_id
    assert not PointsEntry.objects.filter(
        declaration__status__in=[Declaration.Status.SUBMITTED, Declaration.Status.RETURNED]
    ).exists()


def test_declarations_are_within_their_item_and_month_with_their_review_trail(year):
    closed = set(BranchMonth.objects.filter(status="closed").values_list("branch_id", "month"))
    logs = defaultdict(list)
    for log in DeclarationLog.objects.order_by("at", "pk"):
        logs[log.declaration_id].append(log)
    declarations = list(Declaration.objects.select_related("item", "created_by", "branch"))
    for d in declarations:
        item = d.item
        assert item.kind == RuleItem.Kind.BONUS and item.branch_id is None
        assert item.points_min <= d.points_claimed <= item.points_max, (item.code, d)
        if item.code == "G09":
            assert d.points_claimed in {5, 8, 10}
        assert (d.occurred_on.year, d.occurred_on.month) == (d.year, d.month)
        assert d.description.strip() == d.description != ""
        assert d.created_by.username == _clerk_name(d.branch.name)
        assert d.created_at >= datetime.datetime.combine(
            d.occurred_on, datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        trail = logs[d.pk]
        assert (trail[0].from_status, trail[0].to_status) == ("", "submitted")
        assert trail[0].points == d.points_claimed and trail[0].at == d.created_at
        if d.status == Declaration.Status.SUBMITTED:
            assert (d.branch_id, d.month) not in closed
            assert d.points_approved is None and len(trail) == 1
            continue
        assert len(trail) == 2 and trail[1].from_status == "submitted"
        assert trail[1].to_status == d.status and trail[1].at >= trail[0].at
        assert trail[1].reason == d.review_reason
        if d.status == Declaration.Status.RETURNED:
            assert d.review_reason and d.points_approved is None
        else:
            assert item.points_min <= d.points_approved <= d.points_claimed
            assert trail[1].points == d.points_approved
            assert bool(d.review_reason) == (d.points_approved != d.points_claimed)

    # ~92% approved, ~8% returned in the closed months; ~5% of the approved adjusted down.
    reviewed = Counter(d.status for d in declarations if (d.branch_id, d.month) in closed)
    assert reviewed["submitted"] == 0
    assert 0.04 < reviewed["returned"] / reviewed.total() < 0.13
    approved = [d for d in declarations if d.status == "approved"]
    adjusted = sum(1 for d in approved if d.points_approved != d.points_claimed)
    assert 0.03 < adjusted / len(approved) < 0.07
    # The open current month has both waiting and approved ones.
    current = Counter(d.status for d in declarations if d.month == CURRENT)
    assert current["submitted"] > 0 and current["approved"] > 0 and not current["returned"]


def test_volumes_about_one_declaration_and_a_few_deductions_per_member_month(year, member_ids):
    on_roll = ledger.roll_months(member_ids, YEAR)
    categories = ledger.categories_by_month(member_ids, YEAR)
    member_months = Counter()
    for member_id, months in on_roll.items():
        for month in months:
            member_months[categories[member_id][month]] += 1
    total = member_months.total()
    declarations = Counter()
    for member_id, month in Declaration.objects.values_list("member_id", "month"):
        declarations[categories[member_id][month]] += 1
    assert 0.8 < declarations.total() / total < 1.1
    rate = {c: declarations[c] / member_months[c] for c in "ABCD"}
    assert rate["A"] > rate["B"] > rate["C"] and rate["B"] > rate["D"], rate

    deductions = Counter(
        PointsEntry.objects.filter(kind="deduction").values_list("member_id", flat=True)
    )
    assert 0.2 < deductions.total() / total < 0.4
    # Skewed: many members have none, a minority has many.
    assert len(deductions) < 0.75 * len(member_ids)
    top = sorted(deductions.values(), reverse=True)[: len(member_ids) // 10]
    assert sum(top) > 0.3 * deductions.total()


def test_deductions_respect_the_category_held_that_month(year, member_ids):
    categories = ledger.categories_by_month(member_ids, YEAR)
    deductions = list(
        PointsEntry.objects.filter(kind="deduction").select_related("item", "branch", "created_by")
    )
    codes = Counter(e.item.code for e in deductions)
    assert codes["K02"] and codes["K04"] and codes["K07"]
    k07 = set()
    for entry in deductions:
        category = categories[entry.member_id][entry.month]
        item = entry.item
        assert item.kind == RuleItem.Kind.DEDUCTION and entry.points == item.points_min < 0
        assert item.applies_to(category)
        if item.code in ATTENDANCE:
            assert category != "D", entry
        if item.code == "K07":
            assert category == "C"
            quarter = (entry.member_id, (entry.month - 1) // 3)
            assert quarter not in k07  # per quarter
            k07.add(quarter)
        assert (entry.occurred_on.year, entry.occurred_on.month) == (YEAR, entry.month)
        assert entry.reason and entry.created_by.username == _clerk_name(entry.branch.name)
    assert any(e.reason == f"无故缺席{e.month}月主题党日" for e in deductions)


def test_no_entry_or_declaration_outside_the_months_on_the_roll(year, member_ids):
    on_roll = ledger.roll_months(member_ids, YEAR)
    entries = PointsEntry.objects.exclude(kind=PointsEntry.Kind.CORRECTION)
    for member_id, month in entries.values_list("member_id", "month"):
        assert month in on_roll[member_id]
    for member_id, month in Declaration.objects.values_list("member_id", "month"):
        assert month in on_roll[member_id]
    # Nothing after a member left (died or transferred out).
    left = Member.objects.exclude(status=Member.Status.ACTIVE)
    assert left.exists()
    assert not Declaration.objects.filter(
        member__in=left, occurred_on__gt=F("member__status_date")
    ).exists()
    assert not PointsEntry.objects.filter(
        member__in=left, occurred_on__gt=F("member__status_date")
    ).exists()


def test_there_are_clearing_items_and_corrections_against_closed_months(year):
    clearing = list(PointsEntry.objects.filter(kind="clearing").select_related("item"))
    assert 1 <= len(clearing) <= 5
    for entry in clearing:
        assert entry.points == 0 and entry.item.kind == RuleItem.Kind.CLEARING
        assert entry.item.code.startswith("Q") and entry.reason and entry.occurred_on
        # Nothing more is declared or deducted after the points are cleared.
        later = dict(member=entry.member_id, month__gt=entry.month)
        assert not Declaration.objects.filter(**later).exists()
        assert not PointsEntry.objects.filter(kind="deduction", **later).exists()

    corrections = list(PointsEntry.objects.filter(kind="correction"))
    assert len(corrections) >= 2
    for entry in corrections:
        assert entry.item_id is None and entry.points != 0 and entry.reason
        bm = BranchMonth.objects.get(branch=entry.branch_id, year=YEAR, month=entry.month)
        assert bm.status == BranchMonth.Status.CLOSED and entry.created_at > bm.closed_at
        assert RollPeriod.objects.filter(member=entry.member_id, branch=entry.branch_id).exists()


def test_the_services_carry_on_from_the_seeded_year(year):
    secretary = User.objects.get(username="secretary")
    branch = year.county.branch("东阳涧村")
    # Review what waits in the current month, then close it at today's meeting.
    current = BranchMonth.objects.get(branch=branch, year=YEAR, month=CURRENT)
    waiting = Declaration.objects.filter(branch=branch, month=CURRENT, status="submitted")
    assert waiting.exists()
    for declaration in waiting:
        services.declaration_approve(declaration=declaration, by=secretary)
    services.month_close(branch_month=current, meeting_date=TODAY, by=secretary)
    current.refresh_from_db()
    assert current.status == BranchMonth.Status.CLOSED
    assert not Declaration.objects.filter(
        branch=branch, month=CURRENT, status="approved", entry__isnull=True
    ).exists()

    # A late branch catches up: one returned, the rest approved, the month closed.
    county = User.objects.get(username="county")
    late = year.activity.late_branches[0]
    late_month = BranchMonth.objects.get(branch=late, year=YEAR, month=LATE)
    with pytest.raises(ValidationError, match="待审议"):
        services.month_close(branch_month=late_month, meeting_date=TODAY, by=county)
    waiting = list(Declaration.objects.filter(branch=late, month=LATE, status="submitted"))
    services.declaration_return(declaration=waiting[0], by=county, reason="请补充照片")
    for declaration in waiting[1:]:
        services.declaration_approve(declaration=declaration, by=county)
    services.month_close(branch_month=late_month, meeting_date=TODAY, by=county)

    # A closed month takes corrections only; the open month of another branch takes entries.
    member = Member.objects.on_roll(branch, datetime.date(YEAR, 3, 1)).first()
    services.correction_record(
        member=member, branch=branch, year=YEAR, month=3, points=Decimal("1"),
        reason="补录3月志愿服务加分", by=secretary,
    )  # fmt: skip
    k02 = RuleItem.objects.get(rule_set=year.activity.rule_set, code="K02")
    with pytest.raises(ValidationError, match="已于支委会结账"):
        services.deduction_record(
            member=member, branch=branch, year=YEAR, month=3, item=k02,
            occurred_on=datetime.date(YEAR, 3, 5), reason="无故缺席3月主题党日", by=secretary,
        )  # fmt: skip
    other = year.county.branch("官桥村")
    someone = Member.objects.on_roll(other, datetime.date(YEAR, CURRENT, 1)).first()
    g02 = RuleItem.objects.get(rule_set=year.activity.rule_set, code="G02")
    services.declaration_create(
        member=someone, branch=other, year=YEAR, month=CURRENT, item=g02,
        occurred_on=TODAY, description="参加义务劳动", by=User.objects.get(username="secretary2"),
    )  # fmt: skip


def test_the_same_seed_draws_the_same_year_and_that_is_what_was_written(year):
    clerks = {b.pk: User.objects.get(username="county") for b in year.county.branches.values()}
    for official in Official.objects.filter(role=Official.Role.SECRETARY):
        clerks[official.branch_id] = official.user
    DECLARATION = ("member_id", "item_id", "occurred_on", "description", "points_claimed",
                   "created_by_id")  # fmt: skip
    ENTRY = ("member_id", "kind", "month", "points", "item_id", "reason", "created_by_id")
    MONTH = ("branch_id", "month", "status", "meeting_date", "closed_by_id")

    def planned(seed):
        plan = plan_year_activity(
            year.county, rng=random.Random(seed), today=TODAY,
            rule_set=year.activity.rule_set, clerks=clerks,
        )  # fmt: skip
        return (
            [tuple(getattr(m, f) for f in MONTH) for m in plan.branch_months],
            [(*(getattr(d, f) for f in DECLARATION), outcome(plan, d)) for d in plan.declarations],
            [tuple(getattr(e, f) for f in ENTRY) for e in plan.entries],
        )

    def outcome(plan, declaration):  # the committee's planned decision
        review = plan.reviews.get(id(declaration))
        if review is None:
            return (Declaration.Status.SUBMITTED, None, "")
        if not review.approve:
            return (Declaration.Status.RETURNED, None, review.reason)
        points = declaration.points_claimed if review.points is None else review.points
        return (Declaration.Status.APPROVED, points, review.reason)

    OUTCOME = ("status", "points_approved", "review_reason")
    written = (
        list(BranchMonth.objects.order_by("pk").values_list(*MONTH)),
        [
            (*row[:-3], tuple(row[-3:]))
            for row in Declaration.objects.order_by("pk").values_list(*DECLARATION, *OUTCOME)
        ],
        # The entries the committee wrote directly; the approved declarations' entries are
        # compared with them in test_every_approved_declaration_has_exactly_one_bonus_entry….
        list(PointsEntry.objects.filter(declaration=None).order_by("pk").values_list(*ENTRY)),
    )
    assert planned(SEED) == written
    assert planned(SEED + 1) != written


def test_the_command_seeds_the_year_unless_told_not_to(year):
    out = StringIO()
    call_command(
        "seed_demo", "--force", "--seed", "3", "--rural-members", "300",
        "--today", TODAY.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Year activity, county 2: " in out.getvalue()
    assert " declarations (" in out.getvalue() and " closed, " in out.getvalue()
    townships = Township.objects.filter(name__endswith="（2）")
    branches = Branch.objects.filter(township__in=townships)
    assert BranchMonth.objects.filter(branch__in=branches).count() == branches.count() * CURRENT
    assert Declaration.objects.filter(branch__in=branches).exists()
    # County 2 publishes its own rules (each county does); county 1's stay as they were.
    assert RuleSet.objects.filter(year=YEAR).count() == 2
    assert versions.in_force(YEAR, township=townships[0]) is not None

    out = StringIO()
    call_command(
        "seed_demo", "--force", "--no-activity", "--rural-members", "300",
        "--today", TODAY.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Year activity" not in out.getvalue()
    townships = Township.objects.filter(name__endswith="（3）")
    assert not BranchMonth.objects.filter(branch__township__in=townships).exists()
    assert not PointsEntry.objects.filter(branch__township__in=townships).exists()


def test_without_a_county_user_a_non_login_system_user_is_the_author(year):
    assert fallback_user().username == "county"
    User.objects.filter(username="county").update(username="county-renamed")
    system = fallback_user()
    assert system.username == "system" and not system.has_usable_password()
    assert not system.is_active
    assert fallback_user() == system  # created once


# --- demo.assessments: quarterly assessments, notices, archives; last year's annual results ---

LAST_YEAR = YEAR - 1
QUARTERS = ("Q1", "Q2", "Q3")
APPROVER = {"东村镇": "township", "岚城镇": "township2"}  # else "county"


def _current(**filters):
    return Assessment.objects.filter(year=YEAR, **filters).select_related(
        "branch__township", "rule_set", "opened_by"
    )


def _steps(logs):
    return [(log.from_status, log.to_status, log.by.username) for log in logs]


def test_most_branches_have_q1_to_q3_confirmed_approved_published_and_archived(year):
    branches = list(Branch.objects.select_related("township"))
    assert not _current(period="Q4").exists()  # October is late somewhere, November open
    statuses = Counter(_current().values_list("period", "status"))
    assert statuses == {
        ("Q1", "approved"): len(branches),
        ("Q2", "approved"): len(branches),
        ("Q3", "approved"): len(branches) - 1,
        ("Q3", "returned"): 1,
    }
    notices = Counter(Notice.objects.filter(assessment__year=YEAR).values_list("status", flat=True))
    assert notices == {"archived": 3 * len(branches) - 2, "published": 1}
    closed = {
        (bm.branch_id, bm.month): bm
        for bm in BranchMonth.objects.filter(year=YEAR, status=BranchMonth.Status.CLOSED)
    }
    logs = defaultdict(list)
    for log in AssessmentLog.objects.select_related("by").order_by("at", "pk"):
        logs[log.assessment_id].append(log)
    notice_logs = defaultdict(list)
    for log in NoticeLog.objects.select_related("by").order_by("at", "pk"):
        notice_logs[log.notice_id].append(log)
    tz = timezone.get_current_timezone()
    for a in _current(status=Assessment.Status.APPROVED).select_related(
        "notice__archive__archived_by"
    ):
        clerk = _clerk_name(a.branch.name)
        approver = APPROVER.get(a.branch.township.name, "county")
        last_month = closed[(a.branch_id, int(a.period[1]) * 3)]
        assert last_month.closed_at < a.opened_at < a.confirmed_at < a.approved_at <= year.now
        assert last_month.meeting_date < a.meeting_date <= TODAY
        assert a.confirmed_at.astimezone(tz).date() == a.meeting_date
        assert a.members_expected == a.lines.count() > 0
        assert int(0.75 * a.members_expected) <= a.members_present <= a.members_expected
        assert a.township_comment == "" and a.opened_by.username == clerk
        meeting = f"党员大会 {a.meeting_date:%Y-%m-%d}，应到 {a.members_expected} 人，实到 "
        trail = logs[a.pk]
        assert _steps(trail) == [
            ("", "open", clerk), ("open", "confirmed", clerk), ("confirmed", "approved", approver)
        ]  # fmt: skip
        assert [log.at for log in trail] == [a.opened_at, a.confirmed_at, a.approved_at]
        assert trail[1].reason.startswith(meeting) and trail[2].reason == "审核通过"

        notice = a.notice
        assert notice.title == evaluation_services.notice_title(a)
        assert notice.rows == evaluation_services.notice_rows(a)
        assert a.approved_at < notice.created_at and notice.created_by.username == clerk
        assert a.approved_at.astimezone(tz).date() < notice.start_date == notice.issued_on
        assert notice.published_at.astimezone(tz).date() == notice.start_date
        assert notice.end_date == notice.start_date + datetime.timedelta(
            days=a.rule_set.notice_days
        )
        trail = notice_logs[notice.pk]
        expected = [("", "draft", clerk), ("draft", "approved", clerk)]
        expected.append(("approved", "published", clerk))
        if notice.status == Notice.Status.PUBLISHED:
            assert not ArchivedNotice.objects.filter(notice=notice).exists()
            assert _steps(trail) == expected
            continue
        expected.append(("published", "archived", clerk))
        assert _steps(trail) == expected
        assert trail[0].at == notice.created_at and trail[2].at == notice.published_at
        archive = notice.archive
        assert trail[3].at == archive.archived_at <= year.now
        assert archive.archived_at.astimezone(tz).date() > notice.end_date
        assert archive.archived_by.username == clerk
        assert (archive.branch_id, archive.year, archive.period) == (a.branch_id, YEAR, a.period)
        assert archive.snapshot == evaluation_services.notice_snapshot(notice)
        assert archive.content_hash == evaluation_services.content_hash(archive.snapshot)

    # The demo secretary's branch shows the whole path, every quarter.
    ours = year.county.branch("东阳涧村")
    archived = ArchivedNotice.objects.filter(branch=ours, year=YEAR)
    assert sorted(archived.values_list("period", flat=True)) == list(QUARTERS)


def test_exactly_one_quarter_was_sent_back_by_the_township(year):
    (returned,) = _current(status=Assessment.Status.RETURNED)
    assert returned.period == "Q3" and returned.approved_at is None
    assert returned.township_comment.startswith("第三季度") and "请" in returned.township_comment
    assert returned.branch.township.name == "东村镇" and returned.branch.name != "东阳涧村"
    assert not Notice.objects.filter(assessment=returned).exists()
    assert returned.lines.count() == returned.members_expected > 0
    last = returned.logs.order_by("at", "pk").last()
    assert (last.from_status, last.to_status, last.by.username) == (
        "confirmed", "returned", "township"
    )  # fmt: skip
    assert last.reason == returned.township_comment
    # The branch can hold its meeting again (the service accepts a returned assessment).
    evaluation_services.assessment_confirm(
        assessment=returned, meeting_date=TODAY, members_expected=returned.members_expected,
        members_present=returned.members_expected, by=User.objects.get(username="county"),
    )  # fmt: skip
    assert returned.status == Assessment.Status.CONFIRMED


def test_exactly_one_notice_is_published_with_an_open_objection_and_cannot_be_archived(year):
    (notice,) = Notice.objects.filter(status=Notice.Status.PUBLISHED).select_related("branch")
    assert notice.assessment.year == YEAR and notice.assessment.period == "Q3"
    assert notice.branch.name not in {"东阳涧村", year.assessed.returned.name}
    assert notice.branch == year.assessed.objection
    (objection,) = Objection.objects.all()
    assert objection.notice == notice and objection.status == Objection.Status.OPEN
    assert notice.start_date <= objection.received_on <= min(notice.end_date, TODAY)
    assert objection.content and (objection.anonymous or objection.raised_by)
    assert not ArchivedNotice.objects.filter(notice=notice).exists()
    reason = "异议" if timezone.localdate() > notice.end_date else "公示期"
    with pytest.raises(ValidationError, match=reason):
        evaluation_services.notice_archive(notice=notice, by=User.objects.get(username="county"))


def _late(assessment):
    """Per member: (in the quarter, up to the quarter's end) points recorded after the meeting."""
    months = evaluation_services.period_months(assessment.period)
    late = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for entry in PointsEntry.objects.filter(
        member__roll_periods__branch=assessment.branch,
        year=assessment.year,
        month__lte=months[-1],
        created_at__gt=assessment.confirmed_at,
    ):
        assert entry.kind == PointsEntry.Kind.CORRECTION  # the months were closed
        late[entry.member_id][1] += entry.points
        if entry.month in months:
            late[entry.member_id][0] += entry.points
    return late


def test_confirmed_lines_are_what_compute_lines_gave_at_the_meeting(year):
    # 东阳涧村, the largest branch and, if any, one with a correction recorded after a meeting.
    sizes = Counter(AssessmentLine.objects.filter(assessment__year=YEAR).values_list(
        "assessment__branch_id", flat=True
    ))  # fmt: skip
    ours = year.county.branch("东阳涧村").pk
    later = [
        a.branch_id
        for a in _current(status=Assessment.Status.APPROVED)
        if a.branch_id != ours and _late(a)
    ]
    largest = [pk for pk, _ in sizes.most_common() if pk not in {ours, *later}]
    sample = [ours, largest[0], (later or largest[1:])[0]]
    checked = 0
    for a in _current(status=Assessment.Status.APPROVED, branch__in=sample):
        computed = {
            line.member.pk: line
            for line in evaluation_services.compute_lines(
                branch=a.branch, year=YEAR, period=a.period, rule_set=a.rule_set
            )
        }
        late = _late(a)
        lines = list(a.lines.all())
        assert sorted(computed) == sorted(line.member_id for line in lines)
        for line in lines:
            c, (in_quarter, so_far) = computed[line.member_id], late[line.member_id]
            assert (line.category, line.base, line.bonus, line.deductions, line.cleared) == (
                c.category, c.base, c.bonus, c.deductions, c.cleared
            )  # fmt: skip
            assert line.corrections == c.corrections - in_quarter
            assert line.period_total == c.period_total - in_quarter
            assert line.cumulative == c.cumulative - so_far
            assert (line.appraisal, line.annual_total, line.grade) == (None, None, "")
            assert not line.held_back
            if not late:
                assert line.rank == c.rank
            checked += 1
        # Ranked on the cumulative points, cleared members not ranked.
        ranked = [
            SimpleNamespace(cumulative=line.cumulative, cleared=line.cleared, rank=None)
            for line in lines
        ]
        evaluation_services.rank_lines(ranked, annual=False)
        assert [r.rank for r in ranked] == [line.rank for line in lines]
    assert checked > 50


def test_last_years_annual_results_are_archived_and_graded_by_the_rules(year):
    rule_set = versions.in_force(LAST_YEAR, county=County.objects.get())
    assert rule_set is not None and rule_set.published_at.date() == datetime.date(LAST_YEAR, 1, 2)
    scoring_rules = rule_set.scoring_rules()
    assert not PointsEntry.objects.filter(year=LAST_YEAR).exists()  # a summary, no ledger
    annual = list(
        Assessment.objects.filter(year=LAST_YEAR).select_related("notice__archive", "branch")
    )
    assert {a.period for a in annual} == {"Y"} and len(annual) > 100
    assert {a.status for a in annual} == {Assessment.Status.APPROVED}
    january = datetime.date(YEAR, 1, 1)
    appraisals = {a.member_id: a for a in Appraisal.objects.filter(year=LAST_YEAR)}
    grades = Counter()
    for a in annual:
        assert a.rule_set_id == rule_set.pk and a.meeting_date.year == YEAR
        notice = a.notice
        assert notice.status == Notice.Status.ARCHIVED
        assert notice.archive.content_hash == evaluation_services.content_hash(
            notice.archive.snapshot
        )
        assert notice.archive.snapshot["annual"] and notice.archive.snapshot["year"] == LAST_YEAR
        lines = list(a.lines.select_related("member"))
        assert a.members_expected == len(lines)
        on_roll = set(
            RollPeriod.objects.filter(branch=a.branch, start=january).values_list(
                "member_id", flat=True
            )
        )
        for line in lines:
            assert line.member_id in on_roll and line.member.joined_party.year < LAST_YEAR
            assert line.base == scoring_rules.base_scores[line.category]
            assert line.grade == engine.grade_for(
                scoring_rules, line.category, line.annual_total, line.cleared
            )
            assert (
                line.period_total
                == line.cumulative
                == (line.base + line.bonus + line.deductions + line.corrections)
            )
            if line.cleared:
                assert line.annual_total == 0 and line.grade == engine.UNQUALIFIED
                continue
            appraisal = appraisals[line.member_id]
            assert line.appraisal == appraisal.score and appraisal.branch_id == a.branch_id
            assert line.annual_total == max(Decimal(0), line.period_total + line.appraisal)
            if appraisal.ballots:
                assert sum(appraisal.ballots) == a.members_present
                e, q, b, u = appraisal.ballots
                assert appraisal.score == engine.appraisal_from_ballots(
                    scoring_rules, excellent=e, qualified=q, basic=b, unqualified=u
                )
            else:
                assert appraisal.source == Appraisal.Source.RESIDENCE
                assert appraisal.source_organisation and line.category == "C"
            grades[line.grade] += 1
        ranked = [
            SimpleNamespace(annual_total=line.annual_total, cleared=line.cleared, rank=None)
            for line in lines
        ]
        evaluation_services.rank_lines(ranked, annual=True)
        assert [r.rank for r in ranked] == [line.rank for line in lines]
    total = grades.total()
    assert grades[engine.QUALIFIED] > total / 2
    assert 0.1 < grades[engine.EXCELLENT] / total < 0.35
    assert (grades[engine.BASIC] + grades[engine.UNQUALIFIED]) / total < 0.05


def test_talks_for_basic_members_and_one_open_appeal_for_the_township(year):
    basic = set(
        AssessmentLine.objects.filter(assessment__year=LAST_YEAR, grade=engine.BASIC).values_list(
            "member_id", flat=True
        )
    )
    for follow_up in FollowUp.objects.all():
        assert follow_up.year == LAST_YEAR and follow_up.kind == FollowUp.Kind.TALK
        assert follow_up.member_id in basic and follow_up.date <= TODAY
        assert follow_up.who.startswith("党支部书记") and follow_up.notes
        assert follow_up.recorded_at <= year.now
    (appeal,) = Appeal.objects.select_related("branch__township")
    assert appeal.status == Appeal.Status.OPEN and appeal.year == LAST_YEAR
    assert appeal.branch.name == "东阳涧村" and appeal.member_id in basic
    notice = Notice.objects.get(assessment__branch=appeal.branch, assessment__year=LAST_YEAR)
    assert notice.start_date <= appeal.received_on <= TODAY
    assert not FollowUp.objects.filter(member=appeal.member_id).exists()
    township = Township.objects.get(name="东村镇")
    assert any("申诉" in task.text for task in township_tasks(township, today=TODAY))


def test_no_notice_shows_an_id_number_a_phone_or_more_than_the_public_fields(year):
    public = {"no", "name", "category", "cleared", "rank", "appraisal", "annual_total", "grade"}
    public |= {"base", "bonus", "deductions", "corrections", "period_total", "cumulative"}
    secrets = set()
    for id_number, phone in Member.objects.values_list("id_number", "phone"):
        secrets.add(id_number)
        if phone:
            secrets.add(phone)
    texts = []
    for notice in Notice.objects.all():
        for row in notice.rows:
            assert set(row) <= public
        texts.append(json.dumps([notice.title, notice.objection_channel, notice.rows]))
    for archive in ArchivedNotice.objects.all():
        texts.append(json.dumps(archive.snapshot, ensure_ascii=False))
    assert len(texts) > 500
    for text in texts:
        assert not ID_NUMBER.search(text) and not MOBILE.search(text)
        assert not any(secret in text for secret in secrets)


def test_assessments_are_seeded_once_per_county(year):
    with pytest.raises(ValueError, match="already has assessments"):
        seed_assessments(year.county, rng=random.Random(SEED), today=TODAY)


def test_the_command_seeds_the_assessments_unless_told_not_to(year):
    out = StringIO()
    call_command(
        "seed_demo", "--force", "--seed", "5", "--rural-members", "200",
        "--today", TODAY.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Assessments, county 2: " in out.getvalue()
    branches = Branch.objects.filter(township__name__endswith="（2）")
    # (a branch of one or two members may have nobody left on the roll by the third quarter)
    q3 = Assessment.objects.filter(branch__in=branches, year=YEAR, period="Q3").count()
    assert branches.count() - 5 <= q3 <= branches.count()
    assert ArchivedNotice.objects.filter(branch__in=branches, year=LAST_YEAR).exists()
    # County 2 gets last year's rules of its own (each county publishes its own).
    assert RuleSet.objects.filter(year=LAST_YEAR).count() == 2
    assert versions.in_force(LAST_YEAR, branch=branches[0]) is not None

    out = StringIO()
    call_command(
        "seed_demo", "--force", "--no-activity", "--rural-members", "200",
        "--today", TODAY.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Assessments" not in out.getvalue()
    assert not Assessment.objects.filter(branch__township__name__endswith="（3）").exists()


def test_every_chain_the_demo_wrote_verifies_and_its_standings_are_the_ledgers(year):
    # The demo writes in bulk, with rows pointing at rows inserted a moment before (a log at
    # its declaration, an entry at its declaration): the chains must hold all the same.
    checked, broken = chain.verify()
    assert checked > 0
    assert broken == []
    computed, differing, extra = standings.rebuild(YEAR, write=False)
    assert computed > 0
    assert (differing, extra) == (0, 0)
