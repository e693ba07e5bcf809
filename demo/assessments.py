"""Quarterly and annual assessments of a demo county (steps 4–5), on top of its demo year.

:func:`seed_assessments` runs after :func:`demo.year.seed_year_activity` and writes, with
``bulk_create``, the rows the workflow services (evaluations.services) would have written if the
branches had followed the five steps up to ``today``:

**The demo year** (``built.plan.year``). For every branch and quarter whose three months are
closed, the secretary opens the quarter's assessment soon after the last month is closed; the
members' general meeting confirms it 3–10 days after that committee meeting (attendance 75–95 %
of the members in the period); the township official approves it 1–6 days later (the "township"
demo user for 东村镇, "township2" for 岚城镇, else the county user); the branch then creates and
approves the notice, posts it 2–4 days after the approval for the rule set's notice period, and
archives it 1–5 days after the period ends, with an :class:`~evaluations.models.ArchivedNotice`
whose snapshot and hash are those of :func:`services.notice_snapshot` and
:func:`services.content_hash`. Every step has its log row, dated when it happened. A step that
would fall after ``today`` (after ``now``) has not happened yet, so the most recent quarter may
stop anywhere along the way, and a quarter with a month still open (a late branch, the current
quarter) has no assessment at all.

The figures are those :func:`services.compute_lines` gives *at the confirmation*: from the ledger
as it stood at the meeting. A correction recorded later (demo.year writes a few, at a later
committee meeting) is not in the confirmed lines nor in the notice — it is one of the
"later corrections" the archive page lists, exactly as in real use.

Two exceptions, in the most recent quarter that reached the township (Q3 when today is in
November), in branches of the demo township 东村镇 where possible, never in 东阳涧村 (the demo
secretary's branch, which shows the whole path): one branch's quarter was **sent back** by the
township with a comment, and one branch's notice is **published with an open objection**, so it
cannot be archived.

**Last year** (``year − 1``): a summary-only fabrication. The demo has no ledger for last year —
the roll history starts in January of the demo year — so last year is *not* replayed month by
month. The default rule set of last year is loaded (published on 2 January) if missing, and for
every branch an approved annual assessment (年度) is written directly: one line for each member
on the branch's roll from January of the demo year (they are assumed to have been there all last
year, in their January category; members who joined the Party during last year are left out),
with a base score, a contribution bonus and deductions drawn plausibly by
category (no individual entries behind them), a democratic appraisal (:class:`Appraisal` with the
ballots and the score converted by :func:`scoring.engine.appraisal_from_ballots`, or a direct
score from the organisation where a migrant member lives), the annual total, grade and rank
computed by :mod:`scoring.engine` and :func:`services.rank_lines` exactly as
:func:`services.compute_lines` would from such a ledger, about 1 % 基本合格 and a rare 不合格
(points cleared). The members' meeting is in January; the annual notice is published and
archived. There are no quarterly assessments, declarations or ledger entries for last year: the
points card of last year shows no entries and the month pages of last year are empty — accepted
for a demo, whose purpose here is to show an archived annual notice, grades and what follows
from them: a heart-to-heart talk (谈心谈话) recorded for most 基本合格 members, and one open
appeal (申诉) in 东阳涧村, received a few days ago, waiting for the township.

Everything is drawn from ``rng`` in a fixed order: same county, same ``rng`` seed and same
``today``, same rows (the timestamps are capped at ``now``).
"""

from __future__ import annotations

import datetime
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone

from demo.county import BATCH_SIZE, BuiltCounty, county_township_name
from demo.year import fallback_user
from evaluations import services
from evaluations.forms_notice import DEFAULT_OBJECTION_CHANNEL
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
    Period,
)
from members.models import Branch, Member, Official, RollPeriod
from scoring import engine, ledger, versions
from scoring.models import BranchMonth, PointsEntry, RuleSet
from scoring.services import ruleset_load_defaults

__all__ = ["AssessmentsResult", "seed_assessments"]

DEMO_BRANCH = ("东村镇", "东阳涧村")  # the demo secretary's branch: always the whole path
EXCEPTION_TOWNSHIP = "东村镇"  # the demo township official sees the exceptions

# --- timing (days) -------------------------------------------------------------------------

MEETING_AFTER_CLOSE = (3, 10)  # members' meeting, after the quarter's last committee meeting
DECISION_AFTER_MEETING = (1, 6)  # township approval (or return)
POSTED_AFTER_APPROVAL = (2, 4)  # notice start date
ARCHIVED_AFTER_END = (1, 5)
ATTENDANCE = (0.75, 0.95)
MEETING_TIMES = ((9, 0), (9, 30), (14, 30), (15, 0), (19, 30), (20, 0))
ANNUAL_MEETING_DAYS = (8, 20)  # of January: 民主评议 and 年度评定 meeting

RETURN_COMMENTS = (
    "{label}扣分依据不充分，请核实后重新提交",
    "{label}部分党员贡献加分证明材料不全，请补充后重新提交",
)

# --- last year's summary figures -----------------------------------------------------------

BONUS_MEAN = {"A": 16, "B": 8, "C": 7, "D": 6}  # points in the year, Gamma(shape 2)
DEDUCTION_RATE = {"A": 0.6, "B": 0.8, "C": 0.7, "D": 0.4}  # deductions in the year, Poisson
DEDUCTION_POINTS = {1: 30, 2: 55, 3: 10, 5: 4, 10: 1}  # points of one deduction: weight
CLEARED_SHARE = 1 / 1500
RESIDENCE_SHARE = 0.3  # of category C: appraised where they now live
RESIDENCE_ORGANISATIONS = (
    "太原市小店区坞城街道流动党员党支部",
    "吕梁市离石区滨河街道党工委",
    "鄂尔多斯市东胜区流动党员服务中心党支部",
    "北京市大兴区西红门镇流动党员党支部",
    "忻州市忻府区长征街道党工委",
)
TALK_SHARE = 0.7  # of last year's 基本合格 members: a talk recorded already
TALK_NOTES = (
    "就{year}年度评定为基本合格与本人谈心谈话，指出其参加组织生活不经常、党费交纳不及时等问题。"
    "本人表示接受，今后按时参加主题党日，按月足额交纳党费。",
    "上门谈心谈话，肯定其平时能参加村里义务劳动，指出违规扣分较多的问题，帮助其制定改进措施，"
    "本人表示认真整改。",
    "结合年度评定结果谈心谈话，了解其家庭和思想状况，提醒其严格遵守村规民约，本人表示虚心接受。",
)
TALK_NOTES_C = (
    "通过微信视频与本人谈心谈话，指出外出期间未主动与支部保持联系的问题，"
    "本人表示今后每月向支部报告思想和工作情况。",
)
APPEAL_CONTENT = {
    "C": "本人{year}年长期在外务工，近日返乡才得知{year}年度评定为“基本合格”。"
    "在外期间本人每月通过微信与支部联系、按时交纳党费，所扣分数与实际情况不符，"
    "申请乡镇党委复核。",
    "": "本人对{year}年度评定为“基本合格”有异议：被扣分的几次党员大会，本人均已事先向支部书记"
    "请假，请假情况有村委会值班记录可查，申请乡镇党委复核。",
}
OBJECTION_CONTENT = (
    "对公示中{name}{label}的贡献加分有异议：其申报参加村里人居环境整治，"
    "本人未见其参加，请支部核实。"
)


# --- results -------------------------------------------------------------------------------


@dataclass
class AssessmentsResult:
    year: int
    quarters: Counter[tuple[str, str]]  # (period, status) -> assessments of the demo year
    notices: Counter[str]  # by status, demo year
    archived: int  # demo year
    returned: Branch | None
    objection: Branch | None
    last_year: int
    last_year_rule_set_created: bool
    annual_branches: int
    annual_lines: int
    grades: Counter[str]
    follow_ups: int
    appeals: int
    seconds: float
    later_corrections: int = 0  # corrections recorded after a quarter's meeting

    def summary(self) -> str:
        by_period = defaultdict(Counter)
        for (period, status), n in self.quarters.items():
            by_period[period][status] += n
        parts = []
        for period in sorted(by_period):
            c = by_period[period]
            detail = ", ".join(f"{n} {s}" for s, n in sorted(c.items()))
            parts.append(f"{period} {detail}")
        g = self.grades
        grades = "/".join(f"{g[x]:,}" for x in engine.GRADES)
        return (
            f"{self.year}: {'; '.join(parts) or 'none'}; notices "
            f"{', '.join(f'{n} {s}' for s, n in sorted(self.notices.items())) or 'none'} "
            f"({self.archived} archived; returned: "
            f"{self.returned.name if self.returned else 'none'}, open objection: "
            f"{self.objection.name if self.objection else 'none'}); {self.last_year} annual "
            f"(summary only): {self.annual_branches} branches, {self.annual_lines:,} members, "
            f"优秀/合格/基本合格/不合格 {grades}, {self.follow_ups} talks, "
            f"{self.appeals} open appeal; {self.seconds:.1f} s"
        )


# --- time ----------------------------------------------------------------------------------


def _default_now(today: datetime.date) -> datetime.datetime:
    if today == timezone.localdate():
        return timezone.now()
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(today, datetime.time(18, 0), tzinfo=tz)


class _Clock:
    def __init__(self, now: datetime.datetime):
        self.tz = timezone.get_current_timezone()
        self.now = now

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    def daytime(self, rng: random.Random, day: datetime.date, lo=8, hi=18) -> datetime.datetime:
        return self.at(day, 0) + datetime.timedelta(minutes=rng.randint(lo * 60, hi * 60 - 1))

    def meeting(self, rng: random.Random, day: datetime.date) -> datetime.datetime:
        return self.at(day, *rng.choice(MEETING_TIMES))


def _days(rng: random.Random, span: tuple[int, int]) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(*span))


@dataclass
class _Steps:
    """When each step of one assessment happened; None = not yet (after now)."""

    opened_at: datetime.datetime
    meeting_date: datetime.date | None = None
    confirmed_at: datetime.datetime | None = None
    decided_at: datetime.datetime | None = None  # township approval (or return)
    created_at: datetime.datetime | None = None  # notice draft
    notice_approved_at: datetime.datetime | None = None
    start_date: datetime.date | None = None
    published_at: datetime.datetime | None = None
    archived_at: datetime.datetime | None = None
    outcome: str = "normal"  # "returned" | "objection"

    @property
    def stage(self) -> str:
        for name in ("archived_at", "published_at", "notice_approved_at", "created_at"):
            if getattr(self, name) is not None:
                return name
        if self.decided_at is not None:
            return "decided_at"
        return "confirmed_at" if self.confirmed_at is not None else "opened_at"


def _schedule(
    rng: random.Random,
    clock: _Clock,
    *,
    ready_at: datetime.datetime,
    meeting_date: datetime.date,
    notice_days: int,
) -> _Steps | None:
    """The steps from opening to archiving, each as far as ``clock.now`` allows."""
    now = clock.now
    open_day = ready_at.date() + datetime.timedelta(
        days=rng.randint(0, max(0, (meeting_date - ready_at.date()).days - 1))
    )
    opened_at = max(clock.daytime(rng, open_day), ready_at + datetime.timedelta(minutes=20))
    if opened_at > now:
        return None
    steps = _Steps(opened_at=opened_at)
    confirmed_at = clock.meeting(rng, meeting_date) + datetime.timedelta(
        minutes=rng.randint(60, 150)
    )
    if confirmed_at <= opened_at or confirmed_at > now:
        return steps
    steps.meeting_date, steps.confirmed_at = meeting_date, confirmed_at
    decided_at = clock.daytime(rng, meeting_date + _days(rng, DECISION_AFTER_MEETING), 9, 17)
    if decided_at > now:
        return steps
    steps.decided_at = decided_at
    created_at = max(
        decided_at + datetime.timedelta(minutes=30),
        clock.daytime(rng, decided_at.date() + _days(rng, (0, 1)), 9, 18),
    )
    if created_at > now:
        return steps
    steps.created_at = created_at
    approved_at = created_at + datetime.timedelta(minutes=rng.randint(10, 180))
    if approved_at > now:
        return steps
    steps.notice_approved_at = approved_at
    start_date = decided_at.date() + _days(rng, POSTED_AFTER_APPROVAL)
    published_at = max(clock.daytime(rng, start_date, 8, 11), approved_at)
    if published_at.date() != start_date or published_at > now:
        return steps
    steps.start_date, steps.published_at = start_date, published_at
    end_date = start_date + datetime.timedelta(days=notice_days)
    archived_at = clock.daytime(rng, end_date + _days(rng, ARCHIVED_AFTER_END), 9, 17)
    if archived_at > now:
        return steps
    steps.archived_at = archived_at
    return steps


def _present(rng: random.Random, expected: int) -> int:
    return max(1, min(expected, round(expected * rng.uniform(*ATTENDANCE))))


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# --- writing -------------------------------------------------------------------------------


@contextmanager
def _timestamps_as_planned() -> Iterator[None]:
    """Let bulk_create store the planned timestamps instead of "now"."""
    fields = [
        Assessment._meta.get_field("opened_at"),
        AssessmentLog._meta.get_field("at"),
        Notice._meta.get_field("created_at"),
        NoticeLog._meta.get_field("at"),
        ArchivedNotice._meta.get_field("archived_at"),
        FollowUp._meta.get_field("recorded_at"),
        Appraisal._meta.get_field("entered_at"),
    ]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class _Rows:
    """Unsaved rows, written in this order (FKs by object)."""

    assessments: list[Assessment] = field(default_factory=list)
    assessment_logs: list[AssessmentLog] = field(default_factory=list)
    lines: list[AssessmentLine] = field(default_factory=list)
    appraisals: list[Appraisal] = field(default_factory=list)
    # (assessment, steps, clerk): notices are made once the lines are saved
    notices: list[tuple[Assessment, _Steps, object]] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)


def _log(rows: _Rows, assessment, from_status, to_status, by, at, reason="") -> None:
    rows.assessment_logs.append(
        AssessmentLog(
            assessment=assessment,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            by=by,
            at=at,
        )
    )


def _assessment(
    rows: _Rows,
    *,
    branch: Branch,
    year: int,
    period: str,
    rule_set: RuleSet,
    steps: _Steps,
    clerk,
    approver,
    lines: Sequence[services.ComputedLine],
    present: int,
    comment: str = "",
) -> Assessment:
    """The assessment as the services leave it after ``steps`` (with its logs and lines)."""
    S = Assessment.Status
    assessment = Assessment(
        branch=branch,
        year=year,
        period=period,
        rule_set=rule_set,
        status=S.OPEN,
        opened_by=clerk,
        opened_at=steps.opened_at,
    )
    rows.assessments.append(assessment)
    _log(rows, assessment, "", S.OPEN, clerk, steps.opened_at, "开始评定")
    if steps.confirmed_at is None:
        return assessment
    expected = len(lines)
    assessment.status = S.CONFIRMED
    assessment.meeting_date = steps.meeting_date
    assessment.members_expected, assessment.members_present = expected, present
    assessment.confirmed_at = steps.confirmed_at
    reason = f"党员大会 {steps.meeting_date:%Y-%m-%d}，应到 {expected} 人，实到 {present} 人"
    _log(rows, assessment, S.OPEN, S.CONFIRMED, clerk, steps.confirmed_at, reason)
    rows.lines.extend(line.as_line(assessment) for line in lines)
    if steps.decided_at is None:
        return assessment
    if steps.outcome == "returned":
        assessment.status = S.RETURNED
        assessment.township_comment = comment
        _log(rows, assessment, S.CONFIRMED, S.RETURNED, approver, steps.decided_at, comment)
        return assessment
    assessment.status = S.APPROVED
    assessment.township_comment = ""
    assessment.approved_at = steps.decided_at
    _log(rows, assessment, S.CONFIRMED, S.APPROVED, approver, steps.decided_at, "审核通过")
    if steps.created_at is not None:
        rows.notices.append((assessment, steps, clerk))
    return assessment


def _objection_people(rng, rows: _Rows, assessment) -> tuple[str, str]:
    """(the member the objection is about, who raised it: another member, or anonymous)."""
    names = [
        line.member.name
        for line in rows.lines
        if line.assessment is assessment and not line.cleared
    ]
    subject = rng.choice(names)
    others = [n for n in names if n != subject]
    return subject, (rng.choice(others) if others else "")


def _write_notices(rows: _Rows, rng: random.Random, clock: _Clock) -> tuple:
    """Notices of the saved assessments (rows from services.notice_rows), their logs, the open
    objection and the archives (snapshot and hash from the services)."""
    N = Notice.Status
    notices, logs, archives, objections = [], [], [], []
    for assessment, steps, clerk in rows.notices:
        notice = Notice(
            assessment=assessment,
            branch=assessment.branch,
            status=N.DRAFT,
            title=services.notice_title(assessment),
            objection_channel=DEFAULT_OBJECTION_CHANNEL,
            rows=services.notice_rows(assessment),
            created_by=clerk,
            created_at=steps.created_at,
        )
        notices.append(notice)
        trail = [("", N.DRAFT, steps.created_at, "生成草稿")]
        if steps.notice_approved_at is not None:
            notice.status = N.APPROVED
            trail.append((N.DRAFT, N.APPROVED, steps.notice_approved_at, ""))
        if steps.published_at is not None:
            days = assessment.rule_set.notice_days
            notice.status = N.PUBLISHED
            notice.start_date = notice.issued_on = steps.start_date
            notice.end_date = steps.start_date + datetime.timedelta(days=days)
            notice.published_at = steps.published_at
            trail.append((N.APPROVED, N.PUBLISHED, steps.published_at, f"公示 {days} 天"))
        if steps.archived_at is not None and steps.outcome == "normal":
            notice.status = N.ARCHIVED
            trail.append((N.PUBLISHED, N.ARCHIVED, steps.archived_at, ""))
        logs.extend(
            NoticeLog(notice=notice, from_status=a, to_status=b, reason=reason, by=clerk, at=at)
            for a, b, at, reason in trail
        )
    Notice.objects.bulk_create(notices, batch_size=BATCH_SIZE)
    NoticeLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)

    for notice, (assessment, steps, clerk) in zip(notices, rows.notices, strict=True):
        if steps.outcome == "objection" and notice.status == N.PUBLISHED:
            subject, raised_by = _objection_people(rng, rows, assessment)
            last = max(notice.start_date, min(notice.end_date, clock.now.date()))
            received = notice.start_date + datetime.timedelta(
                days=rng.randint(0, (last - notice.start_date).days)
            )
            objections.append(
                Objection(
                    notice=notice,
                    anonymous=not raised_by,
                    raised_by=raised_by,
                    content=OBJECTION_CONTENT.format(
                        name=subject, label=assessment.get_period_display()
                    ),
                    received_on=received,
                    status=Objection.Status.OPEN,
                    recorded_by=clerk,
                )
            )
        if notice.status == N.ARCHIVED:
            snapshot = services.notice_snapshot(notice)
            archives.append(
                ArchivedNotice(
                    notice=notice,
                    branch=notice.branch,
                    year=assessment.year,
                    period=assessment.period,
                    snapshot=snapshot,
                    content_hash=services.content_hash(snapshot),
                    archived_at=steps.archived_at,
                    archived_by=clerk,
                )
            )
    Objection.objects.bulk_create(objections)
    ArchivedNotice.objects.bulk_create(archives, batch_size=BATCH_SIZE)
    return notices, archives, objections


# --- reading -------------------------------------------------------------------------------


def _clerks(branches: Sequence[Branch], fallback) -> dict[int, object]:
    """Who opens, confirms and posts for each branch: its secretary, else ``fallback``."""
    clerks = {b.pk: fallback for b in branches}
    for official in (
        Official.objects.filter(
            role=Official.Role.SECRETARY, branch__in=[b.pk for b in branches], user__is_active=True
        )
        .select_related("user")
        .order_by("-pk")
    ):
        clerks[official.branch_id] = official.user
    return clerks


def _approvers(built: BuiltCounty, fallback) -> dict[int, object]:
    """Who approves for each township: its township official, else ``fallback`` (county)."""
    approvers = {t.pk: fallback for t in built.townships.values()}
    for official in (
        Official.objects.filter(
            role=Official.Role.TOWNSHIP,
            township__in=[t.pk for t in built.townships.values()],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("-pk")
    ):
        approvers[official.township_id] = official.user
    return approvers


@dataclass
class _BranchYear:
    """One branch's roster and ledger for the demo year, with the entries' creation times."""

    members: list[Member]  # on the branch roll in some month of the year, pinyin order
    branch_months: dict[int, set[int]]  # member -> months on this branch's roll
    months: dict[int, dict[int, str]]  # member -> {month on any roll: category held}
    entries: dict[int, list[tuple[engine.Entry, datetime.datetime]]]

    def member_year(self, pk: int, cutoff: datetime.datetime) -> engine.MemberYear:
        return engine.MemberYear(
            months=self.months[pk],
            entries=tuple(e for e, at in self.entries.get(pk, ()) if at <= cutoff),
        )


def _branch_year(branch: Branch, year: int) -> _BranchYear:
    """What services.compute_lines reads (members_in_period + ledger.member_years), plus the
    entries' created_at, so that lines can be computed as they were at a past meeting."""
    members, on_branch = services.members_in_period(branch=branch, year=year, period=Period.YEAR)
    ids = [m.pk for m in members]
    on_roll = ledger.roll_months(ids, year)
    categories = ledger.categories_by_month(ids, year)
    entries: dict[int, list] = defaultdict(list)
    for member_id, month, kind, points, created_at in PointsEntry.objects.filter(
        member_id__in=ids, year=year
    ).values_list("member_id", "month", "kind", "points", "created_at"):
        entries[member_id].append((engine.Entry(month=month, kind=kind, points=points), created_at))
    months = {}
    for pk in ids:
        held = categories.get(pk, {})
        months[pk] = {m: held[m] for m in sorted(on_roll.get(pk, ())) if m in held}
    return _BranchYear(members, {pk: on_branch[pk] for pk in ids}, months, entries)


def _quarter_lines(
    data: _BranchYear, scoring_rules: engine.ScoringRules, quarter: int, cutoff
) -> list[services.ComputedLine]:
    """services.compute_lines for a quarter, from the ledger as it stood at ``cutoff``: the same
    rows (services.period_line), for the members on this branch's roll in the quarter."""
    wanted = set(engine.quarter_months(quarter))
    lines = [
        services.period_line(
            member, data.member_year(member.pk, cutoff), scoring_rules, f"Q{quarter}"
        )
        for member in data.members
        if data.branch_months[member.pk] & wanted
    ]
    services.rank_lines(lines, annual=False)
    return lines


# --- the demo year -------------------------------------------------------------------------


def _pick_exceptions(rng, built: BuiltCounty, schedules: dict, quarter: int | None):
    """(returned branch, objection branch) in ``quarter``: villages of 东村镇 first, never the
    demo secretary's branch."""
    if quarter is None:
        return None, None
    demo_branch = built.branch(DEMO_BRANCH[1], DEMO_BRANCH[0])
    township = county_township_name(EXCEPTION_TOWNSHIP, built.plan.county)
    stages = {
        "returned": (
            "decided_at",
            "created_at",
            "notice_approved_at",
            "published_at",
            "archived_at",
        ),
        "objection": ("published_at", "archived_at"),
    }
    chosen: dict[str, Branch | None] = {}
    taken = {demo_branch.pk}
    for outcome in ("returned", "objection"):
        eligible = [
            branch
            for (branch, q), steps in schedules.items()
            if q == quarter and branch.pk not in taken and steps.stage in stages[outcome]
        ]
        preferred = [
            b for b in eligible if b.township.name == township and b.kind == Branch.Kind.VILLAGE
        ]
        pool = preferred or eligible
        chosen[outcome] = rng.choice(pool) if pool else None
        if chosen[outcome] is not None:
            taken.add(chosen[outcome].pk)
    return chosen["returned"], chosen["objection"]


def _seed_quarters(rows, rng, clock, built, *, year, rule_set, clerks, approvers, branches):
    scoring_rules = rule_set.scoring_rules()
    closed: dict[tuple[int, int], tuple[datetime.date, datetime.datetime]] = {
        (branch_id, month): (meeting_date, closed_at)
        for branch_id, month, meeting_date, closed_at in BranchMonth.objects.filter(
            branch__in=[b.pk for b in branches], year=year, status=BranchMonth.Status.CLOSED
        ).values_list("branch_id", "month", "meeting_date", "closed_at")
    }
    schedules: dict[tuple[Branch, int], _Steps] = {}
    for branch in branches:
        for quarter in range(1, 5):
            months = engine.quarter_months(quarter)
            if not all((branch.pk, m) in closed for m in months):
                continue
            ready_at = max(closed[(branch.pk, m)][1] for m in months)
            meeting_date = closed[(branch.pk, months[-1])][0] + _days(rng, MEETING_AFTER_CLOSE)
            steps = _schedule(
                rng,
                clock,
                ready_at=ready_at,
                meeting_date=meeting_date,
                notice_days=rule_set.notice_days,
            )
            if steps is not None:
                schedules[(branch, quarter)] = steps

    decided = [q for (_, q), s in schedules.items() if s.decided_at is not None]
    exception_quarter = max(decided) if decided else None
    returned, objection = _pick_exceptions(rng, built, schedules, exception_quarter)
    if returned is not None:
        schedules[(returned, exception_quarter)].outcome = "returned"
    if objection is not None:
        schedules[(objection, exception_quarter)].outcome = "objection"
    label = Period(f"Q{exception_quarter}").label if exception_quarter else ""
    comment = rng.choice(RETURN_COMMENTS).format(label=label)

    later = 0
    by_branch = defaultdict(list)
    for (branch, quarter), steps in schedules.items():
        by_branch[branch.pk].append((quarter, steps))
    for branch in branches:
        planned = by_branch.get(branch.pk)
        if not planned:
            continue
        data = _branch_year(branch, year)
        for quarter, steps in planned:
            lines = _quarter_lines(data, scoring_rules, quarter, steps.confirmed_at or clock.now)
            if not lines:
                continue  # nobody on the roll: nothing to assess
            if steps.confirmed_at is None:
                lines = []  # opened, the meeting has not been held yet
            else:
                later += sum(
                    1
                    for line in lines
                    for entry, at in data.entries.get(line.member.pk, ())
                    if at > steps.confirmed_at and entry.month <= quarter * 3
                )
            _assessment(
                rows,
                branch=branch,
                year=year,
                period=f"Q{quarter}",
                rule_set=rule_set,
                steps=steps,
                clerk=clerks[branch.pk],
                approver=approvers[branch.township_id],
                lines=lines,
                present=_present(rng, len(lines)) if lines else 0,
                comment=comment,
            )
    return returned, objection, later


# --- last year (summary only) --------------------------------------------------------------


def _last_year_rule_set(year: int, county, fallback) -> tuple[RuleSet, bool]:
    rule_set = versions.in_force(year, county=county)
    if rule_set is not None:
        return rule_set, False
    rule_set = ruleset_load_defaults(year=year, county=county, by=fallback)
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 2, 9, 0, tzinfo=tz)
    RuleSet.objects.filter(pk=rule_set.pk).update(published_at=start, created_at=start)
    rule_set.refresh_from_db()
    return rule_set, True


@dataclass
class _Annual:
    member: Member
    category: str
    quality: float = 0.0
    bonus: int = 0
    deductions: int = 0  # <= 0
    deduction_count: int = 0
    cleared: bool = False
    appraisal: Appraisal | None = None


def _last_year_roster(branches: Sequence[Branch], year: int) -> dict[int, list[_Annual]]:
    """Per branch: members on its roll from January of ``year`` (the demo year), in their
    January category; those who joined the Party during last year or later are left out (a
    part year would give them a part base score, hence a low grade, in a summary we invent)."""
    last = year - 1
    january = datetime.date(year, 1, 1)
    periods = RollPeriod.objects.filter(
        branch__in=[b.pk for b in branches], start=january
    ).select_related("member")
    categories = ledger.categories_by_month(
        RollPeriod.objects.filter(branch__in=[b.pk for b in branches], start=january).values(
            "member_id"
        ),
        year,
    )
    roster: dict[int, list[_Annual]] = defaultdict(list)
    for period in periods.order_by("branch_id", "member__name_sort", "member_id"):
        member = period.member
        joined = member.joined_party
        category = categories.get(member.pk, {}).get(1)
        if joined.year >= last or category is None:
            continue
        roster[period.branch_id].append(_Annual(member=member, category=category))
    return roster


def _draw_figures(rng: random.Random, person: _Annual, *, cleared: bool) -> None:
    person.quality = rng.gauss(0, 1)
    scale = BONUS_MEAN[person.category] * math.exp(0.35 * person.quality) / 2
    person.bonus = round(rng.gammavariate(2.0, scale))
    propensity = rng.gammavariate(1.0, 1.0) * math.exp(-0.3 * person.quality)
    count = _poisson(rng, DEDUCTION_RATE[person.category] * propensity)
    keys = list(DEDUCTION_POINTS)
    person.deduction_count = count
    person.deductions = -sum(
        rng.choices(keys, weights=[DEDUCTION_POINTS[k] for k in keys])[0] for _ in range(count)
    )
    person.cleared = cleared


def _ballots(rng: random.Random, person: _Annual, voters: int) -> tuple[int, int, int, int]:
    q, n = person.quality, person.deduction_count
    excellent = min(0.9, max(0.05, 0.45 + 0.15 * q - 0.03 * n))
    basic = min(0.5, 0.03 + 0.02 * n + 0.03 * max(0.0, -q))
    unqualified = min(0.2, 0.002 + 0.005 * n)
    qualified = max(0.0, 1 - excellent - basic - unqualified)
    counts = Counter(
        rng.choices(range(4), weights=[excellent, qualified, basic, unqualified], k=voters)
    )
    return counts[0], counts[1], counts[2], counts[3]


def _annual_line(scoring_rules, person: _Annual) -> services.ComputedLine:
    """What compute_lines would give for the year from a ledger holding these figures."""
    months = dict.fromkeys(engine.MONTHS, person.category)  # the whole year
    entries = [
        engine.Entry(month=12, kind=engine.BONUS, points=Decimal(person.bonus)),
        engine.Entry(month=12, kind=engine.DEDUCTION, points=Decimal(person.deductions)),
    ]
    if person.cleared:
        entries.append(engine.Entry(month=12, kind=engine.CLEARING, points=Decimal(0)))
    score = person.appraisal.score if person.appraisal is not None else None
    member_year = engine.MemberYear(months=months, entries=entries, appraisal=score)
    return services.period_line(
        person.member, member_year, scoring_rules, Period.YEAR, appraised=score is not None
    )


def _force_basic(rng, scoring_rules, person: _Annual) -> None:
    """Deductions such that the member ends 基本合格 (the demo's appellant)."""
    base = Fraction(scoring_rules.base_scores[person.category])
    _, qualified, basic = (Fraction(c) for c in scoring_rules.cutoffs[person.category])
    score = Fraction(person.appraisal.score) if person.appraisal else Fraction(0)
    target = basic + Fraction(rng.randint(2, max(2, int(qualified - basic) - 3)))
    person.bonus = min(person.bonus, 3)
    needed = base + person.bonus + score - target
    person.deductions = -max(0, math.ceil(needed))


def _seed_last_year(
    rows, rng, clock, built, *, year, rule_set, clerks, approvers, branches, today
) -> None:
    scoring_rules = rule_set.scoring_rules()
    roster = _last_year_roster(branches, year + 1)
    people = [p for b in branches for p in roster.get(b.pk, ())]
    cleared = set()
    if people:
        count = round(len(people) * CLEARED_SHARE)
        cleared = {id(p) for p in rng.sample(people, min(count, len(people)))}
    demo_branch = built.branch(DEMO_BRANCH[1], DEMO_BRANCH[0])
    appellant = None
    demo_people = [p for p in roster.get(demo_branch.pk, ()) if id(p) not in cleared]
    if demo_people:
        away = [p for p in demo_people if p.category == "C"]
        appellant = rng.choice(away or [p for p in demo_people if p.category != "A"] or demo_people)

    lines_by_branch: dict[int, list[services.ComputedLine]] = {}
    steps_by_branch: dict[int, _Steps] = {}
    first = datetime.date(year, 12, 1)
    for branch in branches:
        members = roster.get(branch.pk)
        if not members:
            continue
        clerk = clerks[branch.pk]
        day = datetime.date(year + 1, 1, rng.randint(*ANNUAL_MEETING_DAYS))
        latest = today - datetime.timedelta(days=20)
        meeting_date = max(first, min(day, latest))
        ready_at = clock.daytime(rng, meeting_date - datetime.timedelta(days=rng.randint(5, 10)))
        steps = _schedule(
            rng,
            clock,
            ready_at=ready_at,
            meeting_date=meeting_date,
            notice_days=rule_set.notice_days,
        )
        if steps is None or steps.confirmed_at is None:
            continue
        voters = _present(rng, len(members))
        for person in members:
            _draw_figures(rng, person, cleared=id(person) in cleared)
            if person.cleared:
                continue
            # The ballots are counted at the meeting, before it confirms the year's results.
            entered = steps.confirmed_at - datetime.timedelta(minutes=rng.randint(10, 50))
            appraisal = Appraisal(
                member=person.member,
                branch=branch,
                year=year,
                entered_by=clerk,
                entered_at=entered,
            )
            if person.category == "C" and rng.random() < RESIDENCE_SHARE:
                appraisal.score = Decimal(rng.randint(150, 190)) / 10
                appraisal.source = Appraisal.Source.RESIDENCE
                appraisal.source_organisation = rng.choice(RESIDENCE_ORGANISATIONS)
            else:
                ballots = _ballots(rng, person, voters)
                excellent, qualified, basic, unqualified = ballots
                appraisal.score = engine.appraisal_from_ballots(
                    scoring_rules,
                    excellent=excellent,
                    qualified=qualified,
                    basic=basic,
                    unqualified=unqualified,
                )
                (
                    appraisal.ballots_excellent,
                    appraisal.ballots_qualified,
                    appraisal.ballots_basic,
                    appraisal.ballots_unqualified,
                ) = ballots
                appraisal.source = Appraisal.Source.BRANCH
            person.appraisal = appraisal
            rows.appraisals.append(appraisal)
            if person is appellant:
                _force_basic(rng, scoring_rules, person)
        lines = [_annual_line(scoring_rules, p) for p in members]
        services.rank_lines(lines, annual=True)
        # Those present at the meeting are those who voted in the appraisal.
        _assessment(
            rows,
            branch=branch,
            year=year,
            period=Period.YEAR,
            rule_set=rule_set,
            steps=steps,
            clerk=clerk,
            approver=approvers[branch.township_id],
            lines=lines,
            present=voters,
        )
        lines_by_branch[branch.pk] = lines
        steps_by_branch[branch.pk] = steps

    # What follows from the grades: talks for most 基本合格 members, one open appeal.
    for branch in branches:
        steps = steps_by_branch.get(branch.pk)
        if steps is None or steps.published_at is None:
            continue
        secretary = next((p.member.name for p in roster[branch.pk] if p.category == "A"), "")
        who = f"党支部书记{secretary}" if secretary else "党支部书记"
        after = (steps.archived_at or steps.published_at).date()
        for line in lines_by_branch[branch.pk]:
            if line.grade != engine.BASIC or (appellant and line.member is appellant.member):
                continue
            if rng.random() >= TALK_SHARE:
                continue
            date = after + datetime.timedelta(days=rng.randint(3, 30))
            recorded = clock.daytime(rng, date, 16, 20)
            if recorded > clock.now:
                continue
            notes = rng.choice(TALK_NOTES_C if line.category == "C" else TALK_NOTES)
            rows.follow_ups.append(
                FollowUp(
                    member=line.member,
                    branch=branch,
                    year=year,
                    kind=FollowUp.Kind.TALK,
                    date=date,
                    who=who,
                    notes=notes.format(year=year),
                    recorded_by=clerks[branch.pk],
                    recorded_at=recorded,
                )
            )
    steps = steps_by_branch.get(demo_branch.pk)
    if appellant is not None and steps is not None and steps.start_date is not None:
        received = max(steps.start_date, today - datetime.timedelta(days=rng.randint(2, 9)))
        rows.appeals.append(
            Appeal(
                member=appellant.member,
                branch=demo_branch,
                year=year,
                received_on=received,
                content=APPEAL_CONTENT.get(appellant.category, APPEAL_CONTENT[""]).format(
                    year=year
                ),
                status=Appeal.Status.OPEN,
                recorded_by=approvers[demo_branch.township_id],
            )
        )


# --- entry point ---------------------------------------------------------------------------


def seed_assessments(
    built: BuiltCounty,
    *,
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime | None = None,
    by_user=None,
) -> AssessmentsResult:
    """Write the assessments of ``built`` up to ``today`` (one transaction). See the module doc.

    Run after :func:`demo.year.seed_year_activity` (it reads the closed months and the
    ledger). ``by_user`` acts for branches without a secretary and townships without an official
    (default: the "county" demo user, else a non-login "system" user). No timestamp is later
    than ``now`` (default: now if ``today`` is today, else 18:00 of ``today``). Refuses a county
    whose branches already have assessments.
    """
    started = time.perf_counter()
    year = built.plan.year
    clock = _Clock(now or _default_now(today))
    branches = [built.branches[(b.township, b.name)] for b in built.plan.branches]
    rows = _Rows()
    with transaction.atomic():
        if Assessment.objects.filter(branch__in=[b.pk for b in branches]).exists():
            raise ValueError("this county already has assessments")
        rule_set = versions.in_force(year, county=built.county)
        if rule_set is None:
            raise ValueError(f"no rule set in force for {year}: seed the year activity first")
        fallback = fallback_user(by_user)
        clerks = _clerks(branches, fallback)
        approvers = _approvers(built, fallback)
        returned, objection, later = _seed_quarters(
            rows,
            rng,
            clock,
            built,
            year=year,
            rule_set=rule_set,
            clerks=clerks,
            approvers=approvers,
            branches=branches,
        )
        last_rule_set, created = _last_year_rule_set(year - 1, built.county, fallback)
        _seed_last_year(
            rows,
            rng,
            clock,
            built,
            year=year - 1,
            rule_set=last_rule_set,
            clerks=clerks,
            approvers=approvers,
            branches=branches,
            today=today,
        )

        with _timestamps_as_planned():
            Assessment.objects.bulk_create(rows.assessments, batch_size=BATCH_SIZE)
            AssessmentLog.objects.bulk_create(rows.assessment_logs, batch_size=BATCH_SIZE)
            AssessmentLine.objects.bulk_create(rows.lines, batch_size=BATCH_SIZE)
            Appraisal.objects.bulk_create(rows.appraisals, batch_size=BATCH_SIZE)
            notices, archives, _ = _write_notices(rows, rng, clock)
            FollowUp.objects.bulk_create(rows.follow_ups, batch_size=BATCH_SIZE)
            Appeal.objects.bulk_create(rows.appeals)

    current = [a for a in rows.assessments if a.year == year]
    annual = [a for a in rows.assessments if a.year == year - 1]
    annual_lines = [line for line in rows.lines if line.assessment.year == year - 1]
    return AssessmentsResult(
        year=year,
        quarters=Counter((a.period, a.status) for a in current),
        notices=Counter(n.status for n in notices if n.assessment.year == year),
        archived=sum(1 for a in archives if a.year == year),
        returned=returned,
        objection=objection,
        last_year=year - 1,
        last_year_rule_set_created=created,
        annual_branches=len(annual),
        annual_lines=len(annual_lines),
        grades=Counter(line.grade for line in annual_lines),
        follow_ups=len(rows.follow_ups),
        appeals=len(rows.appeals),
        seconds=time.perf_counter() - started,
        later_corrections=later,
    )
