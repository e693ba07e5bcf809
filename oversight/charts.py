"""Charts drawn on the server as inline SVG numbers (no JavaScript; each chart sits next to a
table with the same numbers), and the links of the progress grid."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from oversight.dashboards import MonthPoints
from oversight.progress import BranchProgress

MONTH_CHART_HEIGHT = 160  # px of bars, above and below the zero line together


def month_chart(months: list[MonthPoints]) -> dict:
    """Bars for each month: contribution bonus up from the zero line, deductions down."""
    top = max((m.bonus_c for m in months), default=0)
    bottom = max((-m.deductions_c for m in months), default=0)
    scale = Decimal(MONTH_CHART_HEIGHT) / (top + bottom) if top + bottom else Decimal(0)
    zero = 20 + top * scale
    bars = []
    for index, month in enumerate(months):
        up = month.bonus_c * scale
        down = -month.deductions_c * scale
        x = 40 + index * 44
        bars.append(
            {
                "month": month.month,
                "x": x,
                "text_x": x + 16,
                "bonus_y": _px(zero - up),
                "bonus_h": _px(up),
                "bonus_label_y": _px(zero - up - 4),
                "deduction_y": _px(zero),
                "deduction_h": _px(down),
                "deduction_label_y": _px(zero + down + 12),
                "bonus": month.bonus,
                "deductions": month.deductions,
            }
        )
    return {
        "bars": bars,
        "width": 40 + 44 * len(months) + 10,
        "height": MONTH_CHART_HEIGHT + 70,
        "zero": _px(zero),
        "label_y": MONTH_CHART_HEIGHT + 62,
    }


def _px(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')):f}"


def link_cells(branches: list[BranchProgress], year: int) -> None:
    """The grid's links, reversed here once per cell (cheaper than a {% url %} tag per cell)."""
    for branch in branches:
        for cell in branch.months:
            cell.url = reverse("month", args=[branch.pk, year, cell.month])
        for period in branch.periods:
            if period.notice_id:
                period.url = reverse("notice", args=[period.notice_id])
            elif period.assessment_id:
                period.url = reverse("assessment", args=[period.assessment_id])
            elif period.started:
                period.url = reverse("assessments", args=[branch.pk, year])
            else:
                period.url = ""
