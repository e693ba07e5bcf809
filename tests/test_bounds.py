"""Numbers people type are kept within sensible bounds, through the pages (and the services).

A correction is at most ±100 points per entry; ballot counts at most 1,000 of a kind; members
expected or present at most 10,000; points typed on the month screen or for a branch item at
most 100 (the item's own range is checked as before).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations import services as evaluations
from evaluations.models import Appraisal, Assessment
from scoring import services
from scoring.models import Declaration, PointsEntry, RuleItem

from .test_appraisal import appraisal_post, ballots, row_of, year_2025  # noqa: F401
from .test_assessments import confirm, open_q1, q1_closed, rules_2026  # noqa: F401

pytestmark = pytest.mark.django_db

YEAR = 2026
TOO_LARGE = "每条更正不能超过 ±100 分，请核对；确需更多请分条登记。"


def close(county, month):
    branch_month = services.month_get_or_open(branch=county.branch, year=YEAR, month=month)
    services.month_close(
        branch_month=branch_month,
        meeting_date=datetime.date(YEAR, month, 28),
        by=county.secretary_user,
    )


def correct(county, points):
    url = reverse("correction_create", args=[county.member.pk])
    data = {"month": "2026-03", "points": points, "reason": "支委会复核"}
    return county.client("secretary").post(url, data)


# --- corrections ------------------------------------------------------------------------------


@pytest.mark.parametrize("points", ["100.01", "-100.01", "101", "-250", "99999", "-99999.99"])
def test_a_correction_over_100_points_is_refused(county, rules_2026, points):  # noqa: F811
    close(county, 3)
    response = correct(county, points)
    assert response.status_code == 200
    assert response.context["form"].errors["points"] == [TOO_LARGE]
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize("points", ["100", "-100", "0.01", "-37.5", "－１００"])
def test_a_correction_up_to_100_points_is_recorded(county, rules_2026, points):  # noqa: F811
    close(county, 3)
    assert correct(county, points).status_code == 302
    assert abs(PointsEntry.objects.get(kind="correction").points) <= 100


def test_the_correction_service_refuses_over_100_points_too(county, rules_2026):  # noqa: F811
    close(county, 3)
    for points in (Decimal("100.01"), Decimal("-99999")):
        with pytest.raises(ValidationError) as raised:
            services.correction_record(
                member=county.member,
                branch=county.branch,
                year=YEAR,
                month=3,
                points=points,
                reason="支委会复核",
                by=county.secretary_user,
            )
        assert raised.value.message_dict == {"points": [TOO_LARGE]}
    with pytest.raises(ValidationError, match="两位小数"):
        services.correction_record(
            member=county.member,
            branch=county.branch,
            year=YEAR,
            month=3,
            points=Decimal("1.005"),
            reason="支委会复核",
            by=county.secretary_user,
        )
    assert not PointsEntry.objects.exists()


# --- the month screen -------------------------------------------------------------------------


def declare(county, **fields):
    data = {
        "declaration-member": county.member.name,
        "declaration-item": "G03",
        "declaration-occurred_on": "2026-03-12",
        "declaration-description": "人居环境整治",
        "declaration-points": "6",
    }
    data.update({f"declaration-{k}": v for k, v in fields.items()})
    url = reverse("declaration_create", args=[county.branch.pk, YEAR, 3])
    return county.client("secretary").post(url, data)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("101", "分值不能超过 100 分"),
        ("9999.99", "分值不能超过 100 分"),
        ("0", "分值须大于 0"),
        ("-5", "分值须大于 0"),
        ("1e3", "分值不能超过 100 分"),
        ("NaN", "请输入数字"),
    ],
)
def test_declared_points_out_of_bounds_are_refused(county, rules_2026, points, message):  # noqa: F811
    response = declare(county, points=points)
    assert response.status_code == 200
    assert message in str(response.context["forms"]["declaration"].errors["points"])
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    ("points", "message"), [("0", "分值须大于 0"), ("-2", "分值须大于 0"), ("500", "不能超过 100")]
)
def test_review_points_out_of_bounds_are_refused(county, rules_2026, points, message):  # noqa: F811
    assert declare(county).status_code == 302
    declaration = Declaration.objects.get()
    url = reverse("declaration_review", args=[declaration.pk])
    response = county.client("secretary").post(
        url, {"action": "approve", "points": points, "reason": "复核"}
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["points"])
    declaration.refresh_from_db()
    assert declaration.status == Declaration.Status.SUBMITTED
    assert not PointsEntry.objects.exists()


def test_a_branch_item_over_100_points_is_refused(county, rules_2026):  # noqa: F811
    g03 = RuleItem.objects.get(code="G03", branch__isnull=True, rule_set__county__name="岚县")
    url = reverse("branch_item_create", args=[county.branch.pk, YEAR])
    data = {"parent": g03.pk, "name": "清理河道", "points_min": "2", "points_max": "1000"}
    response = county.client("secretary").post(url, data)
    assert "分值不能超过 100 分" in str(response.context["form"].errors["points_max"])
    assert not RuleItem.objects.filter(branch=county.branch).exists()


# --- the members' meeting and the appraisal ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"members_expected": 10_001, "members_present": 4}, "members_expected", "不能超过 10000"),
        ({"members_expected": 5, "members_present": 10_001}, "members_present", "不能超过 10000"),
        ({"members_expected": 0, "members_present": 0}, "members_expected", "须大于 0"),
        ({"members_expected": 5, "members_present": -1}, "members_present", "不能为负数"),
        ({"members_expected": "五", "members_present": 4}, "members_expected", "请输入整数"),
    ],
)
def test_meeting_attendance_out_of_bounds_is_refused(county, q1_closed, fields, field, message):  # noqa: F811
    assessment = open_q1(county)
    response = confirm(county, assessment, **fields)
    assert message in str(response.context["confirm_form"].errors[field])
    assert Assessment.objects.get().status == "open"


def test_the_confirm_service_refuses_more_than_10000_members(county, q1_closed):  # noqa: F811
    assessment = open_q1(county)
    with pytest.raises(ValidationError, match="不能超过 10000"):
        evaluations.assessment_confirm(
            assessment=assessment,
            meeting_date=datetime.date(YEAR, 4, 10),
            members_expected=10_001,
            members_present=3,
            by=county.secretary_user,
        )


def test_ballots_over_1000_are_refused(year_2025):  # noqa: F811
    y = year_2025
    response = appraisal_post(y, {y.zhao: ballots(1001, 0, 0, 0)}, present="2000")
    assert response.status_code == 200
    errors = row_of(response, y.zhao)["form"].errors["excellent"]
    assert "票数过大（每类不超过 1000 张）" in str(errors)
    assert not Appraisal.objects.exists()
    assert appraisal_post(y, {y.zhao: ballots(1000, 0, 0, 0)}, present="1000").status_code == 302


def test_the_appraisal_service_refuses_more_than_1000_ballots(year_2025):  # noqa: F811
    y = year_2025
    with pytest.raises(ValidationError, match="不能超过 1000 张"):
        evaluations.appraisal_record(
            member=y.zhao,
            branch=y.branch,
            year=2025,
            ballots=(0, 1001, 0, 0),
            by=y.county.secretary_user,
        )


@pytest.mark.parametrize(
    ("present", "message"), [("10001", "不能超过 10000 人"), ("0", "须大于 0")]
)
def test_the_number_present_at_the_appraisal_is_bounded(year_2025, present, message):  # noqa: F811
    y = year_2025
    response = appraisal_post(y, {y.zhao: ballots(1, 1, 0, 0)}, present=present)
    assert message in str(response.context["meeting_form"].errors["present"])


@pytest.mark.parametrize(("score", "message"), [("-1", "不能为负数"), ("1000", "过大")])
def test_an_appraisal_score_out_of_bounds_is_refused_by_the_form(year_2025, score, message):  # noqa: F811
    y = year_2025
    response = appraisal_post(y, {y.zhao: {"score": score}})
    assert message in str(row_of(response, y.zhao)["form"].errors["score"])
