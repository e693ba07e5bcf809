"""Month and quarter progress of the branches in scope, and what makes a branch late."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from evaluations.models import Assessment, Notice
from oversight.figures import Group, share
from oversight.scope import Scope, branches_in
from scoring.models import BranchMonth, Declaration
from scoring.periods import MEETING_DAYS, PERIODS, Period, days_late, period_months, readiness

CONFIRMED = (Assessment.Status.CONFIRMED, Assessment.Status.APPROVED)

# --- Month and quarter progress ---------------------------------------------------------------

MONTH_LABELS = {
    "missing": "未开始",
    "declaring": "申报审议中",
    "reviewed": "已审议，待结账",
    "closed": "已结账",
}
SHORT_MONTH = {"missing": "—", "declaring": "审议中", "reviewed": "待结账", "closed": "✓"}
ASSESSMENT_LABELS = {
    Assessment.Status.OPEN: "待党员大会评定",
    Assessment.Status.CONFIRMED: "已评定，待乡镇审核",
    Assessment.Status.RETURNED: "乡镇退回修改",
    Assessment.Status.APPROVED: "乡镇已审核",
}
SHORT_ASSESSMENT = {
    Assessment.Status.OPEN: "待评定",
    Assessment.Status.CONFIRMED: "待审核",
    Assessment.Status.RETURNED: "退回",
    Assessment.Status.APPROVED: "已审核",
}
SHORT_NOTICE = {
    Notice.Status.DRAFT: "公示草稿",
    Notice.Status.APPROVED: "待公示",
    Notice.Status.PUBLISHED: "公示中",
    Notice.Status.ARCHIVED: "已存档",
}
NOTICE_LABELS = {
    Notice.Status.DRAFT: "公示草稿",
    Notice.Status.APPROVED: "公示已审定",
    Notice.Status.PUBLISHED: "公示中",
    Notice.Status.ARCHIVED: "已存档",
}


@dataclass
class MonthCell:
    month: int
    state: str  # missing / declaring / reviewed / closed
    waiting: int = 0  # declarations waiting for the branch committee
    late: bool = False
    url: str = ""  # set by the view

    @property
    def label(self) -> str:
        text = MONTH_LABELS[self.state]
        if self.waiting:
            text += f"（{self.waiting} 条申报待审议）"
        return text + ("，已逾期" if self.late else "")

    @property
    def short(self) -> str:
        return SHORT_MONTH[self.state]


@dataclass
class PeriodCell:
    period: str
    started: bool  # its first month has come
    months_closed: bool
    status: str = ""  # the assessment's status, "" when none
    notice_status: str = ""
    assessment_id: int | None = None
    notice_id: int | None = None
    late: bool = False
    url: str = ""  # set by the view

    @property
    def state(self) -> str:
        """One word for the cell's colour and the export."""
        if self.notice_status:
            return self.notice_status
        return self.status or ("due" if self.months_closed else "none")

    @property
    def label(self) -> str:
        if self.notice_status:
            return NOTICE_LABELS[self.notice_status]
        if self.status:
            return ASSESSMENT_LABELS[self.status]
        if self.months_closed:
            return "各月已结账，待开始评定"
        return "尚未开始" if self.started else "未到期"

    @property
    def short(self) -> str:
        """The grid's one-word version of ``label``."""
        if self.notice_status:
            return SHORT_NOTICE[self.notice_status]
        if self.status:
            return SHORT_ASSESSMENT[self.status]
        if self.months_closed:
            return "可评定"
        return "进行中" if self.started else "—"

    @property
    def approved(self) -> bool:
        return self.status == Assessment.Status.APPROVED

    @property
    def title(self) -> str:
        return Period(self.period).label


@dataclass
class BranchProgress:
    pk: int
    name: str
    kind: str
    position: int
    township_id: int
    township_name: str
    township_position: int
    months: list[MonthCell]
    periods: list[PeriodCell]
    late_reasons: list[str] = field(default_factory=list)
    stats: Group | None = None

    @property
    def late(self) -> bool:
        return bool(self.late_reasons)

    @property
    def months_closed(self) -> int:
        return sum(1 for cell in self.months if cell.state == "closed")

    @property
    def waiting(self) -> int:
        return sum(cell.waiting for cell in self.months)

    @property
    def quarters_due(self) -> int:
        return sum(1 for p in self.periods if p.period != Period.YEAR and p.months_closed)

    @property
    def quarters_approved(self) -> int:
        return sum(1 for p in self.periods if p.period != Period.YEAR and p.approved)

    @property
    def progress(self) -> dict:
        return share(self.months_closed, len(self.months))

    @property
    def behind(self) -> int:
        """How far behind: late months and late periods counted."""
        return sum(cell.late for cell in self.months) + sum(p.late for p in self.periods)

    @property
    def order(self) -> tuple:
        return (not self.late, -self.behind, self.township_position, self.position, self.name)


def branch_progress(
    scope: Scope, year: int, ref_month: int, on: datetime.date
) -> list[BranchProgress]:
    """Every branch in scope with its months 1..reference month and its four quarters and year.

    Four queries: branches, branch months, waiting declarations, assessments with their notice.
    Late branches first (most behind first), then in the organisation's order."""
    branches = list(branches_in(scope))
    month_rows = BranchMonth.objects.filter(**scope.on(), year=year).values_list(
        "branch_id", "month", "status", "closed_at"
    )
    months: dict[tuple[int, int], tuple[str, datetime.datetime | None]] = {
        (b, m): (status, closed_at) for b, m, status, closed_at in month_rows
    }
    waiting = {
        (b, m): n
        for b, m, n in Declaration.objects.filter(
            **scope.on(), year=year, status=Declaration.Status.SUBMITTED
        )
        .order_by()
        .values_list("branch_id", "month")
        .annotate(n=Count("pk"))
    }
    assessments = {
        (row["branch_id"], row["period"]): row
        for row in Assessment.objects.filter(**scope.on(), year=year).values(
            "pk",
            "branch_id",
            "period",
            "status",
            "confirmed_at",
            "approved_at",
            "notice__pk",
            "notice__status",
        )
    }
    past = range(1, ref_month) if year == on.year else range(1, 13)
    result = []
    for branch in branches:
        cells = []
        reasons = []
        for month in range(1, ref_month + 1):
            status, _ = months.get((branch.pk, month), ("", None))
            count = waiting.get((branch.pk, month), 0)
            if status == BranchMonth.Status.CLOSED:
                state = "closed"
            elif not status:
                state = "missing"
            else:
                state = "declaring" if count else "reviewed"
            late = month in past and days_late(year, month, closed=state == "closed", today=on) > 0
            if late:
                reasons.append(f"{month}月未结账")
            cells.append(MonthCell(month, state, count, late))
        periods = []
        approvals: list[datetime.datetime] = []
        approved: set[str] = set()
        for period in PERIODS:
            wanted = period_months(period)
            closings = [months.get((branch.pk, m), ("", None)) for m in wanted]
            closed = {
                m
                for m, (s, _) in zip(wanted, closings, strict=True)
                if s == BranchMonth.Status.CLOSED
            }
            ready = readiness(period, closed_months=closed, approved_quarters=approved)
            all_closed = not ready.unclosed
            row = assessments.get((branch.pk, period))
            cell = PeriodCell(
                period=period,
                started=wanted[0] <= ref_month,
                months_closed=all_closed,
                status=row["status"] if row else "",
                notice_status=(row["notice__status"] or "") if row else "",
                assessment_id=row["pk"] if row else None,
                notice_id=row["notice__pk"] if row else None,
            )
            ready_since = None
            if ready.ready:  # since its last month closed (and, the year, the last approval)
                ready_since = max((_local(c) for _, c in closings if c), default=None)
                if period == Period.YEAR and ready_since is not None:
                    ready_since = max(ready_since, *approvals)
            label = Period(period).short
            status = cell.status
            if status not in CONFIRMED and ready_since is not None:
                days = (on - ready_since).days
                if days > MEETING_DAYS:
                    cell.late = True
                    reasons.append(f"{label}待党员大会评定（已 {days} 天）")
            elif status == Assessment.Status.CONFIRMED and row["confirmed_at"]:
                days = (on - _local(row["confirmed_at"])).days
                if days > MEETING_DAYS:
                    cell.late = True
                    reasons.append(f"{label}待乡镇审核（已 {days} 天）")
            if period != Period.YEAR and status == Assessment.Status.APPROVED:
                approved.add(period)
                approvals.append(_local(row["approved_at"]) if row["approved_at"] else on)
            periods.append(cell)
        result.append(
            BranchProgress(
                pk=branch.pk,
                name=branch.name,
                kind=branch.kind,
                position=branch.position,
                township_id=branch.township_id,
                township_name=branch.township.name,
                township_position=branch.township.position,
                months=cells,
                periods=periods,
                late_reasons=reasons,
            )
        )
    result.sort(key=lambda b: b.order)
    return result


def _local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
