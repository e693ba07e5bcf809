"""Steps 4–5: the members' meeting confirms a quarter or the year, the township approves or
sends it back, the notice is published, objections are handled, and the notice is archived.

Keyword-only functions, one transaction each, each checking that ``by`` may take the step
(members.permissions); every state change goes through core.transitions (a conditional UPDATE
plus a log row: who, when, from, to, why).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.chain import canonical_json, keyed_hash
from core.transitions import record_created, transition
from evaluations.models import (
    Appeal,
    Appraisal,
    ArchivedNotice,
    Assessment,
    AssessmentLine,
    FollowUp,
    Notice,
    Objection,
    Period,
)
from members.models import Branch, Category, Member
from members.permissions import (
    require_points_clerk,
    require_secretary,
    require_township_official,
)
from scoring import engine, ledger, versions
from scoring.models import BranchMonth, PointsEntry, RuleSet
from scoring.periods import QUARTERS, period_months, readiness

# Sanity bounds for typed counts: a branch has at most a few hundred members (the whole county
# 4,538), so more than these is a typing error, never a real meeting.
MAX_MEMBERS = 10_000  # members expected / present at a meeting
MAX_BALLOTS = 1_000  # ballots of one kind for one member

# Called inside the approval's transaction, after the status moved: ``hook(assessment=, log=,
# by=)``. Apps above evaluations (rewards: crediting the spendable balance) register here in
# their AppConfig.ready(), so that evaluations never imports them; a hook that raises undoes
# the approval.
approval_hooks: list = []

# --- Computing a period's figures --------------------------------------------------------------


@dataclass
class ComputedLine:
    member: Member
    category: str
    base: Decimal
    bonus: Decimal
    deductions: Decimal
    corrections: Decimal
    period_total: Decimal
    cumulative: Decimal
    appraisal: Decimal | None = None
    annual_total: Decimal | None = None
    grade: str = ""
    cleared: bool = False
    rank: int | None = None

    @property
    def grade_label(self) -> str:
        return engine.GRADE_LABELS.get(self.grade, "")

    def as_line(self, assessment: Assessment, *, held_back_reason: str = "") -> AssessmentLine:
        """The stored line for this member, as the members' meeting confirms it."""
        return AssessmentLine(
            assessment=assessment,
            member=self.member,
            category=self.category or Category.B,
            base=self.base,
            bonus=self.bonus,
            deductions=self.deductions,
            corrections=self.corrections,
            period_total=self.period_total,
            cumulative=self.cumulative,
            appraisal=self.appraisal,
            annual_total=self.annual_total,
            grade=self.grade,
            cleared=self.cleared,
            rank=self.rank,
            held_back=bool(held_back_reason),
            held_back_reason=held_back_reason,
        )


def members_in_period(*, branch: Branch, year: int, period: str) -> tuple[list, dict]:
    """The members whose line of the period belongs to this branch, in pinyin order, with the
    months they were on this branch's roll. Two queries.

    A period's line belongs to exactly one branch: the one whose roll holds the member in the
    last month of the period in which they are on any roll (DOMAIN §3.7). A member who moved in
    August is assessed for Q1 and Q2 by the old branch and for Q3, Q4 and the year by the new
    one; no member is on two branches' assessments or notices for one period."""
    months = period_months(period)
    candidates = Member.objects.filter(roll_periods__branch=branch).distinct()
    rolls = ledger.roll_branches(candidates.values("pk"), year)
    ids, on_roll = [], {}
    for pk, by_month in rolls.items():
        held = [m for m in months if m in by_month]
        if held and by_month[held[-1]] == branch.pk:
            ids.append(pk)
        on_roll[pk] = {m for m, b in by_month.items() if b == branch.pk}
    members = list(Member.objects.filter(pk__in=ids).order_by("name_sort", "pk"))
    return members, on_roll


def compute_lines(*, branch: Branch, year: int, period: str, rule_set: RuleSet) -> list:
    """Every member's figures for the period, ranked. A fixed number of queries."""
    scoring_rules = rule_set.scoring_rules()
    members, _ = members_in_period(branch=branch, year=year, period=period)
    ids = [m.pk for m in members]
    appraisals = {}
    if period == Period.YEAR:
        appraisals = dict(
            Appraisal.objects.filter(member_id__in=ids, year=year).values_list("member_id", "score")
        )
    years = ledger.member_years(ids, year, appraisals=appraisals)
    lines = [
        period_line(
            member, years[member.pk], scoring_rules, period, appraised=member.pk in appraisals
        )
        for member in members
    ]
    rank_lines(lines, annual=period == Period.YEAR)
    return lines


def period_line(
    member: Member,
    member_year: engine.MemberYear,
    scoring_rules: engine.ScoringRules,
    period: str,
    *,
    appraised: bool = False,
) -> ComputedLine:
    """One member's unranked line for ``period`` (a quarter or the year) from their year as the
    engine sees it: the row of :func:`compute_lines`, which the demo also builds its past
    meetings' lines with. ``appraised``: the year's appraisal has been entered."""
    months = period_months(period)
    held = [m for m in member_year.months if m <= months[-1]]
    category = member_year.months[held[-1]] if held else ""
    if period == Period.YEAR:
        result = engine.year_result(scoring_rules, member_year)
        total = engine.period_result(scoring_rules, member_year, months).total
        return ComputedLine(
            member=member,
            category=result.grade_category or category,
            base=result.base,
            bonus=result.bonus,
            deductions=result.deductions,
            corrections=result.corrections,
            period_total=total,
            cumulative=total,
            appraisal=result.appraisal if appraised else None,
            annual_total=result.total,
            grade=result.grade or "",
            cleared=result.cleared,
        )
    period_result = engine.period_result(scoring_rules, member_year, months)
    so_far = engine.period_result(scoring_rules, member_year, range(1, months[-1] + 1))
    return ComputedLine(
        member=member,
        category=category,
        base=period_result.base,
        bonus=period_result.bonus,
        deductions=period_result.deductions,
        corrections=period_result.corrections,
        period_total=period_result.total,
        cumulative=so_far.total,
        cleared=any(
            e.kind == engine.CLEARING and e.month <= months[-1] for e in member_year.entries
        ),
    )


def annual_assessment_versions(branch_ids, year: int) -> dict[int, int]:
    """The version each branch's annual assessment of ``year`` was opened with (registered in
    scoring.versions.annual_version_finders)."""
    return dict(
        Assessment.objects.filter(
            branch_id__in=list(branch_ids), year=year, period=Period.YEAR
        ).values_list("branch_id", "rule_set_id")
    )


def rank_lines(lines, *, annual: bool) -> None:
    """Standard competition ranking ("1, 2, 2, 4") on the year's total (the annual notice) or on
    the cumulative points so far (a quarter's notice). Cleared members are not ranked."""
    key = (lambda line: line.annual_total) if annual else (lambda line: line.cumulative)
    ranked = sorted((line for line in lines if not line.cleared), key=key, reverse=True)
    previous, rank = None, 0
    for position, line in enumerate(ranked, start=1):
        if key(line) != previous:
            rank, previous = position, key(line)
        line.rank = rank
    for line in lines:
        if line.cleared:
            line.rank = None


def public_order(lines):
    """The notice's order: by rank, ties by pinyin; cleared members last, by pinyin."""
    return sorted(
        lines,
        key=lambda line: (line.rank is None, line.rank or 0, line.member.name_sort, line.member.pk),
    )


# --- The assessment's life cycle ---------------------------------------------------------------


@transaction.atomic
def assessment_open(*, branch: Branch, year: int, period: str, by) -> Assessment:
    """Open the members' meeting review of a quarter (or the year) once its months are closed."""
    require_secretary(by, branch)
    closed = BranchMonth.objects.filter(
        branch=branch, year=year, month__in=period_months(period), status=BranchMonth.Status.CLOSED
    ).values_list("month", flat=True)
    approved = Assessment.objects.filter(
        branch=branch, year=year, period__in=QUARTERS, status=Assessment.Status.APPROVED
    ).values_list("period", flat=True)
    ready = readiness(
        period,
        closed_months=set(closed),
        approved_quarters=set(approved) if period == Period.YEAR else (),
    )
    if not ready.ready:
        raise ValidationError(f"{ready.waits_for}，不能开始{Period(period).label}评定。")
    rule_set = versions.in_force(year, branch=branch)
    if rule_set is None:
        raise ValidationError(f"{year}年的积分细则尚未发布。")
    assessment, created = Assessment.objects.get_or_create(
        branch=branch, year=year, period=period, defaults={"rule_set": rule_set, "opened_by": by}
    )
    if created:
        record_created(assessment, by=by, reason="开始评定")
    return assessment


@transaction.atomic
def assessment_confirm(
    *,
    assessment: Assessment,
    meeting_date: datetime.date,
    members_expected: int,
    members_present: int,
    held_back: dict[int, str] | None = None,
    by,
) -> Assessment:
    """The members' general meeting confirms every member's points, one by one — or holds a
    member back with a reason. The figures are computed now and stored as the confirmed lines."""
    require_secretary(by, assessment.branch)
    held_back = {pk: reason.strip() for pk, reason in (held_back or {}).items()}
    if any(not reason for reason in held_back.values()):
        raise ValidationError({"held_back": "暂缓确认的党员须写明原因。"})
    if members_present > members_expected:
        raise ValidationError({"members_present": "实到人数不能多于应到人数。"})
    if members_expected <= 0:
        raise ValidationError({"members_expected": "应到人数须大于 0。"})
    if members_present < 0:
        raise ValidationError({"members_present": "实到人数不能为负数。"})
    if members_expected > MAX_MEMBERS:
        raise ValidationError({"members_expected": f"应到人数不能超过 {MAX_MEMBERS} 人，请核对。"})
    if meeting_date > timezone.localdate():
        raise ValidationError({"meeting_date": "会议日期不能晚于今天。"})
    last_month = period_months(assessment.period)[-1]
    if meeting_date < datetime.date(assessment.year, last_month, 1):
        raise ValidationError({"meeting_date": "会议日期不能早于评定期间的最后一个月。"})
    lines = compute_lines(
        branch=assessment.branch,
        year=assessment.year,
        period=assessment.period,
        rule_set=assessment.rule_set,
    )
    unknown = set(held_back) - {line.member.pk for line in lines}
    if unknown:
        raise ValidationError({"held_back": "暂缓确认的党员不在本期名单中。"})
    if assessment.is_annual:
        _check_annual_ready(assessment, lines)
    reason = (
        f"党员大会 {meeting_date:%Y-%m-%d}，应到 {members_expected} 人，实到 {members_present} 人"
    )
    if held_back:
        reason += f"，暂缓确认 {len(held_back)} 人"
    transition(
        assessment,
        "confirm",
        by=by,
        reason=reason,
        meeting_date=meeting_date,
        members_expected=members_expected,
        members_present=members_present,
        confirmed_at=timezone.now(),
    )
    # The lines are derived figures, replaced at each confirmation; the log keeps the history.
    AssessmentLine.objects.filter(assessment=assessment).delete()
    AssessmentLine.objects.bulk_create(
        line.as_line(assessment, held_back_reason=held_back.get(line.member.pk, ""))
        for line in lines
    )
    return assessment


def _check_annual_ready(assessment, lines) -> None:
    missing = [line.member.name for line in lines if line.appraisal is None and not line.cleared]
    if missing:
        names = "、".join(missing[:5]) + (f"等 {len(missing)} 人" if len(missing) > 5 else "")
        raise ValidationError(f"{names}尚未录入民主评议积分。")


@transaction.atomic
def assessment_approve(*, assessment: Assessment, by, comment: str = "") -> Assessment:
    require_township_official(by, assessment.branch)
    log = transition(
        assessment,
        "approve",
        by=by,
        reason=comment.strip() or "审核通过",
        township_comment=comment.strip(),
        approved_at=timezone.now(),
    )
    for hook in approval_hooks:
        hook(assessment=assessment, log=log, by=by)
    return assessment


@transaction.atomic
def assessment_return(*, assessment: Assessment, by, comment: str) -> Assessment:
    require_township_official(by, assessment.branch)
    if not comment.strip():
        raise ValidationError({"comment": "退回时请写明需要修改的内容。"})
    transition(
        assessment,
        "return",
        by=by,
        reason=comment.strip(),
        township_comment=comment.strip(),
    )
    return assessment


def excellent_quota_warning(assessment: Assessment, lines) -> str:
    """A warning (never a demotion) when 优秀 exceeds the rule set's share of the branch."""
    if not assessment.is_annual:
        return ""
    scoring_rules = assessment.rule_set.scoring_rules()
    excellent = sum(1 for line in lines if line.grade == engine.EXCELLENT)
    if engine.excellent_quota_exceeded(scoring_rules, excellent=excellent, members=len(lines)):
        share = scoring_rules.excellent_share
        return (
            f"优秀 {excellent} 人，超过本支部党员总数（{len(lines)} 人）的 "
            f"{share.numerator}/{share.denominator}。按规定优秀一般不超过该比例，请党员大会研究；"
            "系统不会自动调整任何人的等次。"
        )
    return ""


# --- Democratic appraisal ----------------------------------------------------------------------


@transaction.atomic
def appraisal_record(
    *,
    member: Member,
    branch: Branch,
    year: int,
    by,
    score: Decimal | None = None,
    ballots: tuple[int, int, int, int] | None = None,
    present: int | None = None,
    source: str = Appraisal.Source.BRANCH,
    source_organisation: str = "",
) -> Appraisal:
    """Record the score directly (0..max, one decimal) or from the four ballot counts."""
    require_points_clerk(by, branch)
    if versions.in_force_id(year, branch=branch) is None:
        raise ValidationError(f"{year}年的积分细则尚未发布。")
    if Assessment.objects.filter(
        branch=branch,
        year=year,
        period=Period.YEAR,
        status__in=[Assessment.Status.CONFIRMED, Assessment.Status.APPROVED],
    ).exists():
        raise ValidationError("年度评定已经党员大会确认，民主评议结果不能再修改。")
    scoring_rules = versions.annual_rules(branch.pk, year)
    if source == Appraisal.Source.RESIDENCE and not source_organisation.strip():
        raise ValidationError({"source_organisation": "请填写进行评议的现居住地党组织名称。"})
    if (score is None) == (ballots is None):
        raise ValidationError("请直接填写评议得分，或填写四类票数（二选一）。")
    if ballots is not None:
        if any(count < 0 for count in ballots):
            raise ValidationError({"ballots": "票数不能为负数。"})
        if any(count > MAX_BALLOTS for count in ballots):
            raise ValidationError({"ballots": f"每类票数不能超过 {MAX_BALLOTS} 张，请核对。"})
        if sum(ballots) == 0:
            raise ValidationError({"ballots": "四类票数不能全部为 0。"})
        if present is not None and sum(ballots) > present:
            raise ValidationError(
                {"ballots": f"总票数（{sum(ballots)}）不能多于参加测评的党员人数（{present}）。"}
            )
        excellent, qualified, basic, unqualified = ballots
        score = engine.appraisal_from_ballots(
            scoring_rules,
            excellent=excellent,
            qualified=qualified,
            basic=basic,
            unqualified=unqualified,
        )
    else:
        try:
            score = engine.validate_appraisal_score(scoring_rules, score)
        except ValueError as error:
            raise ValidationError({"score": str(error)}) from error
    values = {
        "branch": branch,
        "score": score,
        "source": source,
        "source_organisation": source_organisation.strip(),
        "entered_by": by,
        "ballots_excellent": ballots[0] if ballots else None,
        "ballots_qualified": ballots[1] if ballots else None,
        "ballots_basic": ballots[2] if ballots else None,
        "ballots_unqualified": ballots[3] if ballots else None,
    }
    appraisal, _ = Appraisal.objects.update_or_create(member=member, year=year, defaults=values)
    return appraisal


@dataclass
class AppraisalRow:
    """One member's line of the appraisal sheet: a score, or the four ballot counts."""

    member: Member
    score: Decimal | None
    ballots: tuple[int, int, int, int] | None
    source: str = Appraisal.Source.BRANCH
    source_organisation: str = ""


class AppraisalRowsRefused(ValidationError):
    """Some rows were refused, so none was saved; ``rows`` maps a row's index to its error."""

    def __init__(self, rows: dict[int, ValidationError]):
        super().__init__("部分党员的评议结果未能保存。")
        self.rows = rows


@transaction.atomic
def appraisals_record(
    *, branch: Branch, year: int, rows: list[AppraisalRow], present: int | None, by
) -> int:
    """Record a meeting's appraisal sheet: every row or none (a sheet half saved would be read as
    the meeting's result). Returns the number of rows saved; raises AppraisalRowsRefused when a
    row is refused, a ValidationError on ``present`` when ballots come without the count."""
    require_points_clerk(by, branch)
    if present is None and any(
        row.ballots is not None and row.source == Appraisal.Source.BRANCH for row in rows
    ):
        raise ValidationError({"present": "录入票数时请填写参加测评党员人数。"})
    refused = {}
    for index, row in enumerate(rows):
        try:
            appraisal_record(
                member=row.member,
                branch=branch,
                year=year,
                by=by,
                score=row.score,
                ballots=row.ballots,
                # The count of this branch's meeting bounds only this branch's ballots; a
                # migrant member appraised where they live is voted on by another meeting.
                present=present if row.source == Appraisal.Source.BRANCH else None,
                source=row.source,
                source_organisation=row.source_organisation,
            )
        except ValidationError as error:
            # Go on, so that the sheet comes back with every refused row marked at once.
            refused[index] = error
    if refused:
        raise AppraisalRowsRefused(refused)  # leaving the atomic block undoes the saved rows
    return len(rows)


# --- Follow-up and appeals ---------------------------------------------------------------------


FOLLOW_UP_FOR_GRADE = {
    engine.BASIC: FollowUp.Kind.TALK,
    engine.UNQUALIFIED: FollowUp.Kind.HANDLING,
    engine.EXCELLENT: FollowUp.Kind.CANDIDATE,
}


@transaction.atomic
def follow_up_record(
    *, member: Member, branch: Branch, year: int, kind: str, date, who: str, notes: str, by
) -> FollowUp:
    require_secretary(by, branch)
    if not notes.strip() or not who.strip():
        raise ValidationError("请填写谈话人（或决定机关）和情况记录。")
    if date > timezone.localdate():
        raise ValidationError({"date": "日期不能晚于今天。"})
    return FollowUp.objects.create(
        member=member,
        branch=branch,
        year=year,
        kind=kind,
        date=date,
        who=who.strip(),
        notes=notes.strip(),
        recorded_by=by,
    )


@transaction.atomic
def appeal_record(
    *, member: Member, branch: Branch, year: int, received_on, content: str, by
) -> Appeal:
    """A member's appeal, recorded by the branch secretary or the township official."""
    try:
        require_secretary(by, branch)
    except PermissionDenied:
        require_township_official(by, branch)
    if not content.strip():
        raise ValidationError({"content": "请填写申诉内容。"})
    appeal = Appeal.objects.create(
        member=member,
        branch=branch,
        year=year,
        received_on=received_on,
        content=content.strip(),
        recorded_by=by,
    )
    record_created(appeal, by=by, reason="登记申诉")
    return appeal


@transaction.atomic
def appeal_decide(*, appeal: Appeal, status: str, decision: str, by) -> Appeal:
    require_township_official(by, appeal.branch)
    actions = {Appeal.Status.UPHELD: "uphold", Appeal.Status.CHANGED: "change"}
    if status not in actions:
        raise ValidationError({"status": "请选择处理结果。"})
    if not decision.strip():
        raise ValidationError({"decision": "请填写处理意见。"})
    transition(
        appeal,
        actions[status],
        by=by,
        reason=decision.strip(),
        decision=decision.strip(),
        decided_on=timezone.localdate(),
        decided_by=by,
    )
    return appeal


# --- The public notice -------------------------------------------------------------------------


def notice_title(assessment: Assessment) -> str:
    return f"{assessment.branch.full_name}党员积分制考核结果公示（{assessment.title_period}）"


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def notice_rows(assessment: Assessment) -> list[dict]:
    """The public rows: only what DOMAIN.md §5 allows. Cleared members carry the marker and
    nothing else; held-back members are not posted."""
    lines = [line for line in assessment.lines.select_related("member") if not line.held_back]
    rows = []
    for index, line in enumerate(public_order(lines), start=1):
        row = {"no": index, "name": line.member.name, "category": line.category}
        if line.cleared:
            row["cleared"] = True
        else:
            row.update(
                cleared=False,
                base=_money(line.base),
                bonus=_money(line.bonus),
                deductions=_money(line.deductions),
                corrections=_money(line.corrections),
                period_total=_money(line.period_total),
                cumulative=_money(line.cumulative),
                rank=line.rank,
            )
            if assessment.is_annual:
                row.update(
                    appraisal=_money(line.appraisal),
                    annual_total=_money(line.annual_total),
                    grade=engine.GRADE_LABELS.get(line.grade, ""),
                )
        rows.append(row)
    return rows


@transaction.atomic
def notice_create(*, assessment: Assessment, objection_channel: str, by) -> Notice:
    require_secretary(by, assessment.branch)
    if assessment.status != Assessment.Status.APPROVED:
        raise ValidationError("乡镇审核通过后才能生成公示。")
    if Notice.objects.filter(assessment=assessment).exists():
        raise ValidationError("该期公示已经生成。")
    if not objection_channel.strip():
        raise ValidationError({"objection_channel": "请写明异议反映方式（受理人、地点、电话）。"})
    notice = Notice.objects.create(
        assessment=assessment,
        branch=assessment.branch,
        title=notice_title(assessment),
        objection_channel=objection_channel.strip(),
        rows=notice_rows(assessment),
        created_by=by,
    )
    record_created(notice, by=by, reason="生成草稿")
    return notice


@transaction.atomic
def notice_approve(*, notice: Notice, by) -> Notice:
    """The branch approves the draft: the rows are recomputed one last time and frozen."""
    require_secretary(by, notice.branch)
    transition(notice, "approve", by=by, rows=notice_rows(notice.assessment))
    return notice


@transaction.atomic
def notice_publish(*, notice: Notice, start_date: datetime.date, by) -> Notice:
    require_secretary(by, notice.branch)
    days = notice.assessment.rule_set.notice_days
    today = timezone.localdate()
    if start_date < today - datetime.timedelta(days=7) or start_date > today:
        raise ValidationError({"start_date": "公示开始日期应为今天或最近一周内。"})
    transition(
        notice,
        "publish",
        by=by,
        reason=f"公示 {days} 天",
        start_date=start_date,
        end_date=start_date + datetime.timedelta(days=days),
        issued_on=start_date,
        published_at=timezone.now(),
    )
    return notice


@transaction.atomic
def objection_record(
    *,
    notice: Notice,
    content: str,
    received_on: datetime.date,
    by,
    anonymous: bool = False,
    raised_by: str = "",
) -> Objection:
    require_secretary(by, notice.branch)
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError("只有公示期间才能登记异议。")
    if not notice.start_date <= received_on <= notice.end_date:
        raise ValidationError(
            {
                "received_on": f"收到日期应在公示期内（{notice.start_date:%Y-%m-%d} 至 "
                f"{notice.end_date:%Y-%m-%d}）。"
            }
        )
    if not content.strip():
        raise ValidationError({"content": "请填写异议内容。"})
    if not anonymous and not raised_by.strip():
        raise ValidationError({"raised_by": "请填写反映人，或勾选“匿名”。"})
    objection = Objection.objects.create(
        notice=notice,
        anonymous=anonymous,
        raised_by="" if anonymous else raised_by.strip(),
        content=content.strip(),
        received_on=received_on,
        recorded_by=by,
    )
    record_created(objection, by=by, reason="登记异议")
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, answer: str, by) -> Objection:
    require_secretary(by, objection.notice.branch)
    if not answer.strip():
        raise ValidationError({"answer": "请填写答复内容。"})
    transition(
        objection,
        "answer",
        by=by,
        reason=answer.strip(),
        answer=answer.strip(),
        answered_on=timezone.localdate(),
    )
    return objection


@transaction.atomic
def objection_resolve(*, objection: Objection, resolution: str, by) -> Objection:
    require_secretary(by, objection.notice.branch)
    if not resolution.strip():
        raise ValidationError({"resolution": "请填写办结情况。"})
    if objection.status == Objection.Status.OPEN:
        raise ValidationError("请先答复该异议，再办结。")
    transition(
        objection,
        "resolve",
        by=by,
        reason=resolution.strip(),
        resolution=resolution.strip(),
        resolved_on=timezone.localdate(),
    )
    return objection


def notice_snapshot(notice: Notice) -> dict:
    """Everything the posted notice showed, as plain JSON."""
    assessment = notice.assessment
    return {
        "title": notice.title,
        "branch": notice.branch.full_name,
        "township": notice.branch.township.name,
        "year": assessment.year,
        "period": assessment.period,
        "period_label": assessment.get_period_display(),
        "annual": assessment.is_annual,
        "rule_set": {"year": assessment.rule_set.year, "version": assessment.rule_set.version},
        "rows": notice.rows,
        "held_back": assessment.lines.filter(held_back=True).count(),
        "start_date": notice.start_date.isoformat(),
        "end_date": notice.end_date.isoformat(),
        "issued_on": notice.issued_on.isoformat(),
        "objection_channel": notice.objection_channel,
        "meeting_date": assessment.meeting_date.isoformat() if assessment.meeting_date else None,
    }


def content_hash(snapshot: dict) -> str:
    """The keyed hash (core.chain) of the snapshot: only the server's key recomputes it, so an
    edited archive cannot be made to read 一致 again."""
    return keyed_hash(canonical_json(snapshot))


@transaction.atomic
def notice_archive(*, notice: Notice, by) -> ArchivedNotice:
    require_secretary(by, notice.branch)
    if notice.status == Notice.Status.PUBLISHED and timezone.localdate() <= notice.end_date:
        raise ValidationError(f"公示期至 {notice.end_date:%Y年%m月%d日} 结束，期满后才能存档。")
    open_objections = notice.objections.exclude(status=Objection.Status.RESOLVED).count()
    if open_objections:
        raise ValidationError(f"还有 {open_objections} 条异议未办结，办结后才能存档。")
    transition(notice, "archive", by=by)
    snapshot = notice_snapshot(notice)
    return ArchivedNotice.objects.create(
        notice=notice,
        branch=notice.branch,
        year=notice.assessment.year,
        period=notice.assessment.period,
        snapshot=snapshot,
        content_hash=content_hash(snapshot),
        archived_by=by,
    )


def later_corrections(archive: ArchivedNotice):
    """Corrections recorded after the notice was posted, against the months it covered."""
    return PointsEntry.objects.filter(
        Q(kind=PointsEntry.Kind.CORRECTION),
        branch=archive.branch,
        year=archive.year,
        month__in=period_months(archive.period),
        created_at__gt=archive.notice.published_at,
    )
