"""What needs doing, in plain words, for the person who just logged in.

Each function returns a list of `Task`s (a sentence, a link, how urgent), computed with a fixed
number of queries whatever the number of branches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Appeal, Assessment, Notice, Objection, Period
from members.models import Branch
from scoring import engine
from scoring.models import BranchMonth, Declaration


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
    for quarter in range(1, 5):
        period = f"Q{quarter}"
        quarter_months = engine.quarter_months(quarter)
        all_closed = all(m in months and not months[m].is_open for m in quarter_months)
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
    late = (
        Branch.objects.filter(township=township)
        .annotate(
            closed=Count(
                "months",
                filter=Q(
                    months__year=today.year,
                    months__month__lt=today.month,
                    months__status=BranchMonth.Status.CLOSED,
                ),
            )
        )
        .filter(closed__lt=today.month - 1)
        .order_by("closed", "position")
    )
    late = list(late)
    if late:
        names = "、".join(b.name for b in late[:5]) + ("等" if len(late) > 5 else "")
        tasks.append(
            Task(
                f"{len(late)} 个党支部有往月尚未结账：{names}。",
                reverse("township", args=[township.pk]),
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
