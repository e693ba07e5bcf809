"""Periods of the points year, in one place: the quarter and the year, their months, titles and
short labels, month arithmetic, and the deadlines that decide when something is late.

Declared monthly, assessed quarterly, one cycle per calendar year (一月一申报，一季度一评定，
一年一周期). A period is one of Q1–Q4 or Y (the year).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.db import models

from scoring.engine import quarter_months, quarter_of

__all__ = [
    "MEETING_DAYS",
    "MONTH_GRACE_DAY",
    "PERIODS",
    "QUARTERS",
    "Period",
    "Readiness",
    "add_months",
    "days_late",
    "first_day",
    "grace_end",
    "last_day",
    "month_index",
    "next_month",
    "period_months",
    "period_of_quarter",
    "previous_month",
    "previous_period",
    "quarter_months",
    "quarter_of",
    "readiness",
    "title",
]

# A month should be closed by the branch committee by the 10th of the following month.
MONTH_GRACE_DAY = 10
# Days for the members' meeting to confirm a period once its months are closed, and for the
# township to approve a confirmed period.
MEETING_DAYS = 15


class Period(models.TextChoices):
    Q1 = "Q1", "第一季度"
    Q2 = "Q2", "第二季度"
    Q3 = "Q3", "第三季度"
    Q4 = "Q4", "第四季度"
    YEAR = "Y", "年度"

    @property
    def short(self) -> str:
        """The one-word label of a grid cell: 一季度 … 四季度, 年度."""
        return _SHORT[self.value]

    @property
    def months(self) -> tuple[int, ...]:
        return period_months(self.value)

    @property
    def is_annual(self) -> bool:
        return self.value == "Y"

    @property
    def quarter(self) -> int | None:
        return None if self.is_annual else int(self.value[1])


_SHORT = {"Q1": "一季度", "Q2": "二季度", "Q3": "三季度", "Q4": "四季度", "Y": "年度"}
QUARTERS = (Period.Q1, Period.Q2, Period.Q3, Period.Q4)
PERIODS = (*QUARTERS, Period.YEAR)


def period_months(period: str) -> tuple[int, ...]:
    """The months of Q1–Q4 or of the year (Y)."""
    if period == Period.YEAR:
        return tuple(range(1, 13))
    if period not in Period.values:
        raise ValueError(f"未知的评定期间：{period!r}")
    return quarter_months(int(period[1]))


def period_of_quarter(quarter: int) -> Period:
    return Period(f"Q{quarter}")


def title(year: int, period: str) -> str:
    """「2026年第一季度」, 「2026年度」 (not 「2026年年度」)."""
    if period == Period.YEAR:
        return f"{year}年度"
    return f"{year}年{Period(period).label}"


def previous_period(year: int, period: str) -> tuple[int, str]:
    """The period to compare with: the quarter before (Q4 of last year for Q1), or last year."""
    if period == Period.YEAR:
        return year - 1, Period.YEAR
    quarter = int(period[1])
    if quarter == 1:
        return year - 1, Period.Q4
    return year, f"Q{quarter - 1}"


# --- Months as dates ---------------------------------------------------------------------------


def first_day(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


def last_day(year: int, month: int) -> datetime.date:
    following = next_month(year, month)
    return datetime.date(*following, 1) - datetime.timedelta(days=1)


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months differ by one, across years too."""
    return year * 12 + month - 1


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = month_index(year, month) + count
    return index // 12, index % 12 + 1


def next_month(year: int, month: int) -> tuple[int, int]:
    return add_months(year, month, 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return add_months(year, month, -1)


def grace_end(year: int, month: int) -> datetime.date:
    """The day by which the branch committee should have closed the month."""
    return datetime.date(*next_month(year, month), MONTH_GRACE_DAY)


def days_late(year: int, month: int, *, closed: bool, today: datetime.date) -> int:
    """How many days a month is past its deadline without being closed: 0 when it is closed or
    not due yet. The one definition of a late month (dashboards, to-do lists, reminders)."""
    return 0 if closed else max(0, (today - grace_end(year, month)).days)


@dataclass(frozen=True)
class Readiness:
    """Whether a branch's period can be assessed, and if not, what it waits for."""

    period: str
    unclosed: tuple[int, ...]  # its months the committee has not closed yet
    unapproved: tuple[str, ...] = ()  # the year only: quarters the township has not approved

    @property
    def ready(self) -> bool:
        return not self.unclosed and not self.unapproved

    @property
    def waits_for(self) -> str:
        """What it waits for, in words ("" when ready)."""
        if self.unclosed:
            return "、".join(f"{m}月" for m in self.unclosed) + "尚未经支委会结账"
        if self.unapproved:
            return "、".join(Period(p).label for p in self.unapproved) + "尚未经乡镇审核通过"
        return ""


def readiness(
    period: str, *, closed_months: Collection[int], approved_quarters: Collection[str] = ()
) -> Readiness:
    """The one rule for when a period can be assessed: all its months closed and, for the year,
    the four quarters approved by the township. Pure: the caller reads which months
    are closed and which quarters approved, in as few queries as its page needs."""
    unclosed = tuple(m for m in period_months(period) if m not in closed_months)
    unapproved = ()
    if period == Period.YEAR:
        unapproved = tuple(q for q in QUARTERS if q not in approved_quarters)
    return Readiness(period, unclosed, unapproved)
