"""Real village rosters through the import pages: title rows, merged and other headers, footers,
blank rows, and dates written every way (the files are built by tests/rosters.py)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from members.models import Member
from members.roster import MSG_MONTH_ONLY, TEMPLATE_HEADERS

from . import rosters
from .conftest import make_member, new_id_number
from .test_roster_import import confirm, one_row, preview_text, roster_file, upload

pytestmark = pytest.mark.django_db


def preview_of(county, file: rosters.RosterFile, persona="secretary"):
    response = upload(county.client(persona), county.branch, file.upload())
    preview_text(response)
    return response


def import_all(county, file: rosters.RosterFile):
    client = county.client("secretary")
    response = upload(client, county.branch, file.upload())
    preview_text(response)
    assert response.context["preview"].errors == []
    result = confirm(client, county.branch, response)
    assert result.status_code == 302, result.content.decode()[:2000]
    return response


def members_by_id(file: rosters.RosterFile) -> list[Member]:
    found = {m.id_number: m for m in Member.objects.filter(id_number__in=file.ids)}
    return [found[number] for number in file.ids]


# --- the five files ---------------------------------------------------------------------------


def test_a_townships_formatted_roster_with_a_title_and_a_two_row_merged_header(county):
    file = rosters.township_formatted()
    response = preview_of(county, file)
    preview = response.context["preview"]
    assert response.context["counts"] == {"create": 4, "update": 0, "unchanged": 0, "error": 0}
    assert [row.row_number for row in preview.rows] == file.member_rows
    assert [row.name for row in preview.rows] == ["刘桂花", "赵二虎", "孙丽", "周文"]
    assert preview.skipped == []

    import_all(county, file)
    liu, zhao, sun, zhou = members_by_id(file)
    assert (liu.phone, liu.joined_party, liu.notes) == (
        "13903581234",
        datetime.date(1976, 9, 1),
        "村委委员",
    )
    assert zhao.phone == "" and zhao.gender == "M"  # 固定电话 is not the 联系电话 column
    assert sun.name == "孙丽" and sun.notes == "在太原务工"
    month = datetime.date.today().replace(day=1)
    assert [m.category_in(month) for m in (liu, zhao, sun, zhou)] == ["A", "B", "C", "D"]


def test_a_numbered_list_with_year_month_dates_stores_the_first_with_a_note(county):
    file = rosters.numbered_with_year_months()
    response = preview_of(county, file)
    preview = response.context["preview"]
    assert response.context["counts"] == {"create": 6, "update": 0, "unchanged": 0, "error": 0}
    assert [row.row_number for row in preview.rows] == file.member_rows
    joined = [row.cleaned["joined_party"] for row in preview.rows]
    assert joined == [
        datetime.date(1976, 9, 1),
        datetime.date(1985, 7, 1),
        datetime.date(1990, 10, 1),
        datetime.date(1995, 3, 1),
        datetime.date(2001, 7, 1),
        datetime.date(1998, 7, 1),
    ]
    assert [row.notes for row in preview.rows] == [[MSG_MONTH_ONLY]] * 4 + [[], [MSG_MONTH_ONLY]]
    assert response.content.decode().count(MSG_MONTH_ONLY) == 5
    import_all(county, file)
    assert members_by_id(file)[0].joined_party == datetime.date(1976, 9, 1)


def test_excel_serial_dates_and_full_width_id_numbers(county):
    file = rosters.excel_serials_and_full_width_ids()
    response = preview_of(county, file)
    preview = response.context["preview"]
    assert response.context["counts"] == {"create": 5, "update": 0, "unchanged": 0, "error": 0}
    assert [row.id_text for row in preview.rows] == file.ids
    assert [row.cleaned["joined_party"] for row in preview.rows] == [
        *rosters.SERIAL_DATES,
        datetime.date(1976, 9, 1),
    ]
    assert all(row.notes == [] for row in preview.rows)
    import_all(county, file)
    members = members_by_id(file)
    assert [m.phone for m in members] == ["13903581234", "", "0358-4123456", "", "13812345678"]
    assert {m.branch_id for m in members} == {county.branch.pk}


def test_a_footer_block_is_not_read_as_members_but_a_row_with_an_id_below_it_is(county):
    file = rosters.with_footer_block()
    response = preview_of(county, file)
    preview = response.context["preview"]
    assert response.context["counts"] == {"create": 4, "update": 0, "unchanged": 0, "error": 0}
    assert [row.row_number for row in preview.rows] == file.member_rows
    assert [row.name for row in preview.rows] == ["刘桂花", "赵二虎", "孙丽", "吴芳"]
    assert preview.skipped == file.skipped
    html = response.content.decode()
    assert "未作为党员读取的行" in html and "第 6、7、8 行" in html
    assert "张三" not in html and "王五" not in html
    import_all(county, file)
    assert members_by_id(file)[3].notes == "联系人：本村网格员"
    assert not Member.objects.filter(name__contains="填表人").exists()


def test_blank_rows_pre_numbered_rows_and_a_total_row_are_skipped(county):
    file = rosters.blank_rows_and_total()
    response = preview_of(county, file)
    preview = response.context["preview"]
    assert response.context["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert [row.row_number for row in preview.rows] == file.member_rows
    assert preview.skipped == file.skipped
    import_all(county, file)
    assert Member.objects.filter(branch=county.branch).count() == 4  # with 王建国


@pytest.mark.parametrize("builder", rosters.BUILDERS, ids=lambda b: b.__name__)
def test_each_real_file_imports_once_and_then_is_unchanged(county, builder):
    file = builder()
    import_all(county, file)
    again = preview_of(county, rosters.RosterFile(file.name, file.content, file.ids, []))
    counts = again.context["counts"]
    assert counts == {"create": 0, "update": 0, "unchanged": len(file.ids), "error": 0}


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected", "month_only"),
    [
        ("1976年9月", datetime.date(1976, 9, 1), True),
        ("1976年09月", datetime.date(1976, 9, 1), True),
        ("1976年9月份", datetime.date(1976, 9, 1), True),
        ("1976年9月1日", datetime.date(1976, 9, 1), False),
        ("1976年9月15日", datetime.date(1976, 9, 15), False),
        ("1976.9", datetime.date(1976, 9, 1), True),
        ("1976.09", datetime.date(1976, 9, 1), True),
        ("1976.10", datetime.date(1976, 10, 1), True),
        ("1976-09", datetime.date(1976, 9, 1), True),
        ("1976/9", datetime.date(1976, 9, 1), True),
        ("1976/9/1", datetime.date(1976, 9, 1), False),
        ("1976.9.1", datetime.date(1976, 9, 1), False),
        ("19760901", datetime.date(1976, 9, 1), False),
        ("197609", datetime.date(1976, 9, 1), True),
        ("１９７６年９月", datetime.date(1976, 9, 1), True),
        (" 1976 年 9 月 ", datetime.date(1976, 9, 1), True),
        (19760901, datetime.date(1976, 9, 1), False),
        (1976.09, datetime.date(1976, 9, 1), True),
        (1976.9, datetime.date(1976, 9, 1), True),
        (1976.12, datetime.date(1976, 12, 1), True),
        (28004, datetime.date(1976, 9, 1), False),  # an Excel serial
        (28004.0, datetime.date(1976, 9, 1), False),
        (datetime.datetime(1976, 9, 1, 0, 0), datetime.date(1976, 9, 1), False),
    ],
)
def test_dates_of_joining_in_every_spelling(county, typed, expected, month_only):
    row = one_row(**{"身份证号": new_id_number(datetime.date(1950, 5, 17)), "入党日期": typed})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    (result,) = response.context["preview"].rows
    assert result.errors == []
    assert result.cleaned["joined_party"] == expected
    assert result.notes == ([MSG_MONTH_ONLY] if month_only else [])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1976年13月", "入党日期“1976年13月”无法识别"),
        ("1976.13", "入党日期“1976.13”无法识别"),
        ("1976年2月30日", "入党日期“1976年2月30日”无法识别"),
        ("九月", "入党日期“九月”无法识别"),
        (1976.1, "无法确定是1月还是10月"),
        ("1921年6月", "入党日期早于1921年7月1日"),
    ],
)
def test_dates_that_cannot_be_read_are_named(county, typed, message):
    row = one_row(**{"身份证号": new_id_number(datetime.date(1900, 5, 17)), "入党日期": typed})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert message in " ".join(response.context["preview"].errors)


def test_a_year_month_date_keeps_a_recorded_date_in_that_month(county):
    member = make_member(county.branch, "周文", joined_party=datetime.date(1995, 7, 15))
    row = one_row(**{"姓名": "周文", "身份证号": member.id_number, "入党日期": "1995年7月"})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert response.context["counts"]["unchanged"] == 1
    row[4] = "1995年8月"
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    (result,) = response.context["preview"].rows
    assert result.changes == ["入党日期：1995-07-15 → 1995-08-01"]
    assert result.notes == [MSG_MONTH_ONLY]


# --- headers, footers, names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        ["名字", "性别", "公民身份号码", "联系方式", "入党时间", "人员类别", "备注"],
        ["姓名", "性别", "身份证号码", "手机号", "入党年月", "党员类别", "备注"],
        ["姓 名", "性别", "身份证号码（18位）", "联系电话", "入党日期(年月日)", "类别", "备注"],
    ],
)
def test_other_header_words_are_read_as_the_templates(county, headers):
    number = new_id_number()
    row = ["周文", "男", number, "13812345678", "2001-07-01", "B", "村医"]
    response = upload(county.client("secretary"), county.branch, roster_file([row], headers))
    preview_text(response)
    (result,) = response.context["preview"].rows
    assert result.errors == [] and result.action == "create"
    assert (result.cleaned["phone"], result.cleaned["notes"]) == ("13812345678", "村医")


@pytest.mark.parametrize(
    "word", ["填表人", "审核人", "制表日期", "制表人", "合计", "负责人", "联系人"]
)
def test_each_footer_word_without_an_id_is_skipped(county, word):
    rows = [one_row(), [f"{word}：张三", None, None, None, "2026年11月28日"]]
    response = upload(county.client("secretary"), county.branch, roster_file(rows))
    preview_text(response)
    assert response.context["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 0}
    assert response.context["preview"].skipped == [3]


@pytest.mark.parametrize("word", ["填表人", "合计", "联系人"])
def test_a_footer_like_row_with_an_id_number_is_a_member_row(county, word):
    row = one_row(**{"姓名": f"{word}王五"})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    (result,) = response.context["preview"].rows
    assert result.action == "create" and result.name == f"{word}王五"


def test_a_row_without_an_id_that_is_not_a_footer_is_still_an_error(county):
    rows = [one_row(), one_row(**{"身份证号": ""})]
    response = upload(county.client("secretary"), county.branch, roster_file(rows))
    preview_text(response)
    assert response.context["preview"].errors == ["第 3 行：请输入身份证号"]


def test_a_header_repeated_on_every_printed_page_is_skipped(county):
    rows = [one_row(), TEMPLATE_HEADERS, one_row()]
    response = upload(county.client("secretary"), county.branch, roster_file(rows))
    preview_text(response)
    assert response.context["counts"]["create"] == 2
    assert response.context["preview"].skipped == [3]


@pytest.mark.parametrize(
    ("ch", "code"), [("\u202e", "U+202E"), ("\u200b", "U+200B"), ("\u200d", "U+200D")]
)
def test_a_name_with_hidden_characters_is_a_row_error(county, ch, code):
    row = one_row(**{"姓名": f"周{ch}文"})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    html = preview_text(response)
    assert response.context["preview"].errors == [
        f"第 2 行：姓名中含有不可见或控制字符（{code}），请删除后重新输入。"
    ]
    assert ch not in html
    assert response.context["confirm_form"] is None


def test_names_and_notes_are_normalised_and_trimmed(county):
    row = one_row(**{"姓名": "\u3000周　ＷＥＮ ", "备注": " 第１党小组\n组长 "})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    (result,) = response.context["preview"].rows
    assert result.errors == []
    assert (result.name, result.cleaned["notes"]) == ("周WEN", "第1党小组 组长")


def test_notes_with_a_bidi_override_are_a_row_error(county):
    row = one_row(**{"备注": "村医\u202e"})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert "第 2 行：备注中含有不可见或控制字符（U+202E）" in response.context["preview"].errors[0]


def test_an_all_or_nothing_import_with_a_footer_and_one_bad_row(county):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(one_row())
    sheet.append(one_row(**{"姓名": ""}))
    sheet.append(["填表人：张三"])
    stream = io.BytesIO()
    workbook.save(stream)
    before = Member.objects.count()
    file = SimpleUploadedFile("a.xlsx", stream.getvalue())
    response = upload(county.client("secretary"), county.branch, file)
    preview_text(response)
    assert response.context["preview"].errors == ["第 3 行：未填写姓名"]
    assert response.context["preview"].skipped == [4]
    assert response.context["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 1}
    assert response.context["confirm_form"] is None
    assert Member.objects.count() == before
