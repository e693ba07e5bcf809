"""Step 4 (党员评定): the branch's year at a glance, the quarterly and annual assessment that the
members' general meeting confirms one member at a time, the township's approval queue, the
democratic appraisal, the follow-up of grades and members' appeals.

Views are thin: scoped look-up (404 outside the user's township or branch, on every method),
form, service, redirect. Who may do what:

* the branch secretary opens and confirms an assessment and records follow-ups;
* the secretary and the assessment group enter the democratic appraisal;
* the official of the branch's township approves or sends back, and decides appeals;
* the county reads everything and approves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.web import apply_validation_error, scoped
from evaluations import selectors, services
from evaluations.forms import (
    AppealDecisionForm,
    AppealForm,
    AppraisalFormSet,
    AppraisalMeetingForm,
    ConfirmForm,
    FollowUpForm,
    ReviewForm,
)
from evaluations.forms_notice import NoticeCreateForm
from evaluations.models import (
    Appeal,
    Appraisal,
    Assessment,
    AssessmentLine,
    FollowUp,
    Period,
)
from members.models import Branch, Official
from members.scope import (
    get_branch,
    get_member,
    get_township,
    official_of,
    require_points_clerk,
    require_secretary,
)
from scoring import engine, ledger, versions
from scoring.models import BranchMonth
from scoring.periods import readiness

Status = Assessment.Status
PERIODS = [Period.Q1, Period.Q2, Period.Q3, Period.Q4, Period.YEAR]
SHORT_STATUS = {
    Status.OPEN: "待党员大会评定",
    Status.CONFIRMED: "待乡镇审核",
    Status.RETURNED: "退回",
    Status.APPROVED: "已通过",
}
STATUS_BADGE = {
    Status.OPEN: "warn",
    Status.CONFIRMED: "warn",
    Status.RETURNED: "err",
    Status.APPROVED: "ok",
}
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _is_township_official_of(official: Official, branch: Branch) -> bool:
    return official.is_township and official.township_id == branch.township_id


def _require_township_official(request, branch: Branch) -> Official:
    """Approving, sending back and deciding appeals: the official of the branch's township
    only. The county reads; it does not approve."""
    official = official_of(request)
    if not _is_township_official_of(official, branch):
        raise Http404
    return official


def _secretarys_branch(request, pk) -> Branch:
    """The branch, for its secretary only: anyone else gets 404 before any 405."""
    branch = get_branch(request, pk)
    require_secretary(request, branch)
    return branch


def _notice_of(assessment: Assessment | None):
    if assessment is None:
        return None
    try:
        return assessment.notice
    except ObjectDoesNotExist:
        return None


@dataclass
class PeriodRow:
    period: str
    label: str
    months: tuple
    missing: list  # months not yet closed
    assessment: Assessment | None
    notice: object | None
    can_open: bool
    blocked: str  # why it cannot be opened yet

    @property
    def status_label(self) -> str:
        return SHORT_STATUS[self.assessment.status] if self.assessment else "未开始"

    @property
    def badge(self) -> str:
        return STATUS_BADGE[self.assessment.status] if self.assessment else ""

    @property
    def is_approved(self) -> bool:
        return self.assessment is not None and self.assessment.status == Status.APPROVED


def assessments(request, pk, year):
    branch = get_branch(request, pk)
    _check_year(year)
    official = official_of(request)
    is_secretary = official.is_secretary_of(branch)
    closed = set(
        BranchMonth.objects.filter(
            branch=branch, year=year, status=BranchMonth.Status.CLOSED
        ).values_list("month", flat=True)
    )
    existing = {
        a.period: a
        for a in Assessment.objects.filter(branch=branch, year=year)
        .select_related("notice")
        .order_by()
    }
    approved = {p for p, a in existing.items() if a.status == Status.APPROVED}
    rows = []
    for period in PERIODS:
        months = services.period_months(period)
        ready = readiness(period, closed_months=closed, approved_quarters=approved)
        missing = list(ready.unclosed)
        assessment = existing.get(period)
        blocked = ""
        if assessment is None:
            if missing:
                blocked = "、".join(f"{m}月" for m in missing) + "尚未结账"
            elif not ready.ready:
                blocked = "四个季度均经乡镇审核通过后才能开始年度评定"
        rows.append(
            PeriodRow(
                period=period,
                label=Period(period).label,
                months=months,
                missing=missing,
                assessment=assessment,
                notice=_notice_of(assessment),
                can_open=is_secretary and assessment is None and not blocked,
                blocked=blocked,
            )
        )
    today = timezone.localdate()
    return render(
        request,
        "evaluations/assessments.html",
        {
            "branch": branch,
            "year": year,
            "rows": rows,
            "is_secretary": is_secretary,
            "can_queue": official.is_county or _is_township_official_of(official, branch),
            "prev_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < today.year else None,
        },
    )


@scoped(_secretarys_branch, "POST")
def assessment_open(request, branch, year, period):
    official = official_of(request)
    _check_year(year)
    if period not in Period.values:
        raise Http404
    try:
        assessment = services.assessment_open(
            branch=branch, year=year, period=period, by=official.user
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("assessments", pk=branch.pk, year=year)
    messages.success(request, f"已开始{assessment.title_period}评定。")
    return redirect("assessment", pk=assessment.pk)


# --- One assessment: the members' meeting and the township's review ---------------------------


def _get_assessment(request, pk) -> Assessment:
    return get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related(
            "branch__township", "rule_set", "notice"
        ),
        pk=pk,
    )


def _secretarys_assessment(request, pk) -> Assessment:
    """The assessment, for its branch's secretary only: anyone else gets 404 before any 405."""
    assessment = _get_assessment(request, pk)
    require_secretary(request, assessment.branch)
    return assessment


def _reviewers_assessment(request, pk) -> Assessment:
    """The assessment, for its township's official only: anyone else gets 404 before any 405."""
    assessment = _get_assessment(request, pk)
    _require_township_official(request, assessment.branch)
    return assessment


def _is_live(assessment: Assessment) -> bool:
    return assessment.status in (Status.OPEN, Status.RETURNED)


def _lines(assessment: Assessment) -> list:
    """Open or sent back: the figures computed now from the ledger (a preview of what the
    meeting confirms). Otherwise: the lines as confirmed. In the notice's order either way."""
    if _is_live(assessment):
        lines = services.compute_lines(
            branch=assessment.branch,
            year=assessment.year,
            period=assessment.period,
            rule_set=assessment.rule_set,
        )
    else:
        lines = list(assessment.lines.select_related("member"))
    return services.public_order(lines)


def _confirm_form(assessment: Assessment, lines, data=None) -> ConfirmForm:
    members = [line.member for line in lines]
    if data is not None:
        return ConfirmForm(data, members=members)
    initial = {
        "meeting_date": timezone.localdate(),
        "members_expected": len(members) or None,
    }
    if assessment.status == Status.RETURNED:
        # Sent back: start from what the meeting decided last time.
        for pk, reason in assessment.lines.filter(held_back=True).values_list(
            "member_id", "held_back_reason"
        ):
            initial[f"hold_{pk}"] = True
            initial[f"reason_{pk}"] = reason
    return ConfirmForm(members=members, initial=initial)


def _assessment_context(
    request, assessment: Assessment, *, lines=None, confirm_form=None, review_form=None
) -> dict:
    official = official_of(request)
    branch = assessment.branch
    if lines is None:
        lines = _lines(assessment)
    live = _is_live(assessment)
    can_confirm = official.is_secretary_of(branch) and (live or confirm_form is not None)
    can_review = _is_township_official_of(official, branch) and (
        assessment.status == Status.CONFIRMED or review_form is not None
    )
    if can_confirm and confirm_form is None:
        confirm_form = _confirm_form(assessment, lines)
    if can_review and review_form is None:
        review_form = ReviewForm()
    rows = []
    for number, line in enumerate(lines, start=1):
        hold = reason = None
        if can_confirm:
            hold, reason = confirm_form.member_fields(line.member)
        rows.append({"no": number, "line": line, "hold": hold, "reason": reason})
    annual = assessment.is_annual
    notice = _notice_of(assessment)
    can_create_notice = (
        official.is_secretary_of(branch) and assessment.status == Status.APPROVED and not notice
    )
    return {
        "assessment": assessment,
        "branch": branch,
        "rows": rows,
        "live": live,
        "annual": annual,
        "status_label": SHORT_STATUS[assessment.status],
        "status_badge": STATUS_BADGE[assessment.status],
        "quota_warning": services.excellent_quota_warning(assessment, lines) if annual else "",
        "missing_appraisals": [
            line.member.name
            for line in lines
            if annual and line.appraisal is None and not line.cleared
        ],
        "held_back_count": sum(1 for line in lines if getattr(line, "held_back", False)),
        "logs": assessment.logs.select_related("by__official"),
        "notice": notice,
        "notice_form": NoticeCreateForm() if can_create_notice else None,
        "can_confirm": can_confirm,
        "can_review": can_review,
        "confirm_form": confirm_form,
        "review_form": review_form,
        "total_label": "本年度积分" if annual else "本季度积分",
        "columns": (13 if annual else 10) + (1 if can_confirm else 0),
    }


def assessment(request, pk):
    assessment = _get_assessment(request, pk)
    return render(request, "evaluations/assessment.html", _assessment_context(request, assessment))


@scoped(_secretarys_assessment, "POST")
def assessment_confirm(request, assessment):
    official = official_of(request)
    lines = _lines(assessment)
    form = _confirm_form(assessment, lines, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.assessment_confirm(
                assessment=assessment,
                meeting_date=data["meeting_date"],
                members_expected=data["members_expected"],
                members_present=data["members_present"],
                held_back=form.held_back(),
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"{assessment.title_period}评定已经党员大会确认，等待乡镇审核。"
            )
            return redirect("assessment", pk=assessment.pk)
    assessment.refresh_from_db()
    context = _assessment_context(request, assessment, lines=lines, confirm_form=form)
    return render(request, "evaluations/assessment.html", context)


@scoped(_reviewers_assessment, "POST")
def assessment_review(request, assessment):
    official = official_of(request)
    form = ReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == ReviewForm.APPROVE:
                services.assessment_approve(
                    assessment=assessment, by=official.user, comment=data["comment"]
                )
                done = f"{assessment} 已审核通过。"
            else:
                services.assessment_return(
                    assessment=assessment, by=official.user, comment=data["comment"]
                )
                done = f"{assessment} 已退回支部修改。"
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, done)
            return redirect("assessment", pk=assessment.pk)
    assessment.refresh_from_db()
    context = _assessment_context(request, assessment, review_form=form)
    return render(request, "evaluations/assessment.html", context)


# --- Democratic appraisal ----------------------------------------------------------------------


def _grade_categories(members, on_roll: dict, year: int) -> dict[int, str]:
    """The category each member holds in December, or in the last month on the roll."""
    held = ledger.categories_by_month([m.pk for m in members], year)
    result = {}
    for member in members:
        months = sorted(m for m in on_roll.get(member.pk, ()) if m in held.get(member.pk, {}))
        result[member.pk] = held[member.pk][months[-1]] if months else ""
    return result


@scoped(get_branch, "GET", "POST")
def appraisal(request, branch, year):
    _check_year(year)
    official = official_of(request)
    if request.method == "POST":
        official = require_points_clerk(request, branch)
    rule_set = versions.in_force(year, branch=branch)
    annual = Assessment.objects.filter(branch=branch, year=year, period=Period.YEAR).first()
    locked = annual is not None and annual.status in (Status.CONFIRMED, Status.APPROVED)
    members, on_roll = services.members_in_period(branch=branch, year=year, period=Period.YEAR)
    categories = _grade_categories(members, on_roll, year)
    stored = {
        a.member_id: a
        for a in Appraisal.objects.filter(member__in=[m.pk for m in members], year=year)
    }
    can_enter = official.can_enter_points(branch) and rule_set is not None and not locked

    meeting_form = AppraisalMeetingForm(request.POST or None, prefix="meeting")
    formset = AppraisalFormSet(
        request.POST or None, members=members, categories=categories, prefix="appraisal"
    )
    if request.method == "POST":
        if not can_enter:
            messages.error(
                request,
                "年度评定已经党员大会确认，民主评议结果不能再修改。"
                if locked
                else f"{year}年的积分细则尚未发布。",
            )
            return redirect("appraisal", pk=branch.pk, year=year)
        saved = _save_appraisals(branch, year, meeting_form, formset, by=official.user)
        if saved is not None:
            if saved:
                messages.success(request, f"已保存 {saved} 名党员的民主评议积分。")
            else:
                messages.warning(request, "没有填写任何党员的评议结果，未作修改。")
            return redirect("appraisal", pk=branch.pk, year=year)

    rows = [
        {
            "member": member,
            "category": categories.get(member.pk, ""),
            "stored": stored.get(member.pk),
            "form": form,
        }
        for member, form in zip(members, formset.forms, strict=False)
    ]
    return render(
        request,
        "evaluations/appraisal.html",
        {
            "branch": branch,
            "year": year,
            "rule_set": rule_set,
            "annual": annual,
            "locked": locked,
            "can_enter": can_enter,
            "rows": rows,
            "formset": formset,
            "meeting_form": meeting_form,
            "entered": len(stored),
            "posted": request.method == "POST",
        },
    )


def _save_appraisals(branch, year, meeting_form, formset, *, by) -> int | None:
    """The sheet to services.appraisals_record: the number saved, or None when something was
    refused (the messages are then on the rows and fields)."""
    if not (meeting_form.is_valid() and formset.is_valid()):
        return None
    filled = [form for form in formset.forms if form.is_filled]
    rows = [
        services.AppraisalRow(
            member=form.expected_member,
            score=form.cleaned_data["score"],
            ballots=form.cleaned_data["ballots"],
            source=form.cleaned_data["source"],
            source_organisation=form.cleaned_data["source_organisation"],
        )
        for form in filled
    ]
    try:
        return services.appraisals_record(
            branch=branch,
            year=year,
            rows=rows,
            present=meeting_form.cleaned_data["present"],
            by=by,
        )
    except services.AppraisalRowsRefused as refused:
        for index, error in refused.rows.items():
            apply_validation_error(filled[index], error)
    except ValidationError as error:
        apply_validation_error(meeting_form, error)
    return None


# --- The township's queue ----------------------------------------------------------------------


def township_queue(request, pk):
    township = get_township(request, pk)
    official = official_of(request)
    found = selectors.township_queue(township)
    return render(
        request,
        "evaluations/township_queue.html",
        {
            "township": township,
            "queue": found.queue,
            "returned": found.returned,
            "open_appeals": found.open_appeals,
            "open_objections": found.open_objections,
            "can_approve": official.is_township,
        },
    )


# --- Follow-up of grades -----------------------------------------------------------------------


GRADE_SECTIONS = [
    (engine.EXCELLENT, "优秀", "优先作为村级后备力量人选、评先评优和推荐对象。"),
    (engine.BASIC, "基本合格", "由支部书记或支委进行谈心谈话，记录谈话日期、谈话人和情况。"),
    (engine.UNQUALIFIED, "不合格", "按照有关规定作出组织处置，记录处理决定和日期。"),
]


@scoped(get_branch, "GET", "POST")
def follow_ups(request, branch, year):
    _check_year(year)
    official = official_of(request)
    if request.method == "POST":
        official = require_secretary(request, branch)
    page = selectors.follow_ups(branch, year, user=request.user)
    annual, lines, by_member = page.annual, page.lines, page.by_member
    lines_by_member = {line.member_id: line for line in lines}
    can_record = official.is_secretary_of(branch) and annual is not None

    form = None
    if can_record:
        if request.method == "POST":
            form = FollowUpForm(request.POST, lines=lines)
            if form.is_valid():
                data = form.cleaned_data
                line = lines_by_member[data["member"]]
                try:
                    services.follow_up_record(
                        member=line.member,
                        branch=branch,
                        year=year,
                        kind=data["kind"],
                        date=data["date"],
                        who=data["who"],
                        notes=data["notes"],
                        by=official.user,
                    )
                except ValidationError as error:
                    apply_validation_error(form, error)
                else:
                    kind = FollowUp.Kind(data["kind"]).label
                    messages.success(request, f"已记录{line.member.name}的{kind}。")
                    return redirect(reverse("follow_ups", args=[branch.pk, year]) + "#records")
        else:
            initial = {"date": timezone.localdate()}
            chosen = request.GET.get("member", "")
            line = lines_by_member.get(int(chosen)) if chosen.isdigit() else None
            if line is not None:
                initial.update(member=line.member_id, kind=services.FOLLOW_UP_FOR_GRADE[line.grade])
            form = FollowUpForm(lines=lines, initial=initial)
    elif request.method == "POST":
        messages.error(request, f"{year}年度评定尚未经党员大会确认，暂无等次结果。")
        return redirect("follow_ups", pk=branch.pk, year=year)

    sections = [
        {
            "grade": grade,
            "label": label,
            "hint": hint,
            "kind_label": services.FOLLOW_UP_FOR_GRADE[grade].label,
            "rows": [
                {"line": line, "records": by_member.get(line.member_id, [])}
                for line in lines
                if line.grade == grade
            ],
        }
        for grade, label, hint in GRADE_SECTIONS
    ]
    official_can_appeal = official.is_secretary_of(branch) or _is_township_official_of(
        official, branch
    )
    return render(
        request,
        "evaluations/follow_ups.html",
        {
            "branch": branch,
            "year": year,
            "annual": annual,
            "sections": sections,
            "records": page.records,
            "appeals": page.appeals,
            "form": form,
            "can_record": can_record,
            "can_appeal": official_can_appeal,
        },
    )


# --- Appeals -----------------------------------------------------------------------------------


def _default_appeal_year(branch) -> int:
    latest = (
        Assessment.objects.filter(
            branch=branch, period=Period.YEAR, status__in=[Status.CONFIRMED, Status.APPROVED]
        )
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return latest or timezone.localdate().year


@scoped(get_member, "GET", "POST")
def appeal_create(request, member):
    official = official_of(request)
    branch = member.branch
    if not (official.is_secretary_of(branch) or _is_township_official_of(official, branch)):
        raise Http404
    form = AppealForm(
        request.POST or None,
        initial={"year": _default_appeal_year(branch), "received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services.appeal_record(
                member=member,
                branch=branch,
                year=data["year"],
                received_on=data["received_on"],
                content=data["content"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已登记{member.name}的申诉，等待乡镇处理。")
            return redirect("appeal_decide", pk=appeal.pk)
    return render(request, "evaluations/appeal_form.html", {"member": member, "form": form})


def _get_appeal(request, pk) -> Appeal:
    return get_object_or_404(
        Appeal.objects.visible_to(request.user).select_related(
            "member", "branch__township", "recorded_by", "decided_by"
        ),
        pk=pk,
    )


@scoped(_get_appeal, "GET", "POST")
def appeal_decide(request, appeal):
    official = official_of(request)
    if request.method == "POST":
        official = _require_township_official(request, appeal.branch)
    can_decide = (
        _is_township_official_of(official, appeal.branch) and appeal.status == Appeal.Status.OPEN
    )
    form = None
    if request.method == "POST" or can_decide:
        form = AppealDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_decide(
                appeal=appeal,
                status=form.cleaned_data["status"],
                decision=form.cleaned_data["decision"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"已处理{appeal.member.name}的申诉。")
            return redirect("appeal_decide", pk=appeal.pk)
    line = (
        AssessmentLine.objects.filter(
            member=appeal.member,
            assessment__branch=appeal.branch,
            assessment__year=appeal.year,
            assessment__period=Period.YEAR,
        )
        .select_related("assessment")
        .first()
    )
    return render(
        request,
        "evaluations/appeal.html",
        {"appeal": appeal, "line": line, "form": form, "can_decide": form is not None},
    )
