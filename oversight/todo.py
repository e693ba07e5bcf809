"""What needs doing, in plain words, for the person who just logged in.

Each function returns a list of `Task`s (a sentence, a link, how urgent), computed with a fixed
number of queries whatever the number of branches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Appeal, Appraisal, Assessment, Notice, Objection, Period
from members.models import Branch, CardLink, Member
from scoring import versions
from scoring.models import BranchAdoption, BranchMonth, Declaration
from scoring.periods import days_late, readiness


@dataclass(frozen=True)
class Task:
    text: str
    url: str
    urgent: bool = False


def _past_months(today: datetime.date):
    return [(today.year, m) for m in range(1, today.month)]


def branch_tasks(branch: Branch, *, is_secretary: bool, today: datetime.date | None = None):
    today = today or timezone.localdate()
    year, month = today.year, today.month
    tasks: list[Task] = []
    months = {bm.month: bm for bm in BranchMonth.objects.filter(branch=branch, year=year)}
    waiting = dict(
        Declaration.objects.filter(branch=branch, year=year, status=Declaration.Status.SUBMITTED)
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    month_url = reverse("month", args=[branch.pk, year, month])
    current = months.get(month)
    if waiting.get(month):
        tasks.append(Task(f"本月（{month}月）有 {waiting[month]} 条申报待支委会审议。", month_url))
    elif current is None or current.is_open:
        tasks.append(Task(f"录入本月（{month}月）党员申报、扣分情况。", month_url))
    for past_year, past_month in _past_months(today):
        bm = months.get(past_month)
        if bm is None or bm.is_open:
            url = reverse("month", args=[branch.pk, past_year, past_month])
            extra = f"，还有 {waiting[past_month]} 条申报待审议" if waiting.get(past_month) else ""
            tasks.append(Task(f"{past_month}月尚未经支委会结账{extra}。", url, urgent=True))
    assessments = {a.period: a for a in Assessment.objects.filter(branch=branch, year=year)}
    closed = {m for m, bm in months.items() if not bm.is_open}
    for quarter in range(1, 5):
        period = f"Q{quarter}"
        all_closed = readiness(period, closed_months=closed).ready
        assessment = assessments.get(period)
        label = Period(period).label
        url = reverse("assessments", args=[branch.pk, year])
        if assessment is None and all_closed:
            tasks.append(Task(f"{label}三个月已结账，请召开党员大会进行季度评定。", url, True))
        elif assessment is not None and assessment.status == Assessment.Status.OPEN:
            url = reverse("assessment", args=[assessment.pk])
            tasks.append(Task(f"{label}评定待党员大会确认。", url, True))
        elif assessment is not None and assessment.status == Assessment.Status.RETURNED:
            url = reverse("assessment", args=[assessment.pk])
            comment = assessment.township_comment
            tasks.append(Task(f"{label}评定被乡镇退回：{comment}", url, True))
    for notice in Notice.objects.filter(branch=branch).exclude(status=Notice.Status.ARCHIVED):
        url = reverse("notice", args=[notice.pk])
        if notice.status == Notice.Status.PUBLISHED and notice.end_date < today:
            tasks.append(Task(f"{notice.title}公示期已满，请处理异议后存档。", url))
        elif notice.status != Notice.Status.PUBLISHED:
            tasks.append(Task(f"{notice.title}尚未张贴公示。", url))
    open_objections = Objection.objects.filter(
        notice__branch=branch, status__in=[Objection.Status.OPEN, Objection.Status.ANSWERED]
    ).count()
    if open_objections:
        url = reverse("assessments", args=[branch.pk, year])
        tasks.append(Task(f"有 {open_objections} 条公示异议尚未办结。", url, True))
    return tasks


def late_branches(township, *, today: datetime.date) -> list[tuple[Branch, int, int]]:
    """Branches with a past month this year not closed by its deadline (scoring.periods.
    days_late — the one definition of late): (branch, first such month, days overdue), the
    latest first."""
    closed = set(
        BranchMonth.objects.filter(
            branch__township=township,
            year=today.year,
            month__lt=today.month,
            status=BranchMonth.Status.CLOSED,
        ).values_list("branch_id", "month")
    )
    late = []
    for branch in Branch.objects.filter(township=township).order_by("position", "pk"):
        first = next((m for m in range(1, today.month) if (branch.pk, m) not in closed), None)
        days = first and days_late(today.year, first, closed=False, today=today)
        if days:
            late.append((branch, first, days))
    return sorted(late, key=lambda row: -row[2])


def township_tasks(township, *, today: datetime.date | None = None):
    today = today or timezone.localdate()
    tasks: list[Task] = []
    queue = Assessment.objects.filter(
        branch__township=township, status=Assessment.Status.CONFIRMED
    ).count()
    if queue:
        tasks.append(
            Task(
                f"有 {queue} 个党支部的评定结果待审核。",
                reverse("township_queue", args=[township.pk]),
                urgent=True,
            )
        )
    late = late_branches(township, today=today)
    if late:
        shown = "、".join(f"{b.name}（{m}月起，逾期 {days} 天）" for b, m, days in late[:5])
        tasks.append(
            Task(
                f"{len(late)} 个党支部逾期未结账：{shown}{'等' if len(late) > 5 else ''}。",
                reverse("township", args=[township.pk]),
                urgent=True,
            )
        )
    appeals = Appeal.objects.filter(branch__township=township, status=Appeal.Status.OPEN).count()
    if appeals:
        tasks.append(
            Task(
                f"有 {appeals} 件党员等次申诉待处理。",
                reverse("township_queue", args=[township.pk]),
                urgent=True,
            )
        )
    objections = Objection.objects.filter(
        notice__branch__township=township,
        status__in=[Objection.Status.OPEN, Objection.Status.ANSWERED],
    ).count()
    if objections:
        tasks.append(
            Task(
                f"辖区内有 {objections} 条公示异议尚未办结。",
                reverse("township_queue", args=[township.pk]),
            )
        )
    return tasks


@dataclass(frozen=True)
class Step:
    """One of the year's five steps, with its real state in a few words."""

    number: int
    title: str
    state: str
    url: str
    done: bool = False


def branch_steps(branch: Branch, *, today: datetime.date | None = None) -> list[Step]:
    """The year's five steps for one branch (制定细则 → 按月申报审议 → 季度评定 → 年度评议 →
    公示存档), each with what has been done and one link — a fixed number of queries."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    rule_set = versions.in_force(year, branch=branch)
    adopted = (
        rule_set is not None
        and BranchAdoption.objects.filter(branch=branch, rule_set__year=year).exists()
    )
    if rule_set is None:
        rules_state = f"县委组织部尚未发布{year}年细则"
    elif adopted:
        rules_state = "已经党员大会通过并登记"
    else:
        rules_state = "尚未登记党员大会通过的日期"
    rules_url = reverse("branch_rules", args=[branch.pk, year])

    months = {bm.month: bm for bm in BranchMonth.objects.filter(branch=branch, year=year)}
    waiting = Declaration.objects.filter(
        branch=branch, year=year, month=month, status=Declaration.Status.SUBMITTED
    ).count()
    unclosed = [m for m in range(1, month) if m not in months or months[m].is_open]
    current = months.get(month)
    if current is not None and not current.is_open:
        month_state = f"{month}月已结账"
    elif waiting:
        month_state = f"{month}月有 {waiting} 条待审议"
    else:
        month_state = f"{month}月录入中"
    if unclosed:
        month_state += f"；往月未结账：{'、'.join(f'{m}月' for m in unclosed)}"

    assessments = {
        a.period: a
        for a in Assessment.objects.filter(branch=branch, year=year, period__startswith="Q")
    }
    quarter = (month - 1) // 3 + 1
    latest = next(
        (assessments[f"Q{q}"] for q in range(quarter, 0, -1) if f"Q{q}" in assessments), None
    )
    if latest is None:
        quarter_state = "本年尚无季度评定"
    else:
        quarter_state = f"{Period(latest.period).label}：{latest.get_status_display()}"
    quarters_url = reverse("assessments", args=[branch.pk, year])

    on_roll = Member.objects.on_roll(branch, datetime.date(year, month, 1)).count()
    appraised = Appraisal.objects.filter(branch=branch, year=year).count()
    appraisal_state = f"民主评议 {appraised}/{on_roll} 名"

    notice = Notice.objects.filter(branch=branch).order_by("-pk").first()
    if notice is None:
        notice_state = "尚无公示"
    else:
        notice_state = f"{notice.title}：{notice.get_status_display()}"
    without_card = (
        branch.members.filter(status=Member.Status.ACTIVE)
        .exclude(pk__in=CardLink.objects.active().values("member_id"))
        .count()
    )
    if without_card:
        notice_state += f"；{without_card} 名党员的积分卡还没有二维码"
    month_done = not unclosed and current is not None and not current.is_open
    quarter_done = latest is not None and latest.status == Assessment.Status.APPROVED
    archived = notice is not None and notice.status == Notice.Status.ARCHIVED
    branch_url = reverse("branch", args=[branch.pk])
    return [
        Step(1, "制定细则", rules_state, rules_url, done=adopted),
        Step(2, "按月申报、支委会审议", month_state, reverse("month_current", args=[branch.pk]),
             done=month_done),
        Step(3, "季度评定", quarter_state, quarters_url, done=quarter_done),
        Step(4, "年度民主评议", appraisal_state, quarters_url, done=appraised >= on_roll > 0),
        Step(5, "公示、存档、积分卡", notice_state, branch_url, done=archived and not without_card),
    ]  # fmt: skip
