"""Closed months are history (DOMAIN §3.7): roster changes take effect only from a month the
branch committee has not closed, through the pages and through the services; a transfer keeps
the year whole, each period's line in exactly one branch.

東阳涧村 has January–October 2026 closed (today is late November 2026 in these tests' data:
the real today, any day after October 2026, works the same).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from evaluations import services as evaluations
from evaluations.models import AssessmentLine
from members import services as members
from members.idcard import validate_id_number
from members.models import Category, CategoryChange, Member, RollPeriod
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member, new_id_number

pytestmark = pytest.mark.django_db

YEAR = 2026
FIRST_OPEN = "2026年11月"


def close(branch, months, by):
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=YEAR, month=month)
        scoring.month_close(
            branch_month=branch_month, meeting_date=datetime.date(YEAR, month, 28), by=by
        )


@pytest.fixture
def closed(county):
    load_default_rules(year=YEAR)
    close(county.branch, range(1, 11), county.secretary_user)
    return county


def text(response) -> str:
    return response.content.decode()


# --- New members -------------------------------------------------------------------------------


def new_member_post(county, on_roll_from: str):
    info = validate_id_number(new_id_number())
    return county.client("secretary").post(
        reverse("member_create", args=[county.branch.pk]),
        {
            "name": "新党员",
            "id_number": info.number,
            "gender": info.gender,
            "birth_date": info.birth_date.isoformat(),
            "joined_party": "1995-07-01",
            "category": "B",
            "on_roll_from": on_roll_from,
            "phone": "",
            "notes": "",
            "has_plaque": "on",
        },
    )


def test_a_new_member_cannot_enter_a_closed_month(closed):
    response = new_member_post(closed, "2026-01")
    assert response.status_code == 200
    message = str(response.context["form"].errors["on_roll_from"])
    assert FIRST_OPEN in message and "更正" in message
    assert not Member.objects.filter(name="新党员").exists()


def test_a_new_member_may_join_from_the_first_open_month(closed):
    response = new_member_post(closed, "2026-11")
    assert response.status_code == 302
    member = Member.objects.get(name="新党员")
    assert member.roll_periods.get().start == datetime.date(2026, 11, 1)


@pytest.mark.parametrize("month", ["1900-01", "9999-01"])
def test_dates_before_the_party_or_after_next_year_are_refused(county, month):
    response = new_member_post(county, month)
    assert response.status_code == 200
    assert "on_roll_from" in response.context["form"].errors
    assert not Member.objects.filter(name="新党员").exists()


def test_the_service_refuses_a_new_member_in_a_closed_month(closed):
    with pytest.raises(ValidationError, match=FIRST_OPEN):
        make_member(closed.branch, "补录", on_roll_from=datetime.date(2026, 3, 1))


# --- Category changes, departures, transfers ----------------------------------------------------


def test_a_category_change_into_a_closed_month_is_refused_and_q2_stays_as_approved(closed):
    q2 = evaluations.assessment_open(
        branch=closed.branch, year=YEAR, period="Q2", by=closed.secretary_user
    )
    evaluations.assessment_confirm(
        assessment=q2,
        meeting_date=datetime.date(YEAR, 7, 5),
        members_expected=1,
        members_present=1,
        by=closed.secretary_user,
    )
    evaluations.assessment_approve(assessment=q2, by=closed.township_user)
    approved = AssessmentLine.objects.get(assessment=q2, member=closed.member).period_total

    response = closed.client("secretary").post(
        reverse("member_category", args=[closed.member.pk]),
        {"category": "D", "effective_from": "2026-05", "reason": "年老体弱"},
    )
    assert response.status_code == 200
    assert FIRST_OPEN in str(response.context["form"].errors["effective_from"])
    assert CategoryChange.objects.filter(member=closed.member).count() == 1
    lines = evaluations.compute_lines(
        branch=closed.branch, year=YEAR, period="Q2", rule_set=q2.rule_set
    )
    assert lines[0].period_total == approved == Decimal("22.00")


def test_a_category_change_from_the_first_open_month_is_recorded(closed):
    members.category_change(
        member=closed.member,
        by=closed.secretary_user,
        category=Category.D,
        effective_from=datetime.date(2026, 11, 1),
        reason="年老体弱",
    )
    assert closed.member.category_in(datetime.date(2026, 11, 1)) == "D"
    assert closed.member.category_in(datetime.date(2026, 10, 1)) == "A"


def test_a_departure_dated_in_closed_history_is_refused(closed):
    response = closed.client("secretary").post(
        reverse("member_leave", args=[closed.member.pk]),
        {"status": "deceased", "date": "2026-02-15", "reason": "病故"},
    )
    assert response.status_code == 200
    assert FIRST_OPEN in str(response.context["form"].errors["date"])
    assert Member.objects.get(pk=closed.member.pk).status == Member.Status.ACTIVE
    assert RollPeriod.objects.get(member=closed.member).end is None


def test_a_departure_in_the_last_closed_month_keeps_every_closed_month_whole(closed):
    """Leaving in October (a closed month, but the last on the roll) removes only November on."""
    members.member_leave(
        member=closed.member,
        by=closed.secretary_user,
        status=Member.Status.DECEASED,
        date=datetime.date(2026, 10, 20),
        reason="病故",
    )
    assert RollPeriod.objects.get(member=closed.member).end == datetime.date(2026, 10, 1)


def test_a_transfer_into_closed_history_is_refused_in_either_branch(closed):
    with pytest.raises(ValidationError, match=FIRST_OPEN):
        members.member_transfer(
            member=closed.member,
            by=closed.secretary_user,
            to_branch=closed.branch_y,
            date=datetime.date(2026, 2, 15),
            reason="迁居",
        )
    # Leaving 官桥村 after March while it has closed up to May would change closed months too.
    close(closed.branch_y, range(1, 6), closed.secretary_y_user)
    with pytest.raises(ValidationError, match="2026年6月"):
        members.member_transfer(
            member=closed.member_y,
            by=closed.secretary_y_user,
            to_branch=closed.branch_z,
            date=datetime.date(2026, 3, 15),
            reason="迁居",
        )
    assert Member.objects.get(pk=closed.member_y.pk).branch == closed.branch_y


def test_a_member_cannot_leave_a_branch_before_a_month_it_still_has_entries_in(closed):
    deduction = RuleItem.objects.get(code="K05", branch__isnull=True, rule_set__county__name="岚县")
    scoring.deduction_record(
        member=closed.member,
        branch=closed.branch,
        year=YEAR,
        month=11,
        item=deduction,
        occurred_on=datetime.date(2026, 11, 2),
        reason="缺学",
        by=closed.secretary_user,
    )
    with pytest.raises(ValidationError, match="已有积分记录"):
        members.member_transfer(
            member=closed.member,
            by=closed.secretary_user,
            to_branch=closed.branch_y,
            date=datetime.date(2026, 10, 31),
            reason="迁居",
        )


@pytest.mark.parametrize(
    ("service", "kwargs"),
    [
        (
            members.category_change,
            {"category": "D", "effective_from": datetime.date(2026, 4, 1), "reason": "x"},
        ),
        (
            members.member_leave,
            {"status": "deceased", "date": datetime.date(2026, 4, 1), "reason": "x"},
        ),
    ],
)
def test_the_services_refuse_closed_history_whoever_calls_them(closed, service, kwargs):
    with pytest.raises(ValidationError, match=FIRST_OPEN):
        service(member=closed.member, by=system_user(), **kwargs)


# --- A transfer keeps the year whole ------------------------------------------------------------


@pytest.fixture
def moved(county):
    """王建国 moves from 东阳涧村 to 官桥村 on 2026-08-15: August is the old branch's last month,
    September the new one's first. Both branches then close January–October and assess Q1–Q3."""
    load_default_rules(year=YEAR)
    bonus = RuleItem.objects.get(code="G02", branch__isnull=True, rule_set__county__name="岚县")
    for month, branch, by in ((3, county.branch, county.secretary_user),):
        declaration = scoring.declaration_create(
            member=county.member,
            branch=branch,
            year=YEAR,
            month=month,
            item=bonus,
            occurred_on=datetime.date(YEAR, month, 3),
            description="义务劳动",
            by=by,
        )
        scoring.declaration_approve(declaration=declaration, by=by)
    members.member_transfer(
        member=county.member,
        by=county.secretary_user,
        to_branch=county.branch_y,
        date=datetime.date(2026, 8, 15),
        reason="迁居",
    )
    close(county.branch, range(1, 11), county.secretary_user)
    close(county.branch_y, range(1, 11), county.secretary_y_user)
    return county


@pytest.mark.parametrize(
    ("period", "owner"), [("Q1", "branch"), ("Q2", "branch"), ("Q3", "branch_y")]
)
def test_each_period_line_belongs_to_exactly_one_branch(moved, period, owner):
    lines = {}
    for name in ("branch", "branch_y"):
        branch = getattr(moved, name)
        rule_set = scoring.month_get_or_open(branch=branch, year=YEAR, month=1).rule_set
        computed = evaluations.compute_lines(
            branch=branch, year=YEAR, period=period, rule_set=rule_set
        )
        lines[name] = [line.member for line in computed]
    holders = [name for name, people in lines.items() if moved.member in people]
    assert holders == [owner]


def test_the_new_branch_sees_the_whole_year_and_the_old_months_read_only(moved):
    rule_set = scoring.month_get_or_open(branch=moved.branch_y, year=YEAR, month=9).rule_set
    q3 = next(
        line
        for line in evaluations.compute_lines(
            branch=moved.branch_y, year=YEAR, period="Q3", rule_set=rule_set
        )
        if line.member == moved.member
    )
    # The cumulative total carries the old branch's months: nine months of A (88/12 each) and
    # March's bonus, recorded by the old branch.
    assert q3.cumulative == Decimal("67.00")
    page = moved.client("secretary_y").get(reverse("points_card", args=[moved.member.pk, YEAR]))
    html = text(page)
    assert "原支部：东阳涧村" in html
    assert page.context["rows"][2]["elsewhere"] == "东阳涧村"  # March
    assert page.context["rows"][10]["elsewhere"] == ""  # September, a quarter row before it
    # A correction of the old branch's March is the old branch's, not the new one's.
    with pytest.raises(ValidationError, match="当时所在支部"):
        scoring.correction_record(
            member=moved.member,
            branch=moved.branch_y,
            year=YEAR,
            month=3,
            points=Decimal("1"),
            reason="补记",
            by=moved.secretary_y_user,
        )
    assert not PointsEntry.objects.filter(kind="correction").exists()
