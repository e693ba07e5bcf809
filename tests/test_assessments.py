"""The quarter (step 4): opening it once its months are closed, the members' meeting confirming
every member's points, the township approving or sending it back, and the township's queue.

The months are built with the scoring services (entries while a month is open, then closing it);
everything about the assessment goes through the views, as the secretary and the township
official use them.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Appeal, Assessment, AssessmentLine, AssessmentLog
from members.models import Branch
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026


# --- Helpers -----------------------------------------------------------------------------------


def item(rule_set, code):
    return RuleItem.objects.get(rule_set=rule_set, code=code, branch__isnull=True)


def close_months(branch, year, months, *, by):
    """Close each month at a branch committee meeting early the next month."""
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=year, month=month)
        meeting = datetime.date(year, month + 1, 2) if month < 12 else datetime.date(year + 1, 1, 2)
        scoring.month_close(branch_month=branch_month, meeting_date=meeting, by=by or system_user())


def bonus(rule_set, member, branch, year, month, code, points, *, by):
    declaration = scoring.declaration_create(
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(year, month, 10),
        description="参与村级中心工作",
        points=Decimal(points),
        by=by or system_user(),
    )
    scoring.declaration_approve(declaration=declaration, by=by or system_user())


def deduction(rule_set, member, branch, year, month, code, *, by):
    scoring.deduction_record(
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(year, month, 5),
        reason="无故缺席党员大会",
        by=by or system_user(),
    )


def open_url(branch, period="Q1", year=YEAR):
    return reverse("assessment_open", args=[branch.pk, year, period])


def open_q1(county, branch=None):
    branch = branch or county.branch
    return services.assessment_open(branch=branch, year=YEAR, period="Q1", by=county.secretary_user)


def confirm_data(lines_or_members=(), **fields):
    data = {"meeting_date": "2026-04-10", "members_expected": "5", "members_present": "4"}
    data.update({k: str(v) for k, v in fields.items()})
    return data


def confirm(county, assessment, persona="secretary", **fields):
    url = reverse("assessment_confirm", args=[assessment.pk])
    return county.client(persona).post(url, confirm_data(**fields))


def review(county, assessment, persona="township", **data):
    return county.client(persona).post(reverse("assessment_review", args=[assessment.pk]), data)


def page(county, assessment, persona="secretary"):
    return county.client(persona).get(reverse("assessment", args=[assessment.pk]))


def text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=YEAR)


@pytest.fixture
def q1_closed(county, rules_2026):
    """东阳涧村 with 王建国 (A, no entries) and 白玉兰 (B: +6 bonus and −2 deduction in
    February); January to March closed."""
    county.bai = make_member(county.branch, "白玉兰", category="B")
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=2)
    by = county.secretary_user
    bonus(rules_2026, county.bai, county.branch, YEAR, 2, "G03", "6", by=by or system_user())
    deduction(rules_2026, county.bai, county.branch, YEAR, 2, "K01", by=by or system_user())
    close_months(county.branch, YEAR, [1, 2, 3], by=by or system_user())
    return county


# --- The year at a glance and opening a quarter ------------------------------------------------


def test_opening_is_refused_while_a_month_is_open_and_the_message_names_it(county, rules_2026):
    close_months(county.branch, YEAR, [1, 2], by=county.secretary_user)
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=3)
    response = county.client("secretary").post(open_url(county.branch), follow=True)
    assert response.redirect_chain[-1][0] == reverse("assessments", args=[county.branch.pk, YEAR])
    assert "3月尚未经支委会结账" in text(response)
    assert not Assessment.objects.exists()
    # The year page shows why, and no button for the quarter.
    assert "3月尚未结账" in text(response)


def test_the_year_page_offers_the_secretary_to_open_a_closed_quarter(county, q1_closed):
    url = reverse("assessments", args=[county.branch.pk, YEAR])
    html = county.client("secretary").get(url).content.decode()
    assert "开始评定" in html and open_url(county.branch) in html
    assessor_html = county.client("assessor").get(url).content.decode()
    assert open_url(county.branch) not in assessor_html and "未开始" in assessor_html
    assert "待支部书记开始评定" in assessor_html

    response = county.client("secretary").post(open_url(county.branch))
    assessment = Assessment.objects.get()
    assert response.url == reverse("assessment", args=[assessment.pk])
    assert (assessment.period, assessment.status) == ("Q1", "open")
    assert "待党员大会评定" in county.client("township").get(url).content.decode()


def test_opening_is_post_only_for_the_secretary_and_the_period_must_exist(county, q1_closed):
    client = county.client("secretary")
    assert client.get(open_url(county.branch)).status_code == 405
    assert client.post(open_url(county.branch, period="Q5")).status_code == 404
    for persona in ["assessor", "township", "county", "secretary_y"]:
        assert county.client(persona).post(open_url(county.branch)).status_code == 404, persona
        assert county.client(persona).get(open_url(county.branch)).status_code == 404, persona
    assert not Assessment.objects.exists()


# --- The quarter's page ------------------------------------------------------------------------


def test_the_q1_page_shows_base_bonus_and_deductions_computed_live(county, q1_closed):
    assessment = open_q1(county)
    response = page(county, assessment)
    lines = {row["line"].member.name: row["line"] for row in response.context["rows"]}
    wang, bai = lines["王建国"], lines["白玉兰"]
    assert (wang.base, wang.period_total, wang.cumulative) == (
        Decimal("22.00"),  # 3 × 88/12
        Decimal("22.00"),
        Decimal("22.00"),
    )
    assert (bai.base, bai.bonus, bai.deductions, bai.period_total) == (
        Decimal("20.00"),
        Decimal("6.00"),
        Decimal("-2.00"),
        Decimal("24.00"),
    )
    assert (bai.rank, wang.rank) == (1, 2)
    html = text(response)
    for heading in ["基础积分", "贡献加分", "违规扣分", "更正", "本季度积分", "累计积分"]:
        assert heading in html
    assert "民主评议积分" not in html
    assert "党员大会确认" in html  # the secretary sees the confirm form


def test_confirming_with_a_member_held_back_needs_a_reason_shown_in_the_row(county, q1_closed):
    assessment = open_q1(county)
    bai = county.bai
    response = confirm(county, assessment, **{f"hold_{bai.pk}": "on", f"reason_{bai.pk}": " "})
    assert response.status_code == 200
    form = response.context["confirm_form"]
    assert "暂缓确认白玉兰的原因" in str(form.errors[f"reason_{bai.pk}"])
    row = next(r for r in response.context["rows"] if r["line"].member == bai)
    assert row["reason"].errors
    assert 'value="2026-04-10"' in response.content.decode()  # what was typed is kept
    assessment.refresh_from_db()
    assert assessment.status == "open" and not AssessmentLine.objects.exists()


def test_more_members_present_than_expected_is_refused(county, q1_closed):
    assessment = open_q1(county)
    response = confirm(county, assessment, members_expected=2, members_present=3)
    assert "实到人数不能多于应到人数" in str(response.context["confirm_form"].errors)
    assert Assessment.objects.get().status == "open"


def test_a_meeting_date_in_the_future_is_refused_by_the_service(county, q1_closed):
    assessment = open_q1(county)
    response = confirm(county, assessment, meeting_date="2027-01-01")
    assert "不能晚于今天" in str(response.context["confirm_form"].errors["meeting_date"])


def test_confirming_stores_the_lines_and_logs_who_and_when(county, q1_closed):
    assessment = open_q1(county)
    bai = county.bai
    response = confirm(
        county, assessment, **{f"hold_{bai.pk}": "on", f"reason_{bai.pk}": "扣分事实待核实"}
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "confirmed"
    assert (assessment.meeting_date, assessment.members_expected, assessment.members_present) == (
        datetime.date(2026, 4, 10),
        5,
        4,
    )
    lines = {line.member.name: line for line in assessment.lines.select_related("member")}
    assert lines["王建国"].period_total == Decimal("22.00") and not lines["王建国"].held_back
    assert lines["白玉兰"].held_back and lines["白玉兰"].held_back_reason == "扣分事实待核实"
    log = AssessmentLog.objects.filter(assessment=assessment).last()
    assert (log.to_status, log.by) == ("confirmed", county.secretary_user)
    assert log.at is not None and "应到 5 人，实到 4 人" in log.reason

    html = text(page(county, assessment, "township"))
    assert "暂缓确认：扣分事实待核实" in html
    assert "乡镇审核" in html and "审核通过" in html  # the township official's form
    assert "党员大会确认本季度积分" not in text(page(county, assessment))  # no form any more


def test_the_township_approves_and_a_second_approve_is_refused(county, q1_closed):
    assessment = open_q1(county)
    confirm(county, assessment)
    assert review(county, assessment, action="approve").status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "approved" and assessment.approved_at is not None
    assert assessment.logs.last().by == county.township_user
    # The same button pressed again (a second tab, or a colleague a moment later).
    response = review(county, assessment, action="approve", comment="同意")
    assert response.status_code == 200
    assert "刚被他人处理" in text(response)
    assert assessment.logs.filter(to_status="approved").count() == 1
    # The year page now links the export; the secretary generates the notice from the page.
    year = county.client("secretary").get(reverse("assessments", args=[county.branch.pk, YEAR]))
    html = year.content.decode()
    assert "已通过" in html
    assert reverse("assessment_export", args=[assessment.pk]) in html
    notice_create = reverse("notice_create", args=[assessment.pk])
    assert notice_create in page(county, assessment).content.decode()
    assert notice_create not in page(county, assessment, "township").content.decode()


def test_sending_back_needs_a_comment_and_a_correction_then_reconfirmed(county, q1_closed):
    assessment = open_q1(county)
    confirm(county, assessment)
    response = review(county, assessment, action="return", comment="  ")
    assert "退回时请写明需要修改的内容" in str(response.context["review_form"].errors["comment"])
    assert Assessment.objects.get().status == "confirmed"

    review(county, assessment, action="return", comment="王建国2月有一次义务劳动漏记")
    assessment.refresh_from_db()
    assert assessment.status == "returned"
    html = text(page(county, assessment))
    assert "乡镇退回修改" in html and "义务劳动漏记" in html

    scoring.correction_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=2,
        points=Decimal("3"),
        reason="2月义务劳动漏记（乡镇审核发现）",
        by=county.secretary_user,
    )
    preview = page(county, assessment)
    wang = next(r["line"] for r in preview.context["rows"] if r["line"].member == county.member)
    assert (wang.corrections, wang.period_total) == (Decimal("3.00"), Decimal("25.00"))

    assert confirm(county, assessment, meeting_date="2026-04-20").status_code == 302
    line = AssessmentLine.objects.get(assessment=assessment, member=county.member)
    assert (line.corrections, line.period_total) == (Decimal("3.00"), Decimal("25.00"))
    assert [log.to_status for log in assessment.logs.all()] == [
        "open",
        "confirmed",
        "returned",
        "confirmed",
    ]


@pytest.mark.parametrize("persona", ["township_2", "secretary_y", "assessor", "county"])
def test_only_the_township_official_of_the_branch_reviews(county, q1_closed, persona):
    assessment = open_q1(county)
    confirm(county, assessment)
    url = reverse("assessment_review", args=[assessment.pk])
    client = county.client(persona)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 404
    assert Assessment.objects.get().status == "confirmed"


@pytest.mark.parametrize("persona", ["township_2", "secretary_y", "assessor", "township", "county"])
def test_only_the_branch_secretary_confirms(county, q1_closed, persona):
    assessment = open_q1(county)
    url = reverse("assessment_confirm", args=[assessment.pk])
    client = county.client(persona)
    assert client.get(url).status_code == 404
    assert client.post(url, confirm_data()).status_code == 404
    assert Assessment.objects.get().status == "open"


def test_other_branches_and_townships_do_not_see_the_assessment(county, q1_closed):
    assessment = open_q1(county)
    for persona in ["township_2", "secretary_y"]:
        assert page(county, assessment, persona).status_code == 404
        year_url = reverse("assessments", args=[county.branch.pk, YEAR])
        assert county.client(persona).get(year_url).status_code == 404
    for persona in ["county", "township", "assessor"]:
        response = page(county, assessment, persona)
        assert response.status_code == 200
        assert "党员大会确认" not in text(response)


@pytest.mark.parametrize("extra_members", [4, 149])
def test_the_assessment_page_query_count_does_not_grow_with_the_branch(
    county, rules_2026, extra_members, django_assert_max_num_queries
):
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=1)
    for i in range(extra_members):
        member = make_member(county.branch, f"党员{i:03d}")
        if i % 3 == 0:
            deduction(rules_2026, member, county.branch, YEAR, 1, "K04", by=county.secretary_user)
    close_months(county.branch, YEAR, [1, 2, 3], by=county.secretary_user)
    assessment = open_q1(county)
    client = county.client("secretary")
    # session, user, official, assessment, rule set categories, roll (2), ledger (3), the
    # months' versions, their base scores and the version in force, logs, the branch in the top
    # bar (the stored lines need fewer: lines instead of roll + ledger)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("assessment", args=[assessment.pk]))
    assert len(response.context["rows"]) == extra_members + 1
    response = confirm(county, assessment, members_expected=extra_members + 1)
    assert response.status_code == 302
    township = county.client("township")
    with django_assert_max_num_queries(15):
        response = township.get(reverse("assessment", args=[assessment.pk]))
    assert len(response.context["rows"]) == extra_members + 1


# --- The township's queue ----------------------------------------------------------------------


def test_the_queue_lists_confirmed_assessments_with_their_summary(county, q1_closed):
    assessment = open_q1(county)
    confirm(county, assessment)
    # 官桥村 was sent back; an appeal waits in the township.
    close_months(county.branch_y, YEAR, [1, 2, 3], by=county.secretary_y_user)
    other = services.assessment_open(
        branch=county.branch_y, year=YEAR, period="Q1", by=county.secretary_y_user
    )
    services.assessment_confirm(
        assessment=other,
        meeting_date=datetime.date(2026, 4, 8),
        members_expected=1,
        members_present=1,
        by=county.secretary_y_user,
    )
    services.assessment_return(assessment=other, by=county.township_user, comment="请补充会议记录")
    Appeal.objects.create(
        member=county.member,
        branch=county.branch,
        year=2025,
        received_on=datetime.date(2026, 1, 20),
        content="对等次有异议",
        recorded_by=county.secretary_user,
    )

    response = county.client("township").get(reverse("township_queue", args=[county.dongcun.pk]))
    assert response.status_code == 200
    (row,) = response.context["queue"]
    assert row["assessment"] == assessment
    assert row["members"] == 2
    assert row["total"] == Decimal("46.00")  # 22.00 + 24.00
    assert row["average"] == Decimal("23.00")
    assert (row["deduction_lines"], row["deduction_sum"]) == (1, Decimal("-2.00"))
    assert (row["cleared"], row["held_back"]) == (0, 0)
    assert response.context["returned"] == [other]
    assert len(response.context["open_appeals"]) == 1
    assert response.context["open_objections"] == 0
    html = text(response)
    assert "东阳涧村" in html and "请补充会议记录" in html

    assert (
        county.client("county").get(reverse("township_queue", args=[county.dongcun.pk])).status_code
        == 200
    )
    for persona in ["township_2", "secretary", "assessor"]:
        url = reverse("township_queue", args=[county.dongcun.pk])
        assert county.client(persona).get(url).status_code == 404, persona


def test_the_queue_compares_with_the_previous_approved_quarter(county, rules_2026):
    by = county.secretary_user
    close_months(county.branch, YEAR, [1, 2, 3], by=by or system_user())
    q1 = open_q1(county)
    services.assessment_confirm(
        assessment=q1,
        meeting_date=datetime.date(2026, 4, 8),
        members_expected=1,
        members_present=1,
        by=by or system_user(),
    )
    services.assessment_approve(assessment=q1, by=county.township_user)
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=5)
    bonus(rules_2026, county.member, county.branch, YEAR, 5, "G03", "4", by=by or system_user())
    close_months(county.branch, YEAR, [4, 5, 6], by=by or system_user())
    q2 = services.assessment_open(
        branch=county.branch, year=YEAR, period="Q2", by=by or system_user()
    )
    services.assessment_confirm(
        assessment=q2,
        meeting_date=datetime.date(2026, 7, 8),
        members_expected=1,
        members_present=1,
        by=by or system_user(),
    )
    response = county.client("township").get(reverse("township_queue", args=[county.dongcun.pk]))
    (row,) = response.context["queue"]
    assert (row["average"], row["previous_average"], row["change"]) == (
        Decimal("26.00"),
        Decimal("22.00"),
        Decimal("4.00"),
    )
    assert "+4.00" in text(response)


@pytest.mark.parametrize("branches", [1, 6])
def test_the_queue_query_count_does_not_grow_with_the_branches(
    county, rules_2026, branches, django_assert_max_num_queries
):
    for i in range(branches):
        branch = (
            county.branch
            if i == 0
            else Branch.objects.create(township=county.dongcun, name=f"新村{i}", position=10 + i)
        )
        if i:
            make_member(branch, f"村民{i}")
        close_months(branch, YEAR, [1, 2, 3], by=system_user())
        assessment = services.assessment_open(
            branch=branch, year=YEAR, period="Q1", by=system_user()
        )
        services.assessment_confirm(
            assessment=assessment,
            meeting_date=datetime.date(2026, 4, 8),
            members_expected=1,
            members_present=1,
            by=system_user(),
        )
    client = county.client("township")
    # session, user, official, township, assessments, line stats, previous quarter,
    # appeals, objections, the township in the top bar
    with django_assert_max_num_queries(10):
        response = client.get(reverse("township_queue", args=[county.dongcun.pk]))
    assert len(response.context["queue"]) == branches
