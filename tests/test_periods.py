"""The one rule for "is this period ready" and "is this month late" (scoring.periods), which the
assessment service, the assessments page, the to-do lists and the dashboards all ask."""

import datetime

import pytest

from scoring.periods import days_late, readiness


@pytest.mark.parametrize(
    ("today", "closed", "expected"),
    [
        (datetime.date(2026, 4, 10), False, 0),  # March is due by 10 April: not late yet
        (datetime.date(2026, 4, 11), False, 1),
        (datetime.date(2026, 5, 1), False, 21),
        (datetime.date(2026, 5, 1), True, 0),  # closed, however late
        (datetime.date(2026, 3, 20), False, 0),  # the month itself
    ],
)
def test_a_month_is_late_the_day_after_the_tenth_of_the_next_month(today, closed, expected):
    assert days_late(2026, 3, closed=closed, today=today) == expected


def test_december_is_due_in_january_of_the_next_year():
    assert days_late(2025, 12, closed=False, today=datetime.date(2026, 1, 10)) == 0
    assert days_late(2025, 12, closed=False, today=datetime.date(2026, 1, 15)) == 5


def test_a_quarter_is_ready_when_its_three_months_are_closed():
    waiting = readiness("Q2", closed_months={1, 2, 3, 4, 6})
    assert not waiting.ready and waiting.unclosed == (5,)
    assert waiting.waits_for == "5月尚未经支委会结账"
    ready = readiness("Q2", closed_months={4, 5, 6})
    assert ready.ready and ready.waits_for == ""


def test_the_year_also_waits_for_the_four_quarters_approval():
    every_month = set(range(1, 13))
    waiting = readiness("Y", closed_months=every_month, approved_quarters={"Q1", "Q2", "Q4"})
    assert not waiting.ready and waiting.unapproved == ("Q3",)
    assert waiting.waits_for == "第三季度尚未经乡镇审核通过"
    assert readiness(
        "Y", closed_months=every_month, approved_quarters={"Q1", "Q2", "Q3", "Q4"}
    ).ready
    # Months first: an unclosed month is what the secretary can act on.
    assert readiness("Y", closed_months=every_month - {12}).waits_for == "12月尚未经支委会结账"
    # Quarters are not asked about their quarters.
    assert readiness("Q4", closed_months={10, 11, 12}, approved_quarters=()).ready
