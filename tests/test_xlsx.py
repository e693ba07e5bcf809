"""The .xlsx exporter base: formula-safe cells, text columns, headers and the download."""

import datetime
import io
from urllib.parse import unquote

from openpyxl import load_workbook

from core.xlsx import CONTENT_TYPE, Column, XlsxExporter, attachment_header, safe_text


class Example(XlsxExporter):
    title = "花名册"
    columns = [
        Column("姓名", 10),
        Column("身份证号", 22, is_text=True),
        Column("电话", 15, is_text=True),
        Column("备注", 30),
        Column("入党日期", 12),
        Column("人数", 6),
    ]


def read_back(exporter: XlsxExporter):
    stream = io.BytesIO()
    exporter.save(stream)
    stream.seek(0)
    return load_workbook(stream).active


def test_text_that_looks_like_a_formula_comes_back_as_quoted_text():
    exporter = Example()
    exporter.write_row(["=1+1", "+86", "-2", "@SUM(A1)", "\tx", '=HYPERLINK("http://x","y")'])
    sheet = read_back(exporter)
    values = [cell.value for cell in sheet[2]]
    assert values == ["'=1+1", "'+86", "'-2", "'@SUM(A1)", "'\tx", '\'=HYPERLINK("http://x","y")']
    assert all(cell.data_type == "s" for cell in sheet[2])


def test_safe_text_leaves_ordinary_text_alone_and_drops_unstorable_characters():
    assert safe_text("王建国") == "王建国"
    assert safe_text("A-1") == "A-1"
    assert safe_text("\rx") == "'\rx"
    assert safe_text("\x01x") == "'x"
    assert safe_text("a\x00b") == "ab"
    assert safe_text(12) == "12"


def test_error_code_text_stays_text():
    exporter = Example()
    exporter.write_row(["#N/A"])
    assert read_back(exporter)["A2"].data_type == "s"


def test_id_and_phone_columns_are_text_cells_formatted_as_text():
    exporter = Example()
    exporter.write_row(["王建国", "141127197005171234", 13812345678, "", None, 3])
    sheet = read_back(exporter)
    assert sheet["B2"].value == "141127197005171234" and sheet["B2"].number_format == "@"
    assert sheet["C2"].value == "13812345678" and sheet["C2"].data_type == "s"
    assert sheet["F2"].value == 3 and sheet["F2"].data_type == "n"


def test_header_is_bold_frozen_and_columns_have_widths():
    sheet = read_back(Example())
    assert [cell.value for cell in sheet[1]] == [column.header for column in Example.columns]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 22
    assert sheet.title == "花名册"


def test_dates_are_real_dates():
    exporter = Example()
    exporter.write_row(["王建国", None, None, None, datetime.date(2001, 7, 1)])
    cell = read_back(exporter)["E2"]
    assert cell.value == datetime.datetime(2001, 7, 1) and cell.number_format == "yyyy-mm-dd"


def test_text_format_can_be_prepared_for_rows_people_will_fill_in():
    exporter = Example()
    exporter.format_text_columns(50)
    sheet = read_back(exporter)
    assert sheet["B51"].number_format == "@" and sheet["C2"].number_format == "@"
    assert sheet["A2"].number_format == "General"


def test_response_is_an_xlsx_download_with_a_chinese_file_name():
    response = Example().as_response("东阳涧村党员花名册.xlsx")
    assert response["Content-Type"] == CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.isascii()
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "东阳涧村党员花名册.xlsx"
    assert 'filename="download.xlsx"' in disposition
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "姓名"


def test_ascii_fallback_keeps_what_it_can_and_never_breaks_the_header():
    assert 'filename="2026.xlsx"' in attachment_header("花名册2026.xlsx")
    header = attachment_header('a"b;c\r\n.xlsx')
    assert 'filename="a_b_c.xlsx"' in header and "\n" not in header
