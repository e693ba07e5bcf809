"""The year (step 4 at year end): the democratic appraisal, the annual assessment with its totals
and grades, the excellent-quota warning, the follow-up of grades and members' appeals.

A whole year needs all twelve months closed, which today (November 2026) only 2025 can have: the
fixture builds 2025 with its own members (the shared personas' members join in 2026).
"""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Appeal, Appraisal, Assessment, AssessmentLine, FollowUp
from members.permissions import system_user
from scoring import services as scoring
from tests.rules_helpers import load_default_rules

from .conftest import make_member
from .test_assessments import bonus, close_months, item

pytestmark = pytest.mark.django_db

YEAR = 2025


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def year_2025(county):
    """东阳涧村 in 2025: four members on the roll all year, all twelve months closed and the four
    quarters approved by the township.

    * 赵卫东 (A): +10 in March and +3 in June → 88 + 13 before the appraisal;
    * 孙桂兰 (D): +10 in May → 64 + 10;
    * 钱有福 (B): a clearing item (Q4, 黄赌毒) in July;
    * 周小明 (B): nothing → 80.
    """
    return build_year_2025(county)


@pytest.fixture
def year_2025_with_migrant(county):
    """The same year with a fifth member, 李外出 (C), on the roll all year too: a member cannot
    be added into closed months afterwards."""
    return build_year_2025(county, migrant=True)


def build_year_2025(county, *, migrant=False):
    rule_set = load_default_rules(year=YEAR)
    by = county.secretary_user
    start = datetime.date(2025, 1, 1)
    y = SimpleNamespace(county=county, rule_set=rule_set, branch=county.branch)
    y.zhao = make_member(county.branch, "赵卫东", category="A", on_roll_from=start)
    y.sun = make_member(county.branch, "孙桂兰", category="D", on_roll_from=start, gender="F")
    y.qian = make_member(county.branch, "钱有福", category="B", on_roll_from=start)
    y.zhou = make_member(county.branch, "周小明", category="B", on_roll_from=start)
    if migrant:
        y.li = make_member(county.branch, "李外出", category="C", on_roll_from=start)
    for month in (3, 5, 6, 7):
        scoring.month_get_or_open(branch=county.branch, year=YEAR, month=month)
    bonus(rule_set, y.zhao, county.branch, YEAR, 3, "G03", "10", by=by or system_user())
    bonus(rule_set, y.zhao, county.branch, YEAR, 6, "G06", "3", by=by or system_user())
    bonus(rule_set, y.sun, county.branch, YEAR, 5, "G03", "10", by=by or system_user())
    scoring.clearing_record(
        member=y.qian,
        branch=county.branch,
        year=YEAR,
        month=7,
        item=item(rule_set, "Q4"),
        occurred_on=datetime.date(2025, 7, 9),
        reason="参与赌博被行政处罚",
        confirmed=True,
        by=by or system_user(),
    )
    close_months(county.branch, YEAR, range(1, 13), by=by or system_user())
    for quarter in range(1, 5):
        assessment = services.assessment_open(
            branch=county.branch, year=YEAR, period=f"Q{quarter}", by=by or system_user()
        )
        services.assessment_confirm(
            assessment=assessment,
            meeting_date=datetime.date(2025, 3 * quarter, 28),
            members_expected=4,
            members_present=4,
            by=by or system_user(),
        )
        services.assessment_approve(assessment=assessment, by=county.township_user)
    return y


def appraisal_url(y):
    return reverse("appraisal", args=[y.branch.pk, YEAR])


def appraisal_post(y, rows: dict, *, present="30", persona="secretary"):
    """POST the appraisal page: `rows` maps a member to the fields typed in their row."""
    page = y.county.client(persona).get(appraisal_url(y))
    members = [row["member"] for row in page.context["rows"]]
    data = {
        "appraisal-TOTAL_FORMS": str(len(members)),
        "appraisal-INITIAL_FORMS": str(len(members)),
        "appraisal-MIN_NUM_FORMS": "0",
        "appraisal-MAX_NUM_FORMS": "1000",
        "meeting-present": present,
    }
    for index, member in enumerate(members):
        data[f"appraisal-{index}-member"] = str(member.pk)
        for field, value in rows.get(member, {}).items():
            data[f"appraisal-{index}-{field}"] = str(value)
    return y.county.client(persona).post(appraisal_url(y), data)


def ballots(excellent, qualified, basic, unqualified):
    return {
        "excellent": excellent,
        "qualified": qualified,
        "basic": basic,
        "unqualified": unqualified,
    }


def row_of(response, member):
    return next(row for row in response.context["rows"] if row["member"] == member)


def open_year(y):
    response = y.county.client("secretary").post(
        reverse("assessment_open", args=[y.branch.pk, YEAR, "Y"])
    )
    assessment = Assessment.objects.get(period="Y")
    assert response.url == reverse("assessment", args=[assessment.pk])
    return assessment


def record_all_appraisals(y):
    response = appraisal_post(
        y,
        {y.zhao: ballots(12, 15, 3, 0), y.sun: {"score": "20"}, y.zhou: {"score": "5"}},
    )
    assert response.status_code == 302, response.context and [
        row["form"].errors for row in response.context["rows"]
    ]


def confirm_year(y, **fields):
    assessment = Assessment.objects.get(period="Y")
    data = {"meeting_date": "2026-01-10", "members_expected": "4", "members_present": "4"}
    data.update(fields)
    url = reverse("assessment_confirm", args=[assessment.pk])
    return y.county.client("secretary").post(url, data)


# --- The appraisal page ------------------------------------------------------------------------


def test_ballots_12_15_3_0_give_17_2_shown_and_stored(year_2025):
    y = year_2025
    response = appraisal_post(y, {y.zhao: ballots(12, 15, 3, 0)})
    assert response.status_code == 302
    appraisal = Appraisal.objects.get(member=y.zhao)
    assert appraisal.score == Decimal("17.2")
    assert appraisal.ballots == (12, 15, 3, 0)
    assert appraisal.entered_by == y.county.secretary_user
    page = y.county.client("assessor").get(appraisal_url(y))
    assert row_of(page, y.zhao)["stored"] == appraisal
    html = text(page)
    assert "17.2" in html and "优秀 12 / 合格 15 / 基本合格 3 / 不合格 0 票 → 17.2" in html
    assert not Appraisal.objects.filter(member=y.sun).exists()  # empty rows are skipped


def test_a_score_typed_directly_is_stored_and_a_blank_ballot_box_counts_as_zero(year_2025):
    y = year_2025
    rows = {
        y.sun: {"score": "18.5"},
        y.zhou: {"excellent": "10", "qualified": "", "basic": "", "unqualified": ""},
    }
    assert appraisal_post(y, rows).status_code == 302
    assert Appraisal.objects.get(member=y.sun).score == Decimal("18.5")
    assert Appraisal.objects.get(member=y.zhou).ballots == (10, 0, 0, 0)
    assert Appraisal.objects.get(member=y.zhou).score == Decimal("20.0")


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (ballots(12, -1, 3, 0), "qualified", "票数不能为负数"),
        (ballots(0, 0, 0, 0), None, "不能全部为 0"),
        ({"score": "18", **ballots(12, 15, 3, 0)}, None, "二选一"),
        ({"score": "20.5"}, "score", "0 到 20"),
        ({"score": "17.25"}, "score", "最多保留一位小数"),
        (ballots(20, 15, 3, 0), None, "不能多于参加测评的党员人数（30）"),
        ({"score": "abc"}, "score", "请输入数字"),
    ],
)
def test_bad_rows_are_refused_next_to_the_row_and_nothing_is_saved(
    year_2025, typed, field, message
):
    y = year_2025
    # 孙桂兰's row is fine; it must not be saved either (all or nothing).
    response = appraisal_post(y, {y.zhao: typed, y.sun: {"score": "19"}})
    assert response.status_code == 200
    form = row_of(response, y.zhao)["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert message in str(errors)
    assert not row_of(response, y.sun)["form"].errors
    assert not Appraisal.objects.exists()
    html = response.content.decode()
    assert "未保存" in html
    assert 'value="19"' in html  # what was typed is kept
    for value in typed.values():
        assert f'value="{value}"' in html


def test_ballots_need_the_number_of_members_present(year_2025):
    y = year_2025
    response = appraisal_post(y, {y.zhao: ballots(12, 15, 3, 0)}, present="")
    assert "参加测评党员人数" in str(response.context["meeting_form"].errors["present"])
    assert not Appraisal.objects.exists()
    # A directly typed score needs no count.
    assert appraisal_post(y, {y.zhao: {"score": "16"}}, present="").status_code == 302


def test_a_migrant_member_may_be_appraised_where_they_live(year_2025_with_migrant):
    y = year_2025_with_migrant
    li = y.li
    page = y.county.client("secretary").get(appraisal_url(y))
    assert row_of(page, li)["form"].allows_residence
    assert not row_of(page, y.zhao)["form"].allows_residence

    response = appraisal_post(y, {li: {"score": "16", "source": "residence"}})
    assert "现居住地党组织名称" in str(row_of(response, li)["form"].errors["source_organisation"])
    rows = {
        li: {
            "source": "residence",
            "source_organisation": "太原市小店区某社区党委",
            **ballots(40, 10, 0, 0),
        }
    }
    # The other organisation's ballots are not bounded by this branch's meeting (30 present).
    assert appraisal_post(y, rows).status_code == 302
    appraisal = Appraisal.objects.get(member=li)
    assert (appraisal.source, appraisal.score) == ("residence", Decimal("19.2"))
    assert "太原市小店区某社区党委" in text(y.county.client("township").get(appraisal_url(y)))


def test_the_appraisal_rows_must_be_the_members_on_the_page(year_2025):
    y = year_2025
    page = y.county.client("secretary").get(appraisal_url(y))
    first = page.context["rows"][0]["member"]
    response = appraisal_post(y, {first: {"member": y.county.member_z.pk, "score": "18"}})
    assert response.status_code == 200
    assert "名单已变化" in text(response)
    assert not Appraisal.objects.exists()


def test_only_the_branch_enters_the_appraisal_others_read_or_get_404(year_2025):
    y = year_2025
    for persona in ["township", "county"]:
        response = y.county.client(persona).get(appraisal_url(y))
        assert response.status_code == 200
        assert "保存民主评议积分" not in text(response)
        post = y.county.client(persona).post(appraisal_url(y), {"meeting-present": "3"})
        assert post.status_code == 404
    for persona in ["secretary_y", "township_2"]:
        assert y.county.client(persona).get(appraisal_url(y)).status_code == 404
        assert y.county.client(persona).post(appraisal_url(y), {}).status_code == 404
    assert appraisal_post(y, {y.zhou: {"score": "10"}}, persona="assessor").status_code == 302


# --- The annual assessment ---------------------------------------------------------------------


def test_the_year_cannot_open_before_the_quarters_are_approved(county):
    load_default_rules(year=YEAR)
    make_member(county.branch, "赵卫东", category="A", on_roll_from=datetime.date(2025, 1, 1))
    close_months(county.branch, YEAR, range(1, 13), by=county.secretary_user)
    url = reverse("assessments", args=[county.branch.pk, YEAR])
    page = text(county.client("secretary").get(url))
    assert "四个季度均经乡镇审核通过后才能开始年度评定" in page
    response = county.client("secretary").post(
        reverse("assessment_open", args=[county.branch.pk, YEAR, "Y"]), follow=True
    )
    assert "尚未经乡镇审核通过" in text(response)
    assert not Assessment.objects.filter(period="Y").exists()


def test_the_annual_confirm_is_refused_while_someone_lacks_an_appraisal(year_2025):
    y = year_2025
    assessment = open_year(y)
    appraisal_post(y, {y.zhao: ballots(12, 15, 3, 0)})
    page = y.county.client("secretary").get(reverse("assessment", args=[assessment.pk]))
    assert "尚未录入民主评议积分" in text(page)
    response = confirm_year(y)
    assert response.status_code == 200
    errors = str(response.context["confirm_form"].non_field_errors())
    assert "孙桂兰" in errors and "周小明" in errors and "尚未录入民主评议积分" in errors
    assert "钱有福" not in errors  # cleared: no appraisal needed
    assert Assessment.objects.get(period="Y").status == "open"


def test_annual_totals_grades_clearing_and_the_excellent_quota_warning(year_2025):
    y = year_2025
    assessment = open_year(y)
    record_all_appraisals(y)
    response = y.county.client("secretary").get(reverse("assessment", args=[assessment.pk]))
    lines = {row["line"].member: row["line"] for row in response.context["rows"]}
    zhao, sun, qian, zhou = lines[y.zhao], lines[y.sun], lines[y.qian], lines[y.zhou]
    # A: 88 base + 13 bonus + 17.2 appraisal = 118.20 ≥ 118 → 优秀
    assert (zhao.base, zhao.bonus, zhao.appraisal) == (
        Decimal("88.00"),
        Decimal("13.00"),
        Decimal("17.20"),
    )
    assert (zhao.annual_total, zhao.grade_label) == (Decimal("118.20"), "优秀")
    # D: 64 + 10 + 20 = 94 ≥ 94 → 优秀
    assert (sun.annual_total, sun.grade_label) == (Decimal("94.00"), "优秀")
    # B: 80 + 5 = 85, between 70 and 90 → 基本合格
    assert (zhou.annual_total, zhou.grade_label) == (Decimal("85.00"), "基本合格")
    # A clearing item: 0, 不合格, whatever else happened
    assert (qian.annual_total, qian.grade_label, qian.cleared) == (Decimal("0.00"), "不合格", True)

    html = text(response)
    for heading in ["本年度积分", "民主评议积分", "年度总积分", "等次"]:
        assert heading in html
    assert "积分清零" in html and "不合格" in html and "0.00" in html
    # 2 of 4 members 优秀 (> 1/3): warned, nobody demoted.
    assert "优秀 2 人，超过本支部党员总数（4 人）的 1/3" in html
    assert "不会自动调整" in html

    assert confirm_year(y).status_code == 302
    stored = {
        line.member: line
        for line in AssessmentLine.objects.filter(assessment=assessment).select_related("member")
    }
    assert stored[y.zhao].grade == "excellent" and stored[y.sun].grade == "excellent"
    assert (stored[y.qian].annual_total, stored[y.qian].grade) == (Decimal("0.00"), "unqualified")
    assert stored[y.qian].rank is None
    township_page = y.county.client("township").get(reverse("assessment", args=[assessment.pk]))
    assert "优秀 2 人" in text(township_page)
    # Once confirmed, the appraisal is closed.
    page = y.county.client("secretary").get(appraisal_url(y))
    assert not page.context["can_enter"]
    assert "不能再修改" in text(page)


# --- Follow-up and appeals ---------------------------------------------------------------------


def test_follow_ups_say_plainly_when_there_is_no_annual_result(county):
    response = county.client("secretary").get(reverse("follow_ups", args=[county.branch.pk, 2026]))
    assert response.status_code == 200
    assert "2026年度评定尚未经党员大会确认，还没有等次结果" in text(response)
    assert response.context["form"] is None


def test_a_talk_is_recorded_for_a_basically_qualified_member(year_2025):
    y = year_2025
    open_year(y)
    record_all_appraisals(y)
    confirm_year(y)
    services.assessment_approve(
        assessment=Assessment.objects.get(period="Y"), by=y.county.township_user
    )
    url = reverse("follow_ups", args=[y.branch.pk, YEAR])
    client = y.county.client("secretary")
    page = client.get(url)
    sections = {s["grade"]: s for s in page.context["sections"]}
    assert [r["line"].member for r in sections["excellent"]["rows"]] == [y.sun, y.zhao]
    assert [r["line"].member for r in sections["basic"]["rows"]] == [y.zhou]
    assert [r["line"].member for r in sections["unqualified"]["rows"]] == [y.qian]

    preset = client.get(url, {"member": y.zhou.pk})
    assert preset.context["form"].initial["kind"] == FollowUp.Kind.TALK
    assert preset.context["form"].initial["member"] == y.zhou.pk

    refused = client.post(
        url, {"member": y.zhou.pk, "kind": "talk", "date": "2027-01-01", "who": "", "notes": ""}
    )
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"date", "who", "notes"}
    response = client.post(
        url,
        {
            "member": y.zhou.pk,
            "kind": "talk",
            "date": "2026-02-15",
            "who": "支部书记",
            "notes": "谈心谈话，指出不足，提出改进要求。",
        },
    )
    assert response.status_code == 302
    talk = FollowUp.objects.get()
    assert (talk.member, talk.kind, talk.year, talk.recorded_by) == (
        y.zhou,
        "talk",
        YEAR,
        y.county.secretary_user,
    )
    assert "谈心谈话，指出不足" in text(y.county.client("township").get(url))
    # Only the secretary records; the assessor reads; the branch next door sees nothing.
    assert y.county.client("assessor").post(url, {}).status_code == 404
    assert y.county.client("secretary_y").get(url).status_code == 404


def test_an_appeal_is_recorded_by_the_branch_and_decided_by_the_township(year_2025):
    y = year_2025
    create_url = reverse("appeal_create", args=[y.zhou.pk])
    for persona in ["assessor", "county", "secretary_y", "township_2"]:
        assert y.county.client(persona).get(create_url).status_code == 404, persona
    response = y.county.client("secretary").post(
        create_url,
        {"year": "2025", "received_on": "2026-02-20", "content": "认为民主测评票数统计有误"},
    )
    appeal = Appeal.objects.get()
    assert response.url == reverse("appeal_decide", args=[appeal.pk])
    assert (appeal.member, appeal.branch, appeal.year, appeal.status) == (
        y.zhou,
        y.branch,
        2025,
        "open",
    )

    decide_url = reverse("appeal_decide", args=[appeal.pk])
    page = y.county.client("secretary").get(decide_url)
    assert page.status_code == 200 and page.context["form"] is None
    assert "等待乡镇党委处理" in text(page)
    decision = {"status": "upheld", "decision": "经复核，票数统计无误，维持原等次。"}
    assert y.county.client("secretary").post(decide_url, decision).status_code == 404
    assert y.county.client("county").post(decide_url, decision).status_code == 404
    assert y.county.client("township_2").get(decide_url).status_code == 404
    assert y.county.client("secretary_y").get(decide_url).status_code == 404

    township = y.county.client("township")
    refused = township.post(decide_url, {"status": "upheld", "decision": ""})
    assert refused.context["form"].errors["decision"]
    assert township.post(decide_url, decision).status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == ("upheld", y.county.township_user)
    assert appeal.decided_on is not None
    # Deciding twice is refused.
    again = township.post(decide_url, {"status": "changed", "decision": "改为合格"})
    assert again.status_code == 200
    Appeal.objects.get(status="upheld")
