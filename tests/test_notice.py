"""The public notice (公示), objections (异议) and the archive (存档) — step 5, through the views.

Data are built the way the branch builds them: the county's default rules, a quarter's months
closed by the branch committee, the members' meeting confirming the quarter, the township
approving it (scoring and evaluations services). The notice itself is driven through the pages.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import ArchivedNotice, Assessment, Notice, NoticeLog, Objection
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026
TITLE = "东阳涧村党支部党员积分制考核结果公示（2026年第一季度）"
DEDUCTION_REASON = "3月党费未按时交纳"
CLEARING_REASON = "参与赌博被公安机关行政处罚"
PHONE = "13912345678"


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def item(code: str, year: int = YEAR) -> RuleItem:
    return RuleItem.objects.get(
        code=code, branch__isnull=True, rule_set__year=year, rule_set__county__name="岚县"
    )


# --- Building a quarter the way the branch does ------------------------------------------------


def close_months(branch, months, *, year: int = YEAR, by=None) -> None:
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=year, month=month)
        meeting = min(datetime.date(year, month, 28), today())
        scoring.month_close(branch_month=branch_month, meeting_date=meeting, by=by or system_user())


def approve_period(
    county, branch, period: str, *, year: int = YEAR, secretary=None, held_back=None
):
    """The members' meeting confirms the period and the township approves it."""
    secretary = secretary or county.secretary_user
    assessment = services.assessment_open(branch=branch, year=year, period=period, by=secretary)
    months = services.period_months(period)
    meeting = min(datetime.date(year, months[-1], 1) + datetime.timedelta(days=35), today())
    count = len(services.members_in_period(branch=branch, year=year, period=period)[0])
    services.assessment_confirm(
        assessment=assessment,
        meeting_date=meeting,
        members_expected=count,
        members_present=count,
        held_back=held_back,
        by=secretary,
    )
    return services.assessment_approve(assessment=assessment, by=county.township_user)


def q1_members(county) -> dict:
    """东阳涧村 in Q1 2026: 王建国 (A, from conftest) with a bonus, 欧阳慧敏 (C), 白玉兰 (D)
    with a deduction, 赵清 (B) whose points were cleared."""
    branch, secretary = county.branch, county.secretary_user
    members = {
        "王建国": county.member,
        "欧阳慧敏": make_member(branch, "欧阳慧敏", category="C", gender="F", phone=PHONE),
        "白玉兰": make_member(branch, "白玉兰", category="D", gender="F", phone="13800001111"),
        "赵清": make_member(branch, "赵清", category="B", phone="13700002222"),
    }
    for month in (1, 2, 3):
        scoring.month_get_or_open(branch=branch, year=YEAR, month=month)
    declaration = scoring.declaration_create(
        member=members["王建国"],
        branch=branch,
        year=YEAR,
        month=1,
        item=item("G03"),
        occurred_on=datetime.date(YEAR, 1, 15),
        description="人居环境整治",
        points=Decimal("6"),
        by=secretary,
    )
    scoring.declaration_approve(declaration=declaration, by=secretary)
    scoring.deduction_record(
        member=members["白玉兰"],
        branch=branch,
        year=YEAR,
        month=3,
        item=item("K04"),
        occurred_on=datetime.date(YEAR, 3, 10),
        reason=DEDUCTION_REASON,
        by=secretary,
    )
    scoring.clearing_record(
        member=members["赵清"],
        branch=branch,
        year=YEAR,
        month=2,
        item=item("Q4"),
        occurred_on=datetime.date(YEAR, 2, 20),
        reason=CLEARING_REASON,
        confirmed=True,
        by=secretary,
    )
    return members


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=YEAR)


@pytest.fixture
def members(county, rules_2026):
    return q1_members(county)


@pytest.fixture
def q1(county, members):
    close_months(county.branch, (1, 2, 3), by=county.secretary_user)
    return approve_period(county, county.branch, "Q1")


def create_notice(county, assessment, persona="secretary", channel=None):
    data = {"objection_channel": channel or "对公示内容如有异议，请向村党支部书记反映。"}
    return county.client(persona).post(reverse("notice_create", args=[assessment.pk]), data)


def post(county, name, obj, persona="secretary", **data):
    return county.client(persona).post(reverse(name, args=[obj.pk]), data)


def draft_notice(county, assessment) -> Notice:
    assert create_notice(county, assessment).status_code == 302
    return Notice.objects.get(assessment=assessment)


def approved_notice(county, assessment) -> Notice:
    notice = draft_notice(county, assessment)
    assert post(county, "notice_approve", notice).status_code == 302
    notice.refresh_from_db()
    return notice


def published_notice(county, assessment, start: datetime.date) -> Notice:
    notice = approved_notice(county, assessment)
    response = post(county, "notice_publish", notice, start_date=start.isoformat())
    assert response.status_code == 302, response.context["forms"]["publish"].errors
    notice.refresh_from_db()
    return notice


def archived_notice(county, assessment, secretary="secretary") -> ArchivedNotice:
    notice = published_notice(county, assessment, days_ago(7))
    response = post(county, "notice_archive", notice, persona=secretary)
    assert response.status_code == 302
    return ArchivedNotice.objects.get(notice=notice)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def print_html(county, notice, persona="secretary") -> str:
    return html_of(county.client(persona).get(reverse("notice_print", args=[notice.pk])))


def table_rows(html: str) -> dict[str, str]:
    """The notice table's rows by member name (the HTML of each <tr>)."""
    body = html.split('<table class="notice-table">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for tr in re.findall(r"<tr[^>]*>.*?</tr>", body.split("<tbody>", 1)[1], re.S):
        name = re.search(r'<td class="name">(.*?)</td>', tr)
        if name:
            rows[name.group(1)] = tr
    return rows


def cells(tr: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", tr, re.S)]


# --- Creating the notice -----------------------------------------------------------------------


def test_the_secretary_generates_a_draft_from_the_approved_quarter(county, q1):
    response = create_notice(county, q1)
    notice = Notice.objects.get()
    assert response.status_code == 302 and response.url == reverse("notice", args=[notice.pk])
    assert (notice.status, notice.title, notice.branch) == ("draft", TITLE, county.branch)
    assert NoticeLog.objects.get().to_status == "draft"
    # A second POST does not make a second notice: it leads to the first.
    again = create_notice(county, q1)
    assert again.url == reverse("notice", args=[notice.pk]) and Notice.objects.count() == 1


def test_the_create_form_offers_a_default_channel_without_personal_data(county, q1):
    from evaluations.forms_notice import DEFAULT_OBJECTION_CHANNEL, NoticeCreateForm

    assert "村党支部书记" in DEFAULT_OBJECTION_CHANNEL
    assert NoticeCreateForm()["objection_channel"].value() == DEFAULT_OBJECTION_CHANNEL
    id_number = county.member.id_number
    response = create_notice(county, q1, channel=f"请联系王建国 {id_number}")
    assert "身份证号" in str(response.context["form"].errors["objection_channel"])
    response = create_notice(county, q1, channel=f"请致电 {PHONE}")
    assert "手机号" in str(response.context["form"].errors["objection_channel"])
    assert not Notice.objects.exists()


def test_a_notice_is_refused_before_the_township_approves(county, members):
    close_months(county.branch, (1, 2, 3), by=county.secretary_user)
    assessment = services.assessment_open(
        branch=county.branch, year=YEAR, period="Q1", by=county.secretary_user
    )
    services.assessment_confirm(
        assessment=assessment,
        meeting_date=datetime.date(YEAR, 4, 3),
        members_expected=4,
        members_present=4,
        by=county.secretary_user,
    )
    response = create_notice(county, assessment)
    assert response.status_code == 200
    assert "乡镇审核通过后才能生成公示" in html_of(response)
    assert not Notice.objects.exists()


def test_only_the_branch_secretary_creates_the_notice_and_only_by_post(county, q1):
    url = reverse("notice_create", args=[q1.pk])
    assert county.client("secretary").get(url).status_code == 405
    for persona in ("assessor", "township", "county", "secretary_y", "township_2"):
        assert create_notice(county, q1, persona).status_code == 404, persona
        assert county.client(persona).get(url).status_code in (404,), persona
    assert not Notice.objects.exists()


# --- What the notice shows ---------------------------------------------------------------------


def test_the_page_and_the_print_show_every_member_with_category_totals_and_rank(county, q1):
    notice = approved_notice(county, q1)
    for html in (
        html_of(county.client("secretary").get(reverse("notice", args=[notice.pk]))),
        print_html(county, notice),
    ):
        assert TITLE in html
        rows = table_rows(html)
        assert list(rows) == ["王建国", "欧阳慧敏", "白玉兰", "赵清"]  # by rank; cleared last
        # 序号, 姓名, 类别, 基础积分, 贡献加分, 违规扣分, 本季度积分, 本年累计积分, 排名
        assert cells(rows["王建国"]) == [
            "1",
            "王建国",
            "A",
            "22.00",
            "6.00",
            "0.00",
            "28.00",
            "28.00",
            "1",
        ]
        assert cells(rows["欧阳慧敏"]) == [
            "2",
            "欧阳慧敏",
            "C",
            "18.00",
            "0.00",
            "0.00",
            "18.00",
            "18.00",
            "2",
        ]
        assert cells(rows["白玉兰"]) == [
            "3",
            "白玉兰",
            "D",
            "16.00",
            "0.00",
            "-2.00",
            "14.00",
            "14.00",
            "3",
        ]
        header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
        assert [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>.*?</th>", header)] == [
            "序号",
            "姓名",
            "类别",
            "基础积分",
            "贡献加分",
            "违规扣分",
            "本季度积分",
            "本年累计积分",
            "排名",
        ]
        assert "按本年累计积分从高到低排列；积分相同名次相同，按姓名拼音排序" in html
        assert "更正" not in header  # no correction in the quarter: no column


def test_a_cleared_member_shows_the_marker_and_none_of_their_numbers(county, q1):
    notice = approved_notice(county, q1)
    row = table_rows(print_html(county, notice))["赵清"]
    assert cells(row) == ["4", "赵清", "B", "积分清零"]
    assert 'colspan="6"' in row  # the marker spans every score column, rank included
    assert notice.rows[-1] == {"no": 4, "name": "赵清", "category": "B", "cleared": True}


def test_the_print_never_shows_personal_data_or_the_reasons(county, members, q1):
    notice = published_notice(county, q1, today())
    html = print_html(county, notice)
    page = html_of(county.client("secretary").get(reverse("notice", args=[notice.pk])))
    for member in members.values():
        member.refresh_from_db()
        private = [
            member.id_number,
            member.id_number[-6:],
            member.birth_date.isoformat(),
            f"{member.birth_date:%Y年}{member.birth_date.month}月{member.birth_date.day}日",
            member.card_number,
        ]
        if member.phone:
            private.append(member.phone)
        for text in private:
            assert text not in html, text
            assert text not in page, text
    for text in (DEDUCTION_REASON, CLEARING_REASON, item("K04").name, item("Q4").name, "赌博"):
        assert text not in html and text not in page, text


def test_the_draft_reads_the_rows_live_and_approval_freezes_them(county, q1):
    notice = draft_notice(county, q1)
    html = print_html(county, notice)
    assert "草稿" in html and "不得张贴" in html
    # While a draft, the rows are computed from the confirmed lines each time.
    line = q1.lines.get(member__name="王建国")
    line.bonus, line.period_total, line.cumulative = Decimal("7"), Decimal("29"), Decimal("29")
    line.save()
    assert cells(table_rows(print_html(county, notice))["王建国"])[-2] == "29.00"
    post(county, "notice_approve", notice)
    notice.refresh_from_db()
    assert notice.status == "approved" and notice.rows[0]["cumulative"] == "29.00"
    line.cumulative = Decimal("1")
    line.save()
    html = print_html(county, notice)
    assert cells(table_rows(html)["王建国"])[-2] == "29.00"  # frozen
    assert "不得张贴" not in html


def test_a_correction_in_the_quarter_adds_the_correction_column(county, members):
    close_months(county.branch, (1, 2, 3), by=county.secretary_user)
    scoring.correction_record(
        member=members["欧阳慧敏"],
        branch=county.branch,
        year=YEAR,
        month=2,
        points=Decimal("1.5"),
        reason="2月志愿服务漏记",
        by=county.secretary_user,
    )
    assessment = approve_period(county, county.branch, "Q1")
    html = print_html(county, approved_notice(county, assessment))
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert '<th class="num">更正</th>' in header
    assert cells(table_rows(html)["欧阳慧敏"])[3:] == [
        "18.00",
        "0.00",
        "0.00",
        "1.50",
        "19.50",
        "19.50",
        "2",
    ]
    assert "漏记" not in html
    assert 'colspan="7"' in table_rows(html)["赵清"]


def test_held_back_members_are_counted_not_named(county, members):
    close_months(county.branch, (1, 2, 3), by=county.secretary_user)
    assessment = approve_period(
        county, county.branch, "Q1", held_back={members["白玉兰"].pk: "本人对扣分有异议，待核实"}
    )
    html = print_html(county, approved_notice(county, assessment))
    assert "白玉兰" not in html and "待核实" not in html
    assert "另有 1 名党员经党员大会决定暂缓确认" in html


# --- Approving and publishing ------------------------------------------------------------------


def test_publishing_sets_the_end_date_from_the_rule_set(county, q1):
    notice = approved_notice(county, q1)
    start = days_ago(1)
    response = post(county, "notice_publish", notice, start_date=start.isoformat())
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "published"
    assert notice.start_date == start and notice.issued_on == start
    assert notice.end_date == start + datetime.timedelta(days=5)
    html = print_html(county, notice)
    period = f"公示期：{start:%Y}年{start.month}月{start.day}日至"
    period += f"{notice.end_date:%Y}年{notice.end_date.month}月{notice.end_date.day}日"
    assert period in html
    assert "中共东阳涧村党支部" in html
    assert "对公示内容如有异议，请向村党支部书记反映。" in html
    assert [log.to_status for log in notice.logs.all()] == ["draft", "approved", "published"]


def test_a_start_date_more_than_a_week_back_is_refused_next_to_the_field(county, q1):
    notice = approved_notice(county, q1)
    response = post(county, "notice_publish", notice, start_date=days_ago(8).isoformat())
    assert response.status_code == 200
    assert "最近一周内" in str(response.context["forms"]["publish"].errors["start_date"])
    notice.refresh_from_db()
    assert notice.status == "approved"


def test_a_draft_cannot_be_published_before_it_is_approved(county, q1):
    notice = draft_notice(county, q1)
    response = post(county, "notice_publish", notice, start_date=today().isoformat())
    assert "草稿" in str(response.context["forms"]["publish"].non_field_errors())
    notice.refresh_from_db()
    assert notice.status == "draft"


def test_readers_in_scope_see_the_notice_read_only(county, q1):
    notice = draft_notice(county, q1)
    for persona in ("township", "county", "assessor"):
        html = html_of(county.client(persona).get(reverse("notice", args=[notice.pk])))
        assert TITLE in html and "王建国" in html
        assert reverse("notice_approve", args=[notice.pk]) not in html
        assert post(county, "notice_approve", notice, persona=persona).status_code == 404
        assert (
            county.client(persona).get(reverse("notice_print", args=[notice.pk])).status_code == 200
        )
    notice.refresh_from_db()
    assert notice.status == "draft"


# --- Objections --------------------------------------------------------------------------------


def object_to(county, notice, persona="secretary", **fields):
    data = {
        "received_on": today().isoformat(),
        "content": "王建国的贡献加分有误",
        "anonymous": "on",
    }
    data.update(fields)
    return post(county, "objection_create", notice, persona=persona, **data)


def test_objections_are_recorded_answered_and_resolved(county, q1):
    notice = published_notice(county, q1, today())
    response = object_to(county, notice, anonymous="", raised_by="")
    assert "匿名" in str(response.context["forms"]["objection"].errors["raised_by"])
    assert object_to(county, notice).status_code == 302
    assert object_to(county, notice, anonymous="", raised_by="村民张某").status_code == 302
    first, second = Objection.objects.order_by("pk")
    assert (first.anonymous, first.raised_by, second.raised_by) == (True, "", "村民张某")
    page = html_of(county.client("township").get(reverse("notice", args=[notice.pk])))
    assert "王建国的贡献加分有误" in page and "待答复" in page

    url = reverse("objection", args=[first.pk])
    client = county.client("secretary")
    response = client.post(url, {"action": "resolve", "resolve-resolution": "已核实"})
    assert "请先答复" in str(response.context["resolve_form"].non_field_errors())
    response = client.post(url, {"action": "answer", "answer-answer": ""})
    assert response.context["answer_form"].errors["answer"]
    assert client.post(url, {"action": "answer", "answer-answer": "经核实无误"}).status_code == 302
    assert (
        client.post(url, {"action": "resolve", "resolve-resolution": "已说明"}).status_code == 302
    )
    first.refresh_from_db()
    assert (first.status, first.answer, first.resolution) == ("resolved", "经核实无误", "已说明")
    assert html_of(county.client("assessor").get(url))  # readers see the record
    assert county.client("assessor").post(url, {"action": "answer"}).status_code == 404


def test_an_objection_outside_the_period_is_refused(county, q1):
    notice = approved_notice(county, q1)
    response = object_to(county, notice)
    assert "只有公示期间才能登记异议" in html_of(response)
    post(county, "notice_publish", notice, start_date=days_ago(6).isoformat())
    notice.refresh_from_db()
    assert notice.end_date == days_ago(1)
    for received in (today(), days_ago(7)):
        response = object_to(county, notice, received_on=received.isoformat())
        assert "公示期内" in str(response.context["forms"]["objection"].errors["received_on"])
    assert not Objection.objects.exists()
    # One received during the period and registered late is accepted.
    assert object_to(county, notice, received_on=days_ago(2).isoformat()).status_code == 302


# --- Archiving ---------------------------------------------------------------------------------


def test_archiving_is_refused_during_the_notice_period(county, q1):
    notice = published_notice(county, q1, today())
    response = county.client("secretary").post(
        reverse("notice_archive", args=[notice.pk]), follow=True
    )
    assert "期满后才能存档" in response.content.decode()
    assert not ArchivedNotice.objects.exists()
    notice.refresh_from_db()
    assert notice.status == "published"


def test_archiving_waits_for_every_objection_then_freezes_a_hashed_snapshot(county, q1):
    notice = published_notice(county, q1, days_ago(6))
    object_to(county, notice, received_on=days_ago(3).isoformat())
    objection = Objection.objects.get()
    client = county.client("secretary")
    archive_url = reverse("notice_archive", args=[notice.pk])
    assert "1 条异议未办结" in client.post(archive_url, follow=True).content.decode()
    client.post(
        reverse("objection", args=[objection.pk]), {"action": "answer", "answer-answer": "已核实"}
    )
    assert "1 条异议未办结" in client.post(archive_url, follow=True).content.decode()
    assert not ArchivedNotice.objects.exists()
    client.post(
        reverse("objection", args=[objection.pk]),
        {"action": "resolve", "resolve-resolution": "无误"},
    )

    response = client.post(archive_url)
    archive = ArchivedNotice.objects.get()
    assert response.url == reverse("archive_detail", args=[archive.pk])
    notice.refresh_from_db()
    assert notice.status == "archived"
    assert len(archive.content_hash) == 64
    assert archive.content_hash == services.content_hash(archive.snapshot)
    assert archive.snapshot["rows"] == notice.rows
    assert (archive.year, archive.period, archive.branch) == (YEAR, "Q1", county.branch)
    page = html_of(client.get(response.url))
    # The village sees that the archive is intact; the hash itself is for the county's checks.
    assert "与存档内容一致" in page and archive.content_hash not in page
    assert "2026年第1版" in page  # the rule set's version
    county_page = html_of(county.client("county").get(response.url))
    assert archive.content_hash in county_page and "与存档内容一致" in county_page


def test_a_later_correction_leaves_the_archive_as_posted_and_is_noted(county, members, q1):
    archive = archived_notice(county, q1)
    url = reverse("archive_detail", args=[archive.pk])
    before = table_rows(html_of(county.client("township").get(url)))
    assert "更正记录" not in html_of(county.client("township").get(url))
    scoring.correction_record(
        member=members["白玉兰"],
        branch=county.branch,
        year=YEAR,
        month=3,
        points=Decimal("2"),
        reason="3月党费已补交，撤销扣分",
        by=county.secretary_user,
    )
    html = html_of(county.client("township").get(url))
    assert table_rows(html) == before
    assert cells(before["白玉兰"])[-2] == "14.00"
    day = today()
    latest = f"{day:%Y}年{day.month}月{day.day}日"
    assert f"公示张贴后该期又登记了 1 条更正记录（最近：{latest}）" in html
    assert "以下为公示时的原始内容" in html
    assert "撤销扣分" not in html
    archive.refresh_from_db()
    assert archive.content_hash == services.content_hash(archive.snapshot)


def test_an_archived_notice_cannot_be_saved_again_or_deleted(county, q1):
    archive = archived_notice(county, q1)
    archive.snapshot["rows"][0]["cumulative"] = "99.00"
    with pytest.raises(TypeError, match="不能修改"):
        archive.save()
    with pytest.raises(TypeError, match="不能删除"):
        archive.delete()
    with pytest.raises(TypeError, match="不能修改"):
        ArchivedNotice.objects.filter(pk=archive.pk).update(content_hash="0" * 64)
    with pytest.raises(TypeError, match="不能删除"):
        ArchivedNotice.objects.all().delete()
    archive = ArchivedNotice.objects.get()
    assert archive.snapshot["rows"][0]["cumulative"] == "28.00"


def test_an_archived_notice_cannot_be_archived_twice(county, q1):
    archive = archived_notice(county, q1)
    response = county.client("secretary").post(
        reverse("notice_archive", args=[archive.notice_id]), follow=True
    )
    assert "已存档" in response.content.decode()
    assert ArchivedNotice.objects.count() == 1
    with pytest.raises(ValidationError):
        services.notice_archive(notice=archive.notice, by=county.secretary_user)


def test_the_archive_prints_with_the_same_table_as_the_notice(county, q1):
    archive = archived_notice(county, q1)
    client = county.client("secretary")
    printed = client.get(reverse("archive_print", args=[archive.pk]))
    notice_print = client.get(reverse("notice_print", args=[archive.notice_id]))
    for response in (printed, notice_print):
        assert [t.name for t in response.templates][:2] == [
            "evaluations/notice_print.html",
            "base.html",
        ]
        assert "evaluations/notice_sheet.html" in [t.name for t in response.templates]
    assert table_rows(html_of(printed)) == table_rows(html_of(notice_print))
    assert TITLE in html_of(printed)


# --- The archive list and scope ----------------------------------------------------------------


def test_the_archive_list_is_scoped_and_filtered_by_year(county, q1):
    archive = archived_notice(county, q1)
    detail = reverse("archive_detail", args=[archive.pk])
    for persona in ("secretary", "assessor", "township", "county"):
        html = html_of(county.client(persona).get(reverse("archive_list")))
        assert detail in html and "东阳涧村" in html, persona
    for persona in ("secretary_y", "township_2"):
        html = html_of(county.client(persona).get(reverse("archive_list")))
        assert detail not in html and "东阳涧村" not in html, persona
        assert county.client(persona).get(detail).status_code == 404
    html = html_of(county.client("county").get(reverse("archive_list") + "?year=2025"))
    assert detail not in html and "2025年还没有存档的公示" in html
    html = html_of(county.client("county").get(reverse("archive_list") + "?year=2026"))
    assert detail in html


NOTICE_URLS = [
    "notice",
    "notice_approve",
    "notice_publish",
    "notice_archive",
    "notice_print",
    "objection_create",
]


@pytest.mark.parametrize("persona", ["secretary_y", "township_2"])
def test_every_notice_objection_and_archive_url_is_404_out_of_scope(county, q1, persona):
    notice = published_notice(county, q1, days_ago(7))
    object_to(county, notice, received_on=days_ago(5).isoformat())
    objection = Objection.objects.get()
    urls = [reverse(name, args=[notice.pk]) for name in NOTICE_URLS]
    urls += [reverse("objection", args=[objection.pk]), reverse("notice_create", args=[q1.pk])]
    client = county.client(persona)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"action": "answer", "answer-answer": "x"}).status_code == 404, url
    # Nothing changed.
    objection.refresh_from_db()
    assert objection.status == "open"
    # And the archive, once there is one.
    client_secretary = county.client("secretary")
    client_secretary.post(
        reverse("objection", args=[objection.pk]), {"action": "answer", "answer-answer": "已核实"}
    )
    client_secretary.post(
        reverse("objection", args=[objection.pk]),
        {"action": "resolve", "resolve-resolution": "无误"},
    )
    client_secretary.post(reverse("notice_archive", args=[notice.pk]))
    archive = ArchivedNotice.objects.get()
    for name in ("archive_detail", "archive_print"):
        url = reverse(name, args=[archive.pk])
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


# --- Query counts ------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_print_takes_the_same_queries_for_5_or_150_members(county, rules_2026):
    for n in range(4):
        make_member(county.branch, f"张{'一二三四'[n]}")
    for n in range(149):
        make_member(county.branch_y, f"李{n:03d}", phone=f"139{n:08d}")
    for branch, secretary in (
        (county.branch, county.secretary_user),
        (county.branch_y, county.secretary_y_user),
    ):
        close_months(branch, (1, 2, 3), by=secretary)
        approve_period(county, branch, "Q1", secretary=secretary)
    small = Assessment.objects.get(branch=county.branch)
    large = Assessment.objects.get(branch=county.branch_y)
    draft_small = services.notice_create(
        assessment=small, objection_channel="x", by=county.secretary_user
    )
    draft_large = services.notice_create(
        assessment=large, objection_channel="x", by=county.secretary_y_user
    )
    assert len(services.notice_rows(large)) == 150
    client = county.client("township")
    for notices in ((draft_small, draft_large),):
        counts = [_count_queries(client, reverse("notice_print", args=[n.pk])) for n in notices]
        # session, user, official, the notice (+ assessment, rule set, branch, township), the
        # held-back count, and for a draft the confirmed lines with their members.
        assert counts[0] == counts[1] <= 7, counts
    for notice, secretary in (
        (draft_small, county.secretary_user),
        (draft_large, county.secretary_y_user),
    ):
        services.notice_approve(notice=notice, by=secretary)
    counts = [
        _count_queries(client, reverse("notice_print", args=[n.pk]))
        for n in (draft_small, draft_large)
    ]
    assert counts[0] == counts[1] <= 6, counts  # the frozen rows need no lines query


def test_the_archive_list_takes_a_fixed_number_of_queries(county, q1):
    make_member(county.branch_y, "周敏")
    archived_notice(county, q1)
    client = county.client("county")
    one = _count_queries(client, reverse("archive_list"))
    close_months(county.branch_y, (1, 2, 3), by=county.secretary_y_user)
    other = approve_period(county, county.branch_y, "Q1", secretary=county.secretary_y_user)
    notice = services.notice_create(
        assessment=other, objection_channel="x", by=county.secretary_y_user
    )
    services.notice_approve(notice=notice, by=county.secretary_y_user)
    services.notice_publish(notice=notice, start_date=days_ago(7), by=county.secretary_y_user)
    services.notice_archive(notice=notice, by=county.secretary_y_user)
    assert ArchivedNotice.objects.count() == 2
    # session, user, official, the years, the page's count, the archives with branch and township
    assert _count_queries(client, reverse("archive_list")) == one <= 6
