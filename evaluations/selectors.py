"""Read-only queries of the assessment pages: what the township's queue and a branch's
follow-up page show, built with a fixed number of queries. They never write (a page may be
opened by anyone in scope, and opening it changes nothing); the views keep the forms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, Sum

from evaluations.models import Appeal, Assessment, AssessmentLine, FollowUp, Objection, Period
from evaluations.services import FOLLOW_UP_FOR_GRADE
from members.models import Branch, Township
from scoring import engine

Status = Assessment.Status


# --- The township's queue ----------------------------------------------------------------------


@dataclass
class TownshipQueue:
    # One dict per confirmed assessment: assessment, members, total, average, previous_average,
    # change, deduction_lines, deduction_sum, cleared, held_back.
    queue: list[dict]
    returned: list[Assessment]
    open_appeals: list[Appeal]
    open_objections: int


def _average(total, count) -> Decimal | None:
    # The engine's rounding (exact, half-up), so a queue's average is the figure a points card
    # would show for the same sum.
    if not count or total is None:
        return None
    return engine.round_points(Fraction(Decimal(total)) / count)


def _previous_period(assessment: Assessment) -> tuple[int, int, str]:
    """The branch's period to compare with: the quarter before (Q4 of last year for Q1), or
    last year's annual assessment for the year."""
    if assessment.is_annual:
        return assessment.branch_id, assessment.year - 1, Period.YEAR
    if assessment.quarter == 1:
        return assessment.branch_id, assessment.year - 1, Period.Q4
    return assessment.branch_id, assessment.year, f"Q{assessment.quarter - 1}"


def _previous_averages(previous_keys: set[tuple[int, int, str]]) -> dict:
    """The average of each approved earlier period, in one query for all of them."""
    if not previous_keys:
        return {}
    condition = Q()
    for branch_id, year, period in previous_keys:
        condition |= Q(
            assessment__branch_id=branch_id, assessment__year=year, assessment__period=period
        )
    previous = {}
    for row in (
        AssessmentLine.objects.filter(condition, assessment__status=Status.APPROVED)
        .order_by()
        .values("assessment__branch_id", "assessment__year", "assessment__period")
        .annotate(members=Count("pk"), total=Sum("period_total"), annual=Sum("annual_total"))
    ):
        key = (row["assessment__branch_id"], row["assessment__year"], row["assessment__period"])
        total = row["annual"] if key[2] == Period.YEAR else row["total"]
        previous[key] = _average(total, row["members"])
    return previous


def township_queue(township: Township) -> TownshipQueue:
    """The assessments waiting for the township (confirmed, with their figures and the change
    from the branch's previous approved period) and those sent back, the open appeals and the
    number of open objections."""
    waiting = list(
        Assessment.objects.filter(
            branch__township=township, status__in=[Status.CONFIRMED, Status.RETURNED]
        )
        .select_related("branch")
        .order_by("branch__position", "branch__name", "year", "period")
    )
    confirmed = [a for a in waiting if a.status == Status.CONFIRMED]
    stats = {
        row["assessment"]: row
        for row in AssessmentLine.objects.filter(assessment__in=[a.pk for a in confirmed])
        .order_by()
        .values("assessment")
        .annotate(
            members=Count("pk"),
            total=Sum("period_total"),
            annual=Sum("annual_total"),
            deduction_lines=Count("pk", filter=Q(deductions__lt=0)),
            deduction_sum=Sum("deductions", filter=Q(deductions__lt=0)),
            cleared=Count("pk", filter=Q(cleared=True)),
            held_back=Count("pk", filter=Q(held_back=True)),
        )
    }
    previous_keys = {a.pk: _previous_period(a) for a in confirmed}
    previous = _previous_averages(set(previous_keys.values()))

    queue = []
    for a in confirmed:
        row = stats.get(a.pk, {})
        members = row.get("members", 0)
        total = row.get("annual") if a.is_annual else row.get("total")
        average = _average(total, members)
        previous_average = previous.get(previous_keys[a.pk])
        queue.append(
            {
                "assessment": a,
                "members": members,
                "total": engine.round_points(Decimal(total or 0)),
                "average": average,
                "previous_average": previous_average,
                "change": (
                    average - previous_average
                    if average is not None and previous_average is not None
                    else None
                ),
                "deduction_lines": row.get("deduction_lines", 0),
                "deduction_sum": engine.round_points(Decimal(row.get("deduction_sum") or 0)),
                "cleared": row.get("cleared", 0),
                "held_back": row.get("held_back", 0),
            }
        )
    return TownshipQueue(
        queue=queue,
        returned=[a for a in waiting if a.status == Status.RETURNED],
        open_appeals=list(
            Appeal.objects.filter(branch__township=township, status=Appeal.Status.OPEN)
            .select_related("member", "branch")
            .order_by("received_on", "pk")
        ),
        open_objections=Objection.objects.filter(
            notice__branch__township=township, status=Objection.Status.OPEN
        ).count(),
    )


# --- Follow-up of grades -----------------------------------------------------------------------


@dataclass
class FollowUps:
    annual: Assessment | None  # the year's assessment once the members' meeting confirmed it
    lines: list[AssessmentLine]  # its lines with a grade that needs follow-up
    records: list[FollowUp]
    appeals: list[Appeal]
    by_member: dict[int, list[FollowUp]]


def follow_ups(branch: Branch, year: int, *, user) -> FollowUps:
    """What the branch's follow-up page shows for the year, as ``user`` may see it."""
    annual = (
        Assessment.objects.filter(
            branch=branch,
            year=year,
            period=Period.YEAR,
            status__in=[Status.CONFIRMED, Status.APPROVED],
        )
        .select_related("branch")
        .first()
    )
    lines = []
    if annual is not None:
        lines = list(
            annual.lines.filter(grade__in=list(FOLLOW_UP_FOR_GRADE))
            .select_related("member")
            .order_by("member__name_sort", "member_id")
        )
    records = list(
        FollowUp.objects.visible_to(user)
        .filter(branch=branch, year=year)
        .select_related("member", "recorded_by__official")
    )
    appeals = list(
        Appeal.objects.visible_to(user).filter(branch=branch, year=year).select_related("member")
    )
    by_member: dict[int, list] = {}
    for record in records:
        by_member.setdefault(record.member_id, []).append(record)
    return FollowUps(
        annual=annual, lines=lines, records=records, appeals=appeals, by_member=by_member
    )
