"""Importing a branch roster from Excel, through the views a secretary uses."""

import datetime
import io
import os
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from members import roster
from members.idcard import MSG_BAD_CHECK_DIGIT, MSG_EXCEL_CORRUPTED, validate_id_number
from members.models import Branch, CategoryChange, Member, RollPeriod

from .conftest import make_member, new_id_number

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def xlsx_bytes(rows, headers=roster.TEMPLATE_HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def roster_file(rows, headers=roster.TEMPLATE_HEADERS, name="花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows, headers), content_type=XLSX)


def good_rows():
    """Three new members, each spelling the date and category differently. IDs are text."""
    return [
        ["刘桂花", "女", new_id_number(datetime.date(1980, 2, 29), "F"), "13903581234",
         datetime.date(2001, 7, 1), "A", "村委委员"],
        ["赵 二 虎", "", new_id_number(datetime.date(1975, 3, 9)), "", "2001/7/1", "b类", ""],
        ["孙丽", None, new_id_number(datetime.date(1968, 8, 8), "F"), "0358-4123456",
         "1999年7月1日", "Ｃ", None],
    ]  # fmt: skip


def upload(client, branch: Branch, file):
    return client.post(reverse("roster_import", args=[branch.pk]), {"file": file})


def confirm(client, branch: Branch, preview_response):
    token = preview_response.context["confirm_form"].initial["token"]
    return client.post(reverse("roster_import_confirm", args=[branch.pk]), {"token": token})


def file_errors(response) -> str:
    assert response.status_code == 200
    assert response.templates[0].name == "members/roster_import.html"
    return " ".join(response.context["form"].errors["file"])


def preview_text(response) -> str:
    assert response.status_code == 200
    assert response.templates[0].name == "members/roster_preview.html"
    return response.content.decode()


def snapshot():
    return (
        Member.objects.count(),
        CategoryChange.objects.count(),
        RollPeriod.objects.count(),
        sorted(Member.objects.values_list("pk", "updated_at")),
        sorted(Branch.objects.values_list("pk", "card_sequence")),
    )


def stored_uploads() -> list[str]:
    if not default_storage.exists("roster-imports"):
        return []
    return default_storage.listdir("roster-imports")[1]


# --- template -------------------------------------------------------------------------------


def test_template_has_the_headers_a_text_id_column_drop_downs_and_instructions(county):
    response = county.client("secretary").get(reverse("roster_template", args=[county.branch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == roster.TEMPLATE_HEADERS
    assert sheet["C2"].number_format == "@" and sheet["C500"].number_format == "@"
    assert sheet["D2"].number_format == "@"
    lists = {v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists == {'"男,女"', '"A,B,C,D"'}
    assert workbook.sheetnames[1] == "填写说明"
    instructions = " ".join(
        str(cell.value) for row in workbook["填写说明"].iter_rows() for cell in row if cell.value
    )
    assert all(header in instructions for header in roster.TEMPLATE_HEADERS)
    assert "文本格式" in instructions


def test_the_filled_in_template_imports(county):
    template = roster.build_template(county.branch)
    template.write_row(["周文", "", new_id_number(), "", "2001-07-01", "B", ""])
    stream = io.BytesIO()
    template.save(stream)
    file = SimpleUploadedFile("模板.xlsx", stream.getvalue(), content_type=XLSX)
    response = upload(county.client("secretary"), county.branch, file)
    preview_text(response)
    assert response.context["counts"]["create"] == 1


# --- the happy path -----------------------------------------------------------------------------


def test_a_good_file_previews_creates_and_confirm_adds_the_members(county):
    client = county.client("secretary")
    rows = good_rows()
    response = upload(client, county.branch, roster_file(rows))
    html = preview_text(response)
    assert response.context["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert "确认导入" in html
    assert rows[0][2] not in html  # the preview shows ID numbers masked
    assert f"{rows[0][2][:6]}********{rows[0][2][-4:]}" in html
    assert len(stored_uploads()) == 1

    response = confirm(client, county.branch, response)
    assert response.status_code == 302
    assert response.url == reverse("branch", args=[county.branch.pk])
    page = client.get(response.url)
    assert "已导入：新增 3 名，更新 0 名" in page.content.decode()

    month = this_month()
    liu = Member.objects.get(name="刘桂花")
    assert liu.branch == county.branch and liu.gender == "F" and liu.phone == "13903581234"
    assert liu.birth_date == validate_id_number(rows[0][2]).birth_date
    assert liu.notes == "村委委员"
    zhao = Member.objects.get(name="赵二虎")
    assert zhao.gender == "M" and zhao.joined_party == datetime.date(2001, 7, 1)
    sun = Member.objects.get(name="孙丽")
    assert sun.phone == "0358-4123456" and sun.joined_party == datetime.date(1999, 7, 1)
    assert [m.category_in(month) for m in (liu, zhao, sun)] == ["A", "B", "C"]
    for member in (liu, zhao, sun):
        period = member.roll_periods.get()
        assert (period.branch, period.start, period.end) == (county.branch, month, None)
        assert period.start_reason == "名册导入" and period.created_by == county.secretary_user
        assert member.card_number.startswith(f"LX{county.branch.pk:04d}-")
    assert stored_uploads() == []


def test_importing_the_same_file_twice_changes_nothing_the_second_time(county):
    client = county.client("secretary")
    content = xlsx_bytes(good_rows())
    first = upload(client, county.branch, SimpleUploadedFile("a.xlsx", content))
    assert confirm(client, county.branch, first).status_code == 302
    before = snapshot()

    second = upload(client, county.branch, SimpleUploadedFile("a.xlsx", content))
    html = preview_text(second)
    assert second.context["counts"] == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert "确认导入" not in html and "完全一致" in html
    assert second.context["confirm_form"] is None and stored_uploads() == []
    # Applying it anyway writes nothing.
    preview = roster.parse_roster(io.BytesIO(content), county.branch)
    result = roster.apply_roster(preview, county.branch, county.secretary_user)
    assert (result.created, result.updated) == (0, 0)
    assert snapshot() == before


def test_an_existing_member_is_updated_field_by_field_and_changes_category_from_this_month(county):
    client = county.client("secretary")
    member = county.member  # 王建国, category A since 2026-01
    row = ["王建华", "男", member.id_number, "13812345678", "1995-07-01", "D", "年老体弱"]
    response = upload(client, county.branch, roster_file([row]))
    html = preview_text(response)
    assert response.context["counts"]["update"] == 1
    (result,) = response.context["rows"]
    assert result.action == "update"
    assert result.changes == [
        "姓名：王建国 → 王建华",
        "联系电话：（空） → 13812345678",
        "备注：（空） → 年老体弱",
        f"类别：A类 → D类（自{this_month().year}年{this_month().month}月起）",
    ]
    assert "姓名：王建国 → 王建华" in html
    assert confirm(client, county.branch, response).status_code == 302
    member.refresh_from_db()
    assert (member.name, member.phone, member.notes) == ("王建华", "13812345678", "年老体弱")
    assert member.category_in(this_month()) == "D"
    assert member.category_in(datetime.date(2026, 1, 1)) == "A"
    change = member.category_changes.get(effective_from=this_month())
    assert change.reason == "名册导入"
    assert RollPeriod.objects.filter(member=member).count() == 1


def test_blank_phone_and_notes_keep_what_is_recorded(county):
    member = make_member(county.branch, "周文", phone="13812345678", notes="村医")
    row = ["周文", "", member.id_number, "", "1995-07-01", "B", ""]
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert response.context["counts"]["unchanged"] == 1


# --- errors in rows ---------------------------------------------------------------------------


def test_one_bad_row_among_good_ones_imports_nothing_and_names_the_row(county):
    client = county.client("secretary")
    rows = good_rows()
    good = new_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    rows.insert(2, ["钱多", "男", bad, "", "2001-07-01", "B", ""])  # row 4 of the sheet
    before = snapshot()
    response = upload(client, county.branch, roster_file(rows))
    html = preview_text(response)
    assert response.context["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 1}
    assert f"第 4 行：{MSG_BAD_CHECK_DIGIT}" in html
    assert response.context["confirm_form"] is None and "确认导入" not in html
    assert response.context["rows"][0].row_number == 4  # errors first
    assert response.context["upload_form"] is not None  # re-upload right there
    assert stored_uploads() == []
    assert snapshot() == before


def one_row(**changes):
    row = {
        "姓名": "周文",
        "性别": "",
        "身份证号": new_id_number(datetime.date(1970, 5, 17)),
        "联系电话": "",
        "入党日期": "2001-07-01",
        "类别": "B",
        "备注": "",
    }
    row.update(changes)
    return [row[header] for header in roster.TEMPLATE_HEADERS]


MALE_ID = new_id_number(datetime.date(1970, 5, 17), "M")
YOUNG_ID = new_id_number(datetime.date(1990, 6, 1), "M")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"姓名": ""}, "第 2 行：未填写姓名"),
        ({"身份证号": MALE_ID[:17] + ("0" if MALE_ID[17] != "0" else "1")}, MSG_BAD_CHECK_DIGIT),
        ({"身份证号": int(MALE_ID[:17] + "0")}, MSG_EXCEL_CORRUPTED),
        ({"身份证号": "1.41127E+17"}, MSG_EXCEL_CORRUPTED),
        ({"身份证号": MALE_ID[:10] + "12345"}, "身份证号应为18位"),
        ({"身份证号": MALE_ID[:6] + "********" + MALE_ID[-4:]}, "脱敏"),
        ({"身份证号": ""}, "请输入身份证号"),
        ({"身份证号": MALE_ID, "性别": "女"}, "第 2 行：性别与身份证号不一致（身份证号显示为男）"),
        ({"性别": "未知"}, "性别“未知”无法识别"),
        ({"类别": "E"}, "第 2 行：类别“E”无法识别，只能填 A、B、C、D"),
        ({"类别": ""}, "新党员须填写类别"),
        ({"入党日期": "2001-13-01"}, "第 2 行：入党日期“2001-13-01”无法识别"),
        ({"入党日期": "去年"}, "入党日期“去年”无法识别"),
        ({"入党日期": ""}, "第 2 行：未填写入党日期"),
        ({"入党日期": "2099-07-01"}, "入党日期不能晚于今天"),
        ({"身份证号": YOUNG_ID, "入党日期": "2007-07-01"}, "入党时应年满十八周岁"),
        ({"联系电话": "12345"}, "第 2 行：联系电话“12345”不正确，请输入正确的手机号或固定电话"),
        ({"备注": "长" * 201}, "备注不能超过200字"),
    ],
)
def test_each_row_problem_is_named_in_chinese(county, changes, message):
    response = upload(county.client("secretary"), county.branch, roster_file([one_row(**changes)]))
    html = preview_text(response)
    assert response.context["counts"]["error"] == 1
    assert message in " ".join(response.context["preview"].errors)
    assert message in html
    assert Member.objects.filter(name="周文").count() == 0


def test_an_id_number_typed_as_a_number_cell_is_reported_as_corrupted_by_excel(county):
    # What Excel does to an ID column in "General" format: the cell holds a number.
    row = one_row(**{"身份证号": 141127197005171234})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert response.context["preview"].errors == [f"第 2 行：{MSG_EXCEL_CORRUPTED}"]


def test_accepted_spellings_of_category_date_and_gender(county):
    rows = [
        one_row(**{"类别": "a", "入党日期": datetime.datetime(2001, 7, 1)}),
        one_row(**{"类别": "A类", "入党日期": "2001/7/1"}),
        one_row(**{"类别": "Ａ", "入党日期": "2001.07.01"}),
        one_row(**{"类别": " d ", "入党日期": "2001年7月1日", "性别": "男"}),
        one_row(**{"类别": "C类党员", "入党日期": "２００１-０７-０１"}),
        one_row(**{"类别": "b", "入党日期": 37073}),  # a date cell that lost its format
        one_row(**{"类别": "B", "入党日期": 20010701}),
    ]
    response = upload(county.client("secretary"), county.branch, roster_file(rows))
    preview_text(response)
    preview = response.context["preview"]
    assert preview.errors == []
    assert [row.cleaned["category"] for row in preview.rows] == ["A", "A", "A", "D", "C", "B", "B"]
    assert {row.cleaned["joined_party"] for row in preview.rows} == {datetime.date(2001, 7, 1)}
    assert {row.cleaned["gender"] for row in preview.rows} == {"M"}


def test_a_duplicate_id_in_the_file_names_both_rows(county):
    number = new_id_number()
    rows = [one_row(**{"身份证号": number}), one_row(), one_row(**{"身份证号": number.lower()})]
    response = upload(county.client("secretary"), county.branch, roster_file(rows))
    preview_text(response)
    errors = response.context["preview"].errors
    assert "第 4 行：身份证号与第 2 行重复" in errors
    assert "第 2 行：身份证号与第 4 行重复" in errors
    assert response.context["counts"]["create"] == 1


def test_an_id_registered_in_another_branch_says_elsewhere_without_naming_it(county):
    row = one_row(**{"姓名": "张三", "身份证号": county.member_z.id_number})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    html = preview_text(response)
    assert response.context["preview"].errors == [
        "第 2 行：该身份证号已在其他党支部登记：如需转入，请联系乡镇办理组织关系转接。"
    ]
    assert county.member_z.name not in html
    assert "史家庄" not in html and "岚城镇" not in html


def test_a_member_who_left_the_roll_is_not_brought_back_by_an_import(county):
    county.member.status, county.member.status_date = "deceased", datetime.date(2026, 3, 1)
    county.member.save()
    row = one_row(**{"姓名": county.member.name, "身份证号": county.member.id_number})
    response = upload(county.client("secretary"), county.branch, roster_file([row]))
    preview_text(response)
    assert "不能通过导入恢复" in response.context["preview"].errors[0]


def test_a_second_category_change_in_the_same_month_is_refused(county):
    client = county.client("secretary")
    row = one_row(**{"类别": "B"})
    first = upload(client, county.branch, roster_file([row]))
    assert confirm(client, county.branch, first).status_code == 302
    row[5] = "C"
    response = upload(client, county.branch, roster_file([row]))
    preview_text(response)
    assert "本月已登记过类别变更" in response.context["preview"].errors[0]


def test_headers_are_found_by_name_in_any_order_below_a_title_row(county):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["东阳涧村党员花名册"])
    sheet.append(["类别", "身份证号码", "姓名", "入党时间"])
    sheet.append(["B", new_id_number(), "周文", "2001-07-01"])
    stream = io.BytesIO()
    workbook.save(stream)
    file = SimpleUploadedFile("a.xlsx", stream.getvalue())
    response = upload(county.client("secretary"), county.branch, file)
    preview_text(response)
    (row,) = response.context["preview"].rows
    assert (row.row_number, row.action, row.name) == (3, "create", "周文")


def test_missing_required_headers_are_one_clear_error(county):
    file = roster_file([["周文", "B"]], headers=["姓名", "身份证号", "类别备注"])
    message = file_errors(upload(county.client("secretary"), county.branch, file))
    assert "缺少“入党日期”“类别”列" in message


def test_a_file_without_data_rows_is_refused(county):
    message = file_errors(upload(county.client("secretary"), county.branch, roster_file([[]])))
    assert "没有党员数据" in message


# --- refused files ----------------------------------------------------------------------------


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return stream.getvalue()


def zip_bomb(megabytes: int = 60) -> bytes:
    """A zip whose sheet part is `megabytes` MB of spaces: a few dozen KB on the wire."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b" " * (1024 * 1024)
            for _ in range(megabytes):
                part.write(chunk)
    return stream.getvalue()


def with_macro() -> bytes:
    """A real workbook with a VBA project added: an .xlsm renamed to .xlsx."""
    stream = io.BytesIO(xlsx_bytes([one_row()]))
    with zipfile.ZipFile(stream, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 100)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("花名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, roster.MSG_NOT_XLSX),
        ("花名册.xlsm", b"PK", roster.MSG_NOT_XLSX),
        ("花名册.csv", "姓名,身份证号\n".encode(), roster.MSG_NOT_XLSX),
        ("花名册.txt", b"hello", roster.MSG_NOT_XLSX),
        ("花名册.xlsx", "姓名,身份证号\n王建国,1411\n".encode(), roster.MSG_NOT_WORKBOOK),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
        ("bomb.xlsx", None, roster.MSG_BOMB),
        ("ratio.xlsx", None, roster.MSG_BOMB),
        ("macro.xlsx", None, roster.MSG_MACRO),
        ("word.xlsx", zip_bytes({"[Content_Types].xml": b"<Types/>"}), roster.MSG_NOT_WORKBOOK),
        ("broken.xlsx", None, roster.MSG_NOT_WORKBOOK),
    ],
)
def test_files_that_are_not_plain_xlsx_workbooks_are_refused(county, name, content, message):
    if name == "bomb.xlsx":
        content = zip_bomb()
        assert len(content) < 1024 * 1024
    elif name == "ratio.xlsx":
        content = zip_bomb(megabytes=10)  # under 50 MB in all, but 1000:1
    elif name == "macro.xlsx":
        content = with_macro()
    elif name == "broken.xlsx":
        declared = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
        content = zip_bytes({"[Content_Types].xml": b"<Types>" + declared + b"</Types>"})
    response = upload(county.client("secretary"), county.branch, SimpleUploadedFile(name, content))
    assert message in file_errors(response)
    assert 'class="error"' in response.content.decode()
    assert stored_uploads() == []


def test_a_file_over_5_mb_is_refused_before_it_is_read(county):
    content = xlsx_bytes([one_row()]) + b"\x00" * (5 * 1024 * 1024)
    response = upload(
        county.client("secretary"), county.branch, SimpleUploadedFile("a.xlsx", content)
    )
    assert "文件太大" in file_errors(response) and "最大 5 MB" in file_errors(response)


def test_uploading_nothing_asks_for_a_file(county):
    response = county.client("secretary").post(reverse("roster_import", args=[county.branch.pk]))
    assert "请选择要上传的花名册文件" in file_errors(response)


def test_macro_workbooks_are_refused_by_content_type_too(county):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            b'<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"'
            b' PartName="/xl/workbook.xml"/></Types>',
        )
    with pytest.raises(ValueError, match="含有宏"):
        roster.check_upload(SimpleUploadedFile("a.xlsx", stream.getvalue()))


# --- who may import -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["secretary_y", "township", "township_2", "assessor"])
def test_only_the_roster_manager_may_import(county, persona):
    client = county.client(persona)
    pk = county.branch.pk
    assert client.get(reverse("roster_import", args=[pk])).status_code == 404
    assert client.get(reverse("roster_template", args=[pk])).status_code == 404
    assert upload(client, county.branch, roster_file([one_row()])).status_code == 404
    response = client.post(reverse("roster_import_confirm", args=[pk]), {"token": "x"})
    assert response.status_code == 404
    assert Member.objects.filter(name="周文").count() == 0


def test_another_branchs_pk_is_404_for_the_secretary_on_every_url(county):
    client = county.client("secretary")
    pk = county.branch_y.pk
    for name in ("roster_import", "roster_template", "roster_export"):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert upload(client, county.branch_y, roster_file([one_row()])).status_code == 404
    response = client.post(reverse("roster_import_confirm", args=[pk]), {"token": "x"})
    assert response.status_code == 404


def test_the_county_may_import_into_any_branch(county):
    client = county.client("county")
    response = upload(client, county.branch_z, roster_file([one_row()]))
    assert confirm(client, county.branch_z, response).status_code == 302
    assert Member.objects.get(name="周文").branch == county.branch_z


def test_the_import_page_has_the_upload_form_and_the_template_link(county):
    client = county.client("secretary")
    html = client.get(reverse("roster_import", args=[county.branch.pk])).content.decode()
    assert "花名册文件" in html and 'enctype="multipart/form-data"' in html
    assert reverse("roster_template", args=[county.branch.pk]) in html
    page = client.get(reverse("branch", args=[county.branch.pk])).content.decode()
    assert reverse("roster_import", args=[county.branch.pk]) in page
    assert reverse("roster_export", args=[county.branch.pk]) in page
    page = county.client("assessor").get(reverse("branch", args=[county.branch.pk]))
    assert reverse("roster_import", args=[county.branch.pk]) not in page.content.decode()
    assert reverse("roster_export", args=[county.branch.pk]) in page.content.decode()


# --- the confirm step -------------------------------------------------------------------------


def test_confirm_validates_again_and_refuses_an_id_registered_elsewhere_meanwhile(county):
    client = county.client("secretary")
    rows = good_rows()
    response = upload(client, county.branch, roster_file(rows))
    make_member(county.branch_z, "刘桂花", id_number=rows[0][2], gender="F")
    before = snapshot()
    response = confirm(client, county.branch, response)
    html = preview_text(response)
    assert "第 2 行：该身份证号已在其他党支部登记：如需转入，请联系乡镇办理组织关系转接。" in html
    assert "史家庄" not in html
    assert "未导入任何数据" in html
    assert snapshot() == before
    assert stored_uploads() == []


def test_confirm_shows_the_preview_again_if_the_roster_changed_meanwhile(county):
    client = county.client("secretary")
    rows = good_rows()
    response = upload(client, county.branch, roster_file(rows))
    make_member(county.branch, "刘桂花", id_number=rows[0][2], gender="F", category="A")
    response = confirm(client, county.branch, response)
    html = preview_text(response)
    assert "预览已按最新数据更新" in html
    assert response.context["counts"]["create"] == 2
    assert confirm(client, county.branch, response).status_code == 302
    assert Member.objects.filter(branch=county.branch).count() == 4


def test_confirm_after_someone_else_imported_the_same_file_has_nothing_left_to_do(county):
    client = county.client("secretary")
    content = xlsx_bytes(good_rows())
    response = upload(client, county.branch, SimpleUploadedFile("a.xlsx", content))
    other = county.client("county")
    other_preview = upload(other, county.branch, SimpleUploadedFile("a.xlsx", content))
    assert confirm(other, county.branch, other_preview).status_code == 302
    before = snapshot()
    response = confirm(client, county.branch, response)
    html = preview_text(response)
    assert response.context["counts"]["unchanged"] == 3 and "完全一致" in html
    assert snapshot() == before and stored_uploads() == []


def test_a_token_is_good_for_its_branch_and_user_only_and_only_once(county):
    client = county.client("secretary")
    response = upload(client, county.branch, roster_file([one_row()]))
    token = response.context["confirm_form"].initial["token"]
    url = reverse("roster_import_confirm", args=[county.branch.pk])

    other = county.client("county").post(url, {"token": token})
    assert other.status_code == 302
    assert other.url == reverse("roster_import", args=[county.branch.pk])
    assert client.post(url, {"token": token + "x"}).url.endswith("/import/")
    assert Member.objects.filter(name="周文").count() == 0

    assert client.post(url, {"token": token}).url == reverse("branch", args=[county.branch.pk])
    again = client.post(url, {"token": token}, follow=True)
    assert "这次导入已失效" in again.content.decode()
    assert Member.objects.filter(name="周文").count() == 1


def test_confirm_accepts_post_only(county):
    url = reverse("roster_import_confirm", args=[county.branch.pk])
    assert county.client("secretary").get(url).status_code == 405


def test_stale_uploads_are_swept_when_the_next_one_is_stored(county):
    old = default_storage.save("roster-imports/old.xlsx", io.BytesIO(b"x"))
    os.utime(default_storage.path(old), (0, 0))
    upload(county.client("secretary"), county.branch, roster_file([one_row()]))
    assert "old.xlsx" not in stored_uploads() and len(stored_uploads()) == 1


# --- the service directly -----------------------------------------------------------------------


def test_apply_refuses_a_preview_with_errors(county):
    file = io.BytesIO(xlsx_bytes([one_row(**{"姓名": ""})]))
    preview = roster.parse_roster(file, county.branch)
    with pytest.raises(ValueError, match="有错误"):
        roster.apply_roster(preview, county.branch, None)


def test_parsing_costs_two_queries_whatever_the_number_of_rows(county, django_assert_num_queries):
    existing = one_row(**{"姓名": county.member.name, "身份证号": county.member.id_number})
    file = io.BytesIO(xlsx_bytes([existing] + [one_row() for _ in range(40)]))
    with django_assert_num_queries(2):  # existing ID numbers; category history of own members
        preview = roster.parse_roster(file, county.branch)
    assert preview.count("create") == 40


def test_applying_costs_a_fixed_number_of_queries_whatever_the_number_of_new_rows(county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def apply(rows: int) -> int:
        file = io.BytesIO(xlsx_bytes([one_row() for _ in range(rows)]))
        preview = roster.parse_roster(file, county.branch)
        with CaptureQueriesContext(connection) as queries:
            result = roster.apply_roster(preview, county.branch, county.secretary_user)
        assert result.created == rows
        return len(queries)

    assert apply(3) == apply(40)
    numbers = list(
        Member.objects.filter(branch=county.branch)
        .order_by("pk")
        .values_list("card_number", flat=True)
    )
    assert len(set(numbers)) == len(numbers) == 44  # with 王建国; one number each, in order
    assert numbers == sorted(numbers)
