"""The public notice (公示), its objections (异议) and the archive (存档) — step 5.

Views are thin: scoped look-up (404 outside the user's branch or township, on every method),
form, service, redirect. Only the branch secretary changes anything; the township, the county
and the branch's assessment group read.

The printed notice is rendered from the notice's frozen rows (or, for a draft, from the live
rows) and the archived notice from its snapshot, through one template: what is posted, what is
printed again from the archive and what is shown on screen are the same table.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core.web import apply_validation_error, scoped
from evaluations import services
from evaluations.forms_notice import (
    ArchiveFilterForm,
    NoticeCreateForm,
    NoticePublishForm,
    ObjectionAnswerForm,
    ObjectionForm,
    ObjectionResolveForm,
)
from evaluations.models import ArchivedNotice, Assessment, Notice, Objection, Period
from members.scope import official_of, require_secretary

ORDER_NOTE = "按{key}从高到低排列；积分相同名次相同，按姓名拼音排序；积分清零者列于最后。"


# --- The sheet: one description of the posted table, from live rows, frozen rows or a snapshot --


def _as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def _cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _nonzero(value) -> bool:
    try:
        return bool(value) and Decimal(value) != 0
    except (InvalidOperation, TypeError):
        return False


def _columns(*, annual: bool, corrections: bool) -> list[tuple[str, str, str]]:
    """(row key, header, css class) of the score columns, after 序号, 姓名, 类别."""
    columns = [
        ("base", "基础积分", "num"),
        ("bonus", "贡献加分", "num"),
        ("deductions", "违规扣分", "num"),
    ]
    if corrections:
        columns.append(("corrections", "更正", "num"))
    if annual:
        columns += [
            ("period_total", "四季度积分合计", "num"),
            ("appraisal", "民主评议积分", "num"),
            ("annual_total", "年度总积分", "num total"),
            ("grade", "等次", "grade"),
        ]
    else:
        columns += [
            ("period_total", "本季度积分", "num"),
            ("cumulative", "本年累计积分", "num total"),
        ]
    columns.append(("rank", "排名", "num rank"))
    return columns


def build_sheet(
    *,
    title: str,
    branch_name: str,
    township: str,
    annual: bool,
    rows: list[dict],
    held_back: int,
    objection_channel: str,
    start_date=None,
    end_date=None,
    issued_on=None,
    meeting_date=None,
    draft: bool = False,
) -> dict:
    """Everything the notice template shows, from public rows only (services.notice_rows)."""
    corrections = any(not row.get("cleared") and _nonzero(row.get("corrections")) for row in rows)
    columns = _columns(annual=annual, corrections=corrections)
    lines = []
    for row in rows:
        line = {
            "no": row["no"],
            "name": row["name"],
            "category": row["category"],
            "cleared": bool(row.get("cleared")),
        }
        if not line["cleared"]:
            line["cells"] = [
                (css, "—" if row.get(key) in (None, "") else row[key]) for key, _, css in columns
            ]
        lines.append(line)
    return {
        "title": title,
        "branch_name": branch_name,
        "township": township,
        "annual": annual,
        "columns": columns,
        "cleared_span": len(columns),
        "rows": lines,
        "held_back": held_back,
        "order_note": ORDER_NOTE.format(key="年度总积分" if annual else "本年累计积分"),
        "objection_channel": objection_channel,
        "start_date": _as_date(start_date),
        "end_date": _as_date(end_date),
        "issued_on": _as_date(issued_on),
        "meeting_date": _as_date(meeting_date),
        "draft": draft,
    }


def _notice_sheet(notice: Notice) -> dict:
    """A draft shows the rows as they are now; from approval on, the frozen rows."""
    assessment = notice.assessment
    draft = notice.status == Notice.Status.DRAFT
    return build_sheet(
        title=notice.title,
        branch_name=notice.branch.full_name,
        township=notice.branch.township.name,
        annual=assessment.is_annual,
        rows=services.notice_rows(assessment) if draft else notice.rows,
        held_back=assessment.lines.filter(held_back=True).count(),
        objection_channel=notice.objection_channel,
        start_date=notice.start_date,
        end_date=notice.end_date,
        issued_on=notice.issued_on,
        meeting_date=assessment.meeting_date,
        draft=draft,
    )


def _archive_sheet(archive: ArchivedNotice) -> dict:
    snapshot = archive.snapshot
    return build_sheet(
        title=snapshot["title"],
        branch_name=snapshot["branch"],
        township=snapshot["township"],
        annual=snapshot["annual"],
        rows=snapshot["rows"],
        held_back=snapshot["held_back"],
        objection_channel=snapshot["objection_channel"],
        start_date=snapshot["start_date"],
        end_date=snapshot["end_date"],
        issued_on=snapshot["issued_on"],
        meeting_date=snapshot.get("meeting_date"),
    )


# --- Look-ups ----------------------------------------------------------------------------------


def _get_notice(request, pk) -> Notice:
    return get_object_or_404(
        Notice.objects.visible_to(request.user).select_related(
            "assessment__rule_set", "branch__township"
        ),
        pk=pk,
    )


def _get_objection(request, pk) -> Objection:
    return get_object_or_404(
        Objection.objects.filter(
            notice__in=Notice.objects.visible_to(request.user).values("pk")
        ).select_related("notice__assessment__rule_set", "notice__branch__township"),
        pk=pk,
    )


def _get_archive(request, pk) -> ArchivedNotice:
    return get_object_or_404(
        ArchivedNotice.objects.visible_to(request.user).select_related(
            "branch__township", "archived_by__official", "notice"
        ),
        pk=pk,
    )


def _secretarys_notice(request, pk) -> Notice:
    """The notice, for its branch's secretary only: anyone else gets 404 before any 405."""
    notice = _get_notice(request, pk)
    require_secretary(request, notice.branch)
    return notice


def _secretarys_assessment(request, pk) -> Assessment:
    """The assessment a notice is made from, for its branch's secretary only (404 before 405)."""
    assessment = get_object_or_404(
        Assessment.objects.visible_to(request.user).select_related("branch__township"), pk=pk
    )
    require_secretary(request, assessment.branch)
    return assessment


def _notice_url(notice, anchor: str = "") -> str:
    return reverse("notice", args=[notice.pk]) + (f"#{anchor}" if anchor else "")


# --- Creating the notice -----------------------------------------------------------------------


@scoped(_secretarys_assessment, "POST")
def notice_create(request, assessment):
    """POST from the assessment page: the branch secretary generates the draft notice."""
    official = official_of(request)
    existing = Notice.objects.filter(assessment=assessment).first()
    if existing is not None:
        messages.info(request, "该期公示已经生成。")
        return redirect(_notice_url(existing))
    form = NoticeCreateForm(request.POST)
    if form.is_valid():
        try:
            notice = services.notice_create(
                assessment=assessment,
                objection_channel=form.cleaned_data["objection_channel"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "已生成公示草稿，请核对后审定。")
            return redirect(_notice_url(notice))
    return render(
        request, "evaluations/notice_create.html", {"assessment": assessment, "form": form}
    )


# --- The management page -----------------------------------------------------------------------


def _notice_context(request, notice: Notice, forms: dict | None = None) -> dict:
    official = official_of(request)
    can_manage = official.is_secretary_of(notice.branch)
    today = timezone.localdate()
    objections = list(notice.objections.all())
    unresolved = sum(1 for o in objections if o.status != Objection.Status.RESOLVED)
    forms = dict(forms or {})
    published = notice.status == Notice.Status.PUBLISHED
    if can_manage:
        if notice.status == Notice.Status.APPROVED:
            forms.setdefault("publish", NoticePublishForm())
        if published:
            forms.setdefault(
                "objection",
                ObjectionForm(initial={"received_on": min(today, notice.end_date)}),
            )
    archive_blocked = ""
    if published:
        if today <= notice.end_date:
            archive_blocked = f"公示期至{_cn_date(notice.end_date)}结束，期满后才能存档。"
        elif unresolved:
            archive_blocked = f"还有 {unresolved} 条异议未办结，办结后才能存档。"
    archive = ArchivedNotice.objects.filter(notice=notice).only("pk").first()
    return {
        "notice": notice,
        "assessment": notice.assessment,
        "branch": notice.branch,
        "sheet": _notice_sheet(notice),
        "can_manage": can_manage,
        "forms": forms,
        "objections": objections,
        "unresolved": unresolved,
        "in_period": published and notice.start_date <= today <= notice.end_date,
        "archive_blocked": archive_blocked,
        "archive": archive,
        "notice_days": notice.assessment.rule_set.notice_days,
        "logs": [
            {"log": log, "label": Notice.Status(log.to_status).label}
            for log in notice.logs.select_related("by__official")
        ],
    }


@scoped(_get_notice, "GET")
def notice(request, notice):
    return render(request, "evaluations/notice.html", _notice_context(request, notice))


@scoped(_secretarys_notice, "POST")
def notice_approve(request, notice):
    official = official_of(request)
    try:
        services.notice_approve(notice=notice, by=official.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "公示内容已审定，名单和积分已固定。")
    return redirect(_notice_url(notice))


@scoped(_secretarys_notice, "POST")
def notice_publish(request, notice):
    official = official_of(request)
    form = NoticePublishForm(request.POST)
    if form.is_valid():
        try:
            services.notice_publish(
                notice=notice, start_date=form.cleaned_data["start_date"], by=official.user
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            period = f"{_cn_date(notice.start_date)}至{_cn_date(notice.end_date)}"
            messages.success(request, f"已发布，公示期{period}。")
            return redirect(_notice_url(notice))
    context = _notice_context(request, notice, forms={"publish": form})
    return render(request, "evaluations/notice.html", context)


@scoped(_secretarys_notice, "POST")
def notice_archive(request, notice):
    official = official_of(request)
    try:
        archive = services.notice_archive(notice=notice, by=official.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_notice_url(notice))
    messages.success(request, "已存档。存档内容今后不再改变。")
    return redirect("archive_detail", pk=archive.pk)


@scoped(_get_notice, "GET")
def notice_print(request, notice):
    return render(
        request,
        "evaluations/notice_print.html",
        {"sheet": _notice_sheet(notice), "notice": notice, "back": _notice_url(notice)},
    )


# --- Objections --------------------------------------------------------------------------------


@scoped(_secretarys_notice, "POST")
def objection_create(request, notice):
    official = official_of(request)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.objection_record(
                notice=notice,
                content=data["content"],
                received_on=data["received_on"],
                anonymous=data["anonymous"],
                raised_by=data["raised_by"],
                by=official.user,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "已登记异议，请及时答复。")
            return redirect(_notice_url(notice, "objections"))
    context = _notice_context(request, notice, forms={"objection": form})
    return render(request, "evaluations/notice.html", context)


@scoped(_get_objection, "GET", "POST")
def objection(request, objection):
    """One objection: read by everyone in scope; answered, then resolved, by the secretary."""
    notice = objection.notice
    official = official_of(request)
    answer_form = ObjectionAnswerForm(prefix="answer")
    resolve_form = ObjectionResolveForm(prefix="resolve")
    if request.method == "POST":
        require_secretary(request, notice.branch)
        action = request.POST.get("action")
        try:
            if action == "answer":
                answer_form = ObjectionAnswerForm(request.POST, prefix="answer")
                if answer_form.is_valid():
                    services.objection_answer(
                        objection=objection,
                        answer=answer_form.cleaned_data["answer"],
                        by=official.user,
                    )
                    messages.success(request, "已答复。")
                    return redirect(_notice_url(notice, "objections"))
            elif action == "resolve":
                resolve_form = ObjectionResolveForm(request.POST, prefix="resolve")
                if resolve_form.is_valid():
                    services.objection_resolve(
                        objection=objection,
                        resolution=resolve_form.cleaned_data["resolution"],
                        by=official.user,
                    )
                    messages.success(request, "该异议已办结。")
                    return redirect(_notice_url(notice, "objections"))
            else:
                messages.error(request, "请选择“答复”或“办结”。")
        except ValidationError as error:
            apply_validation_error(answer_form if action == "answer" else resolve_form, error)
    return render(
        request,
        "evaluations/objection.html",
        {
            "objection": objection,
            "notice": notice,
            "can_manage": official.is_secretary_of(notice.branch),
            "answer_form": answer_form,
            "resolve_form": resolve_form,
        },
    )


# --- The archive -------------------------------------------------------------------------------


ARCHIVE_PAGE_SIZE = 100


@scoped(official_of, "GET")  # officials only: anyone else gets 404 before any 405
def archive_list(request, official):
    """The archived notices the user may see, by year, period, township and branch. Three
    queries whatever the number of archives (the snapshots themselves are not loaded)."""
    visible = ArchivedNotice.objects.visible_to(request.user)
    years = list(visible.order_by("-year").values_list("year", flat=True).distinct())
    form = ArchiveFilterForm(request.GET or None)
    year = form.cleaned_data["year"] if form.is_valid() else None
    archives = visible.select_related("branch__township").defer("snapshot")
    if year:
        archives = archives.filter(year=year)
    search = request.GET.get("q", "").strip()[:30]
    if search:
        archives = archives.filter(
            Q(branch__name__contains=search) | Q(branch__township__name__contains=search)
        )
    archives = archives.order_by(
        "-year",
        "period",
        "branch__township__position",
        "branch__township__name",
        "branch__position",
        "branch__name",
    )
    page = Paginator(archives, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("year", year or ""), ("q", search)) if v})
    return render(
        request,
        "evaluations/archive_list.html",
        {
            "archives": page.object_list,
            "page": page,
            "query": query,
            "search": search,
            "years": years,
            "year": year,
            "periods": dict(Period.choices),
        },
    )


def _later_corrections(archive: ArchivedNotice) -> dict:
    found = services.later_corrections(archive).aggregate(
        count=Count("pk"), latest=Max("created_at")
    )
    if found["latest"] is not None:
        found["latest"] = timezone.localtime(found["latest"]).date()
    return found


@scoped(_get_archive, "GET")
def archive_detail(request, archive):
    snapshot = archive.snapshot
    return render(
        request,
        "evaluations/archive_detail.html",
        {
            "archive": archive,
            "snapshot": snapshot,
            "sheet": _archive_sheet(archive),
            "hash_ok": services.content_hash(snapshot) == archive.content_hash,
            "later": _later_corrections(archive),
            "rows_count": len(snapshot["rows"]),
            "cleared_count": sum(1 for row in snapshot["rows"] if row.get("cleared")),
        },
    )


@scoped(_get_archive, "GET")
def archive_print(request, archive):
    return render(
        request,
        "evaluations/notice_print.html",
        {
            "sheet": _archive_sheet(archive),
            "archive": archive,
            "back": reverse("archive_detail", args=[archive.pk]),
        },
    )
