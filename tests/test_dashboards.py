"""Township and county dashboards, the lists behind their numbers, rankings, the 光荣榜 and
their exports.

The year is built through the services, as the branches would: declarations approved,
deductions and a clearing item recorded, months closed at the committee meeting, Q1 assessed
and approved. The dashboards' "today" is fixed at 2026-11-25, so November is the current month.
"""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import services as evaluations
from evaluations.models import Assessment, AssessmentLine, Period
from members import services as members
from members.models import Branch, Township
from members.permissions import system_user
from oversight import clock, dashboards, figures
from scoring import engine, ledger
from scoring import services as scoring
from scoring.models import PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def item(code, branch=None):
    """The county item of ``branch``'s county (岚县's by default): each county has its own."""
    where = (
        {"rule_set__county__townships__branches": branch}
        if branch
        else {"rule_set__county__name": "岚县"}
    )
    return RuleItem.objects.get(code=code, branch__isnull=True, rule_set__year=YEAR, **where)


def bonus(member, branch, month, code="G02", points=None, by=None):
    declaration = scoring.declaration_create(
        member=member,
        branch=branch,
        year=YEAR,
        month=month,
        item=item(code, branch),
        occurred_on=datetime.date(YEAR, month, 3),
        description="志愿服务",
        points=points,
        by=by or system_user(),
    )
    return scoring.declaration_approve(declaration=declaration, by=by or system_user())


def deduct(member, branch, month, code="K01", by=None):
    return scoring.deduction_record(
        member=member,
        branch=branch,
        year=YEAR,
        month=month,
        item=item(code, branch),
        occurred_on=datetime.date(YEAR, month, 9),
        reason="无故缺席党员大会",
        by=by or system_user(),
    )


def close(branch, months, by):
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=YEAR, month=month)
        scoring.month_close(
            branch_month=branch_month,
            meeting_date=datetime.date(YEAR, month, 28),
            by=by or system_user(),
        )


class Year:
    """The county fixture with a year of activity (see the module docstring)."""

    def __init__(self, county, *, with_changes=False):
        self.county = county
        load_default_rules(year=YEAR)
        by, by_y = county.secretary_user, county.secretary_y_user
        # 东阳涧村: 王建国 (A), 李四 (B), 赵六 (C); every month up to October closed.
        self.lisi = make_member(county.branch, "李四", category="B")
        self.zhaoliu = make_member(county.branch, "赵六", category="C")
        self.zhouqi = make_member(county.branch_y, "周七", category="D")
        if with_changes:
            # Recorded while the months were open: closed months are history.
            self.late = make_member(
                county.branch, "晚来者", category="D", on_roll_from=datetime.date(2026, 4, 1)
            )
            members.category_change(
                member=self.lisi,
                by=by,
                category="A",
                effective_from=datetime.date(2026, 6, 1),
                reason="当选村民小组长",
            )
            members.member_transfer(
                member=self.zhouqi,
                by=by_y,
                to_branch=county.branch,
                date=datetime.date(2026, 7, 15),
                reason="迁居",
            )
        bonus(county.member, county.branch, 2, "G03", Decimal("6"), by=by or system_user())
        bonus(self.lisi, county.branch, 2, by=by or system_user())
        deduct(self.lisi, county.branch, 4, by=by or system_user())
        deduct(self.zhaoliu, county.branch, 5, "K04", by=by or system_user())
        self.clearing = scoring.clearing_record(
            member=self.zhaoliu,
            branch=county.branch,
            year=YEAR,
            month=6,
            item=item("Q4"),
            occurred_on=datetime.date(YEAR, 6, 20),
            reason="参与赌博被行政处罚",
            confirmed=True,
            by=by or system_user(),
        )
        close(county.branch, range(1, 11), by)
        # 官桥村: 李秀英 (B) and 周七 (D); March left open, with a declaration waiting.
        bonus(county.member_y, county.branch_y, 4, "G08", by=by_y)
        deduct(county.member_y, county.branch_y, 5, "K05", by=by_y)
        scoring.declaration_create(
            member=self.zhouqi,
            branch=county.branch_y,
            year=YEAR,
            month=3,
            item=item("G02"),
            occurred_on=datetime.date(YEAR, 3, 5),
            description="义务劳动",
            by=by_y,
        )
        close(county.branch_y, [1, 2, 4, 5, 6, 7, 8, 9, 10], by_y)
        # Q1 of 东阳涧村: confirmed by the members' meeting and approved by the township.
        self.q1 = evaluations.assessment_open(
            branch=county.branch, year=YEAR, period=Period.Q1, by=by or system_user()
        )
        evaluations.assessment_confirm(
            assessment=self.q1,
            meeting_date=datetime.date(YEAR, 4, 8),
            members_expected=3,
            members_present=3,
            by=by or system_user(),
        )
        evaluations.assessment_approve(assessment=self.q1, by=county.township_user)
        # 史家庄村 (岚城镇): 张志强 (B) and two more B members tied on the same bonus.
        self.jia = make_member(county.branch_z, "甲一", category="B")
        self.yi = make_member(county.branch_z, "乙二", category="B")
        by_z = system_user()
        bonus(self.jia, county.branch_z, 7, "G08", by=by_z)
        bonus(self.yi, county.branch_z, 8, "G08", by=by_z)


@pytest.fixture
def year(county):
    return Year(county)


@pytest.fixture
def year_with_changes(county):
    """The same year where, before any month was closed, 晚来者 (D) joined 东阳涧村 in April,
    李四 became category A from June and 周七 moved from 官桥村 to 东阳涧村 in July."""
    return Year(county, with_changes=True)


def get(client, name, *args, query=""):
    url = reverse(name, args=args) + (f"?{query}" if query else "")
    return client.get(url)


def links(response) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="([^"]+)"', response.content.decode())}


def follow(client, response, url):
    """Assert that the page links to ``url`` and return that page."""
    assert url in links(response), f"{url} is not linked from the page"
    target = client.get(url)
    assert target.status_code == 200
    return target


# --- The township dashboard --------------------------------------------------------------------


def test_the_township_dashboard_shows_each_branch_month_and_puts_the_late_one_first(year):
    county = year.county
    response = get(county.client("township"), "township_dashboard", county.dongcun.pk, YEAR)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.ref_month == 11
    assert [b.name for b in board.branches] == ["官桥村", "东阳涧村"]  # the late one first
    guanqiao, dongyang = board.branches
    assert guanqiao.late and guanqiao.late_reasons == ["3月未结账"]
    assert not dongyang.late
    assert [c.state for c in dongyang.months] == ["closed"] * 10 + ["missing"]
    states = [c.state for c in guanqiao.months]
    assert states[:4] == ["closed", "closed", "declaring", "closed"]
    assert guanqiao.months[2].waiting == 1 and guanqiao.months[2].late
    assert dongyang.periods[0].label == "乡镇已审核"
    assert dongyang.periods[1].label == "各月已结账，待开始评定"
    page = response.content.decode()
    assert "3月未结账" in page
    assert page.index("官桥村") < page.index("东阳涧村")
    # Each month cell links to the branch's month screen, each quarter to its assessment.
    assert reverse("month", args=[county.branch_y.pk, YEAR, 3]) in links(response)
    assert reverse("assessment", args=[year.q1.pk]) in links(response)


def test_a_quarter_confirmed_long_ago_and_not_approved_makes_the_branch_late(year, monkeypatch):
    county = year.county
    q2 = evaluations.assessment_open(
        branch=county.branch, year=YEAR, period=Period.Q2, by=county.secretary_user
    )
    evaluations.assessment_confirm(
        assessment=q2,
        meeting_date=datetime.date(YEAR, 7, 8),
        members_expected=3,
        members_present=3,
        by=county.secretary_user,
    )
    later = datetime.date.today() + datetime.timedelta(days=20)
    board = dashboards.township_dashboard(county.dongcun, YEAR, max(later, TODAY))
    dongyang = next(b for b in board.branches if b.pk == county.branch.pk)
    assert any(r.startswith("二季度待乡镇审核") for r in dongyang.late_reasons)
    assert dongyang.periods[1].label == "已评定，待乡镇审核"


def test_the_counts_are_what_was_recorded_and_their_links_list_exactly_those_rows(year):
    county = year.county
    client = county.client("township")
    response = get(client, "township_dashboard", county.dongcun.pk, YEAR)
    board = response.context["board"]
    dongyang = next(b for b in board.branches if b.pk == county.branch.pk)
    assert (dongyang.stats.members, dongyang.stats.deduction_count) == (3, 2)
    assert dongyang.stats.deduction_sum == Decimal("-4.00")
    assert dongyang.stats.clearing_count == 1

    members_url = (
        reverse("township_members", args=[county.dongcun.pk])
        + f"?year={YEAR}&branch={county.branch.pk}"
    )
    listed = follow(client, response, members_url)
    assert {m.name for m in listed.context["rows"]} == {"王建国", "李四", "赵六"}

    deductions_url = (
        reverse("township_entries", args=[county.dongcun.pk])
        + f"?year={YEAR}&branch={county.branch.pk}&kind=deduction"
    )
    listed = follow(client, response, deductions_url)
    rows = listed.context["rows"]
    assert sorted((e.member.name, e.points) for e in rows) == [
        ("李四", Decimal("-2.00")),
        ("赵六", Decimal("-2.00")),
    ]
    clearing_url = (
        reverse("township_entries", args=[county.dongcun.pk])
        + f"?year={YEAR}&branch={county.branch.pk}&kind=clearing"
    )
    listed = follow(client, response, clearing_url)
    assert [e.pk for e in listed.context["rows"]] == [year.clearing.pk]


def test_category_and_grade_counts_link_to_the_same_members(year):
    county = year.county
    client = county.client("township")
    response = get(client, "township_dashboard", county.dongcun.pk, YEAR)
    board = response.context["board"]
    by_category = {g.key: g for g in board.categories}
    assert {k: g.members for k, g in by_category.items()} == {"A": 1, "B": 2, "C": 1, "D": 1}
    assert by_category["C"].deduction_count == 1 and by_category["C"].clearing_count == 1
    url = reverse("township_entries", args=[county.dongcun.pk]) + (
        f"?year={YEAR}&category=B&kind=deduction"
    )
    listed = follow(client, response, url)
    assert sorted(e.member.name for e in listed.context["rows"]) == ["李四", "李秀英"]
    assert by_category["B"].deduction_count == 2
    # Every grade count of the township links to a list of exactly that many members.
    for grade, _label, count in board.total.grade_rows:
        url = reverse("township_members", args=[county.dongcun.pk]) + (
            f"?year={YEAR}&grade={grade}"
        )
        listed = follow(client, response, url)
        assert listed.context["page"].paginator.count == count
    # 赵六's points were cleared: grade 不合格 (projected), projected year 0.
    zhao = next(m for m in board.members if m.name == "赵六")
    assert (zhao.cleared, zhao.projected, zhao.grade, zhao.grade_confirmed) == (
        True,
        Decimal("0.00"),
        "unqualified",
        False,
    )
    assert "预计" in response.content.decode()


def test_points_so_far_match_the_scoring_rules(year_with_changes):
    """The dashboard's integer arithmetic against scoring.engine, including a category change,
    a member who joined in April and one who moved to another branch."""
    year = year_with_changes
    county = year.county
    late = year.late
    board = dashboards.township_dashboard(county.dongcun, YEAR, TODAY)
    scoring_rules = figures.scoring_rules_for(YEAR, county=county.lanxian)
    ids = [m.pk for m in board.members]
    assert late.pk in ids and year.zhouqi.pk in ids
    years = ledger.member_years(ids, YEAR)
    for member in board.members:
        whole = years[member.pk]
        # 本年累计 through November is the card's running total; the projection is the year as
        # it stands, and its grade the projected grade.
        running = engine.running_totals(scoring_rules, whole)[10]
        assert member.running == member.total == running, member.name
        assert member.projected == engine.year_result(scoring_rules, whole).total, member.name
        assert member.grade == engine.year_result(scoring_rules, whole).grade, member.name
    zhouqi = next(m for m in board.members if m.pk == year.zhouqi.pk)
    assert zhouqi.branch_id == county.branch.pk  # counted where they are in November


def test_confirmed_annual_grades_replace_the_projection(year):
    county = year.county
    annual = Assessment.objects.create(
        branch=county.branch,
        year=YEAR,
        period=Period.YEAR,
        rule_set=year.q1.rule_set,
        status=Assessment.Status.CONFIRMED,
        meeting_date=datetime.date(YEAR, 11, 20),
        members_expected=3,
        members_present=3,
        opened_by=county.secretary_user,
    )
    zero = Decimal("0")
    for member, grade, total in [
        (county.member, "excellent", Decimal("120.00")),
        (year.lisi, "qualified", Decimal("95.00")),
        (year.zhaoliu, "unqualified", zero),
    ]:
        AssessmentLine.objects.create(
            assessment=annual,
            member=member,
            category="B",
            base=zero,
            bonus=zero,
            deductions=zero,
            corrections=zero,
            period_total=zero,
            cumulative=zero,
            annual_total=total,
            grade=grade,
            cleared=grade == "unqualified",
        )
    board = dashboards.township_dashboard(county.dongcun, YEAR, TODAY)
    dongyang = next(b for b in board.branches if b.pk == county.branch.pk)
    assert dongyang.stats.grades == {
        "excellent": 1,
        "qualified": 1,
        "basic": 0,
        "unqualified": 1,
    }
    assert dongyang.stats.projected == 0
    assert dongyang.stats.average == Decimal("71.67")  # (120 + 95 + 0) / 3


# --- Scope -------------------------------------------------------------------------------------


def dongcun_urls(year):
    county = year.county
    t, b = county.dongcun.pk, county.branch.pk
    return [
        reverse("township_dashboard", args=[t, YEAR]),
        reverse("township_dashboard_export", args=[t, YEAR]),
        reverse("township_entries", args=[t]) + f"?year={YEAR}&kind=deduction",
        reverse("township_entries_export", args=[t]) + f"?year={YEAR}",
        reverse("township_members", args=[t]) + f"?year={YEAR}",
        reverse("township_members_export", args=[t]) + f"?year={YEAR}",
        reverse("township_ranking", args=[t, YEAR]),
        reverse("township_ranking_export", args=[t, YEAR]),
        reverse("township_honour", args=[t, YEAR]),
        reverse("township_honour_export", args=[t, YEAR]),
        reverse("branch_ranking", args=[b, YEAR]),
        reverse("branch_ranking_export", args=[b, YEAR]),
    ]


def test_another_township_official_gets_404_on_everything_of_dongcun(year):
    client = year.county.client("township_2")
    for url in dongcun_urls(year):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


def test_the_township_official_reads_their_own_pages_and_exports(year):
    client = year.county.client("township")
    for url in dongcun_urls(year):
        assert client.get(url).status_code == 200, url
        assert client.post(url, {}).status_code == 405, url


def test_a_branch_filter_from_another_township_is_a_404(year):
    county = year.county
    client = county.client("township")
    url = reverse("township_entries", args=[county.dongcun.pk])
    assert client.get(url, {"branch": county.branch_z.pk}).status_code == 404
    url = reverse("township_members", args=[county.dongcun.pk])
    assert client.get(url, {"branch": county.branch_z.pk}).status_code == 404
    assert client.get(url, {"grade": "best"}).status_code == 404
    assert get(client, "township_dashboard", county.dongcun.pk, 2027).status_code == 404


@pytest.mark.parametrize("persona", ["township", "secretary"])
def test_county_pages_are_for_the_county_only(year, persona):
    client = year.county.client(persona)
    for name in ["county_dashboard", "county_dashboard_export", "county_honour"]:
        assert get(client, name, YEAR).status_code == 404
    for name in ["county_entries", "county_members", "county_members_export"]:
        assert get(client, name).status_code == 404


def test_the_branch_secretary_sees_their_branch_ranking_only(year):
    county = year.county
    client = county.client("secretary")
    assert get(client, "branch_ranking", county.branch.pk, YEAR).status_code == 200
    assert get(client, "branch_ranking", county.branch_y.pk, YEAR).status_code == 404
    assert get(client, "township_dashboard", county.dongcun.pk, YEAR).status_code == 404


# --- The county dashboard ----------------------------------------------------------------------


def test_the_county_dashboard_shows_every_township(year):
    county = year.county
    response = get(county.client("county"), "county_dashboard", YEAR)
    assert response.status_code == 200
    board = response.context["board"]
    assert [t.name for t in board.townships] == ["东村镇", "岚城镇"]
    dongcun, lancheng = board.townships
    assert (dongcun.stats.members, lancheng.stats.members) == (5, 3)
    assert (dongcun.stats.deduction_count, dongcun.stats.clearing_count) == (3, 1)
    assert dongcun.late == 1 and lancheng.late == 1  # 史家庄村 never closed a month
    assert board.total.members == 8
    assert {b.name for b in response.context["behind"]} == {"官桥村", "史家庄村"}
    page = response.content.decode()
    assert "东村镇" in page and "岚城镇" in page
    assert reverse("township_dashboard", args=[county.lancheng.pk, YEAR]) in links(response)


# --- Rankings and the 光荣榜 --------------------------------------------------------------------


def test_equal_totals_share_a_rank_and_the_next_rank_is_skipped(year):
    county = year.county
    response = get(county.client("township_2"), "branch_ranking", county.branch_z.pk, YEAR)
    assert response.status_code == 200
    rows = [(m.name, m.rank) for m in response.context["ranking"].rows]
    assert rows == [("甲一", 1), ("乙二", 1), ("张志强", 3)]  # ties in pinyin order
    page = response.content.decode()
    assert "1、2、2、4" in page  # the rule, explained
    assert "第 1 名 甲一、乙二" in page


def test_cleared_members_are_listed_last_without_a_rank(year):
    county = year.county
    response = get(county.client("township"), "township_ranking", county.dongcun.pk, YEAR)
    rows = response.context["ranking"].rows
    assert rows[-1].name == "赵六" and rows[-1].rank is None
    assert [m.rank for m in rows[:-1]] == sorted(m.rank for m in rows[:-1])
    branch_ranks = {m.name: m.branch_rank for m in rows}
    assert branch_ranks["周七"] is not None and branch_ranks["赵六"] is None


def test_a_ranking_is_searched_without_reranking_and_paged(year, monkeypatch):
    from oversight import views

    county = year.county
    client = county.client("township")
    whole = get(client, "township_ranking", county.dongcun.pk, YEAR).context["ranking"].rows
    url = reverse("township_ranking", args=[county.dongcun.pk, YEAR])
    found = client.get(url, {"q": "周七"}).context["rows"]
    assert [(m.name, m.rank) for m in found] == [
        (m.name, m.rank) for m in whole if m.name == "周七"
    ]
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    second = client.get(url, {"page": 2})
    assert [m.name for m in second.context["rows"]] == [m.name for m in whole[2:4]]
    assert "第 2/" in second.content.decode()


def test_the_honour_roll_lists_the_top_bonus_earners_in_order(year):
    county = year.county
    response = get(county.client("county"), "county_honour", YEAR)
    rows = [(r.member.name, r.rank, r.member.bonus) for r in response.context["roll"].rows]
    assert rows == [
        ("王建国", 1, Decimal("6.00")),
        ("甲一", 2, Decimal("5.00")),
        ("李秀英", 2, Decimal("5.00")),
        ("乙二", 2, Decimal("5.00")),
        ("李四", 5, Decimal("1.00")),
    ]
    by_township = dict(response.context["roll"].by_township)
    assert [r.member.name for r in by_township[county.lancheng]] == ["甲一", "乙二"]
    township = get(county.client("township"), "township_honour", county.dongcun.pk, YEAR)
    assert [r.member.name for r in township.context["roll"].rows] == ["王建国", "李秀英", "李四"]


# --- Exports -----------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def rows_of(sheet):
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(header, r, strict=False)) for r in rows]


def test_the_township_export_has_the_dashboard_numbers(year):
    county = year.county
    client = county.client("township")
    board = dashboards.township_dashboard(county.dongcun, YEAR, TODAY)
    book = workbook(get(client, "township_dashboard_export", county.dongcun.pk, YEAR))
    assert book.sheetnames == ["月度进度", "支部统计", "类别统计", "每月积分", "待办"]
    stats = {row["党支部"]: row for row in rows_of(book["支部统计"])}
    for branch in board.branches:
        row = stats[branch.name]
        assert row["党员"] == branch.stats.members
        assert Decimal(str(row["人均积分"])) == branch.stats.average
        assert row["扣分人次"] == branch.stats.deduction_count
        assert Decimal(str(row["扣分合计"])) == branch.stats.deduction_sum
        assert row["清零人次"] == branch.stats.clearing_count
        assert [row[label] for label in ("优秀", "合格", "基本合格", "不合格")] == [
            branch.stats.grades[g] for g in engine.GRADES
        ]
    progress = rows_of(book["月度进度"])
    assert progress[0]["党支部"] == "官桥村" and progress[0]["3月"].startswith("申报审议中")
    months = {row["月份"]: row for row in rows_of(book["每月积分"])}
    assert Decimal(str(months["2月"]["贡献加分"])) == Decimal("7")


def test_the_ranking_and_honour_exports_read_back(year):
    county = year.county
    book = workbook(get(county.client("county"), "branch_ranking_export", county.branch_z.pk, YEAR))
    ranking = rows_of(book.worksheets[0])
    assert [(r["名次"], r["姓名"]) for r in ranking] == [(1, "甲一"), (1, "乙二"), (3, "张志强")]
    book = workbook(get(county.client("county"), "county_honour_export", YEAR))
    honour = rows_of(book.worksheets[0])
    assert [(r["名次"], r["姓名"], r["贡献加分"]) for r in honour][:2] == [
        (1, "王建国", 6),
        (2, "甲一", 5),
    ]


def test_list_exports_are_formula_safe(year):
    county = year.county
    evil = make_member(
        county.branch, "=HYPERLINK(1)", category="B", on_roll_from=datetime.date(2026, 11, 1)
    )
    deduct(evil, county.branch, 11, by=county.secretary_user)
    url = reverse("township_entries_export", args=[county.dongcun.pk])
    book = workbook(county.client("township").get(url, {"year": YEAR, "kind": "deduction"}))
    cells = [row for row in book.active.iter_rows(values_only=True)]
    names = {row[3] for row in cells[1:]}
    assert "'=HYPERLINK(1)" in names
    assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)
    assert (
        len(cells) - 1
        == PointsEntry.objects.filter(branch__township=county.dongcun, kind="deduction").count()
    )


# --- Query counts ------------------------------------------------------------------------------


def grow_township(township, numbers, secretary):
    for n in numbers:
        branch = Branch.objects.create(township=township, name=f"新村{n}", position=10 + n)
        people = [make_member(branch, f"党员{n}{k}", category="ABCD"[k]) for k in range(4)]
        bonus(people[0], branch, 2, by=secretary)
        deduct(people[1], branch, 3, by=secretary)
        close(branch, [1, 2], secretary)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_township_dashboard_costs_the_same_queries_for_1_or_3_branches(
    county, django_assert_max_num_queries
):
    load_default_rules(year=YEAR)
    township = Township.objects.create(county=county.lanxian, name="新镇", position=5)
    client = county.client("county")
    grow_township(township, range(1), system_user())
    url = reverse("township_dashboard", args=[township.pk, YEAR])
    one = count_queries(client, url)
    grow_township(township, range(1, 3), system_user())
    assert Branch.objects.filter(township=township).count() == 3
    with django_assert_max_num_queries(one):
        client.get(url)
    assert count_queries(client, url) == one


def test_the_county_dashboard_costs_the_same_queries_for_2_or_4_townships(
    county, django_assert_max_num_queries
):
    load_default_rules(year=YEAR)
    client = county.client("county")
    url = reverse("county_dashboard", args=[YEAR])
    two = count_queries(client, url)
    for n in range(2):
        township = Township.objects.create(county=county.lanxian, name=f"新镇{n}", position=5 + n)
        branch = Branch.objects.create(township=township, name=f"新村{n}")
        person = make_member(branch, f"新党员{n}")
        bonus(person, branch, 2, by=system_user())
        deduct(person, branch, 3, by=system_user())
    assert Township.objects.filter(county=county.lanxian).count() == 4
    with django_assert_max_num_queries(two):
        client.get(url)
    assert count_queries(client, url) == two
