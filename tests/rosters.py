"""Roster workbooks shaped like the ones villages and townships really keep (花名册).

Each builder writes an .xlsx into memory with openpyxl — title rows, merged header cells, other
header words, footers, blank and pre-numbered rows, dates written every way — and returns it
with the facts a test checks. ID numbers are fresh synthetic ones (tests.conftest).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils.datetime import to_excel

from .conftest import new_id_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass
class RosterFile:
    name: str
    content: bytes
    ids: list[str]  # the members' ID numbers, normalised, in file order
    member_rows: list[int]  # sheet row numbers of the members
    skipped: list[int] = field(default_factory=list)  # footer rows the preview lists

    def upload(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.content, content_type=XLSX)


def _save(workbook: Workbook) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _ids(count: int, birth=datetime.date(1950, 3, 8)) -> list[str]:
    return [new_id_number(birth, "M" if n % 2 else "F") for n in range(count)]


def township_formatted() -> RosterFile:
    """A township's formatted 花名册: a merged title, a "填报单位" line, a header over two rows
    (序号、姓名… merged down; "联系方式" merged across 手机号 and 固定电话), borders, real date
    cells, gender written out, category as "A类"."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet["A1"] = "东村镇东阳涧村党支部党员花名册"
    sheet.merge_cells("A1:I1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"] = "填报单位（盖章）：东阳涧村党支部                填报时间：2026年11月"
    sheet.merge_cells("A2:I2")
    top = [
        "序号",
        "姓  名",
        "性别",
        "公民身份号码",
        "联系方式",
        None,
        "入党\n时间",
        "党员类别",
        "备注",
    ]
    for column, title in enumerate(top, start=1):
        sheet.cell(row=3, column=column, value=title)
    sheet["E4"], sheet["F4"] = "手机号", "固定电话"
    for column in "ABCDGHI":
        sheet.merge_cells(f"{column}3:{column}4")
    sheet.merge_cells("E3:F3")
    ids = _ids(4)
    day = datetime.datetime
    members = [
        ("刘桂花", "女", ids[0], "13903581234", None, day(1976, 9, 1), "A类", "村委委员"),
        ("赵二虎", "男", ids[1], None, "0358-4123456", day(1985, 7, 1), "B类", None),
        ("孙  丽", "女", ids[2], None, None, day(1999, 7, 1), "C类", "在太原务工"),
        ("周文", "男", ids[3], "13812345678", None, day(2001, 7, 1), "D类", "年老体弱"),
    ]  # fmt: skip
    for number, (name, gender, id_number, mobile, landline, joined, category, notes) in enumerate(
        members, start=1
    ):
        sheet.append([number, name, gender, id_number, mobile, landline, joined, category, notes])
        sheet.cell(row=sheet.max_row, column=7).number_format = "yyyy年m月d日"
    for row in sheet.iter_rows(min_row=3, max_row=sheet.max_row, max_col=9):
        for cell in row:
            cell.border = BOX
    return RosterFile("东村镇东阳涧村党员花名册.xlsx", _save(workbook), ids, [5, 6, 7, 8])


def numbered_with_year_months() -> RosterFile:
    """A village's own list: a 序号 column, 名字/身份证号码/手机号/入党年月/人员类别, dates of
    joining as "1976年9月" and other year-month spellings (stored as the 1st, with a note)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["东阳涧村党员名单"])
    sheet.append([])
    sheet.append(["序号", "名字", "性别", "身份证号码", "手机号", "入党年月", "人员类别", "备注"])
    ids = _ids(6)
    joined = ["1976年9月", "1985.07", "1990-10", "1995/3", "2001年7月1日", "199807"]
    for number, (id_number, date) in enumerate(zip(ids, joined, strict=True), start=1):
        name = ["刘桂花", "赵二虎", "孙丽", "周文", "钱多多", "吴芳"][number - 1]
        sheet.append([number, name, "", id_number, "", date, "B", ""])
    return RosterFile("东阳涧村党员名单.xlsx", _save(workbook), ids, list(range(4, 10)))


SERIAL_DATES = [
    datetime.date(1976, 9, 1),
    datetime.date(1983, 12, 26),
    datetime.date(2001, 7, 1),
    datetime.date(1968, 10, 1),
]


def excel_serials_and_full_width_ids() -> RosterFile:
    """Date cells that lost their format (Excel serial numbers), 19760901 typed as a number, a
    real date cell, and ID numbers typed with a Chinese input method: full-width digits, a
    lower-case x, spaces inside, Excel's leading apostrophe."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份号码", "联系电话", "入党日期", "类别"])
    ids = _ids(5)
    typed = [
        ids[0].translate(FULL_WIDTH),
        f"{ids[1][:6]} {ids[1][6:14]} {ids[1][14:]}".lower(),
        f"'{ids[2]}",
        ids[3].translate(FULL_WIDTH).replace("Ｘ", "ｘ"),
        f"\u3000{ids[4]}\u3000",
    ]
    joined = [int(to_excel(date)) for date in SERIAL_DATES] + [19760901]
    names = ["刘桂花", "赵二虎", "孙丽", "周文", "钱多多"]
    phones = ["１３９０３５８１２３４", None, "0358 - 412 3456", None, 13812345678]
    for name, id_number, phone, date in zip(names, typed, phones, joined, strict=True):
        sheet.append([name, id_number, phone, date, "ｂ"])
    return RosterFile("党员名册.xlsx", _save(workbook), ids, [2, 3, 4, 5, 6])


def with_footer_block() -> RosterFile:
    """The template's columns, then the footer a township asks for: 填表人 and 审核人 with
    their names, 制表日期, 联系人 with an office phone, and after that a member someone added
    below the signatures (a footer-like 备注, but an ID number: a member row)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["*姓名", "性别", "*身份证号", "联系电话", "*入党日期", "*类别", "备注"])
    ids = _ids(4)
    sheet.append(["刘桂花", "女", ids[0], "", "1976-09-01", "A", ""])
    sheet.append(["赵二虎", "男", ids[1], "", "1985/7/1", "B", ""])
    sheet.append(["孙丽", "", ids[2], "", "1999.07.01", "C", ""])
    sheet.append([])
    sheet.append(["填表人：张三", None, "审核人：", "李四", "制表日期：", "2026年11月28日"])
    sheet.append(["联系人：王五", None, "0358-4123456"])
    sheet.append(["负责人", "赵书记"])
    sheet.append(["吴芳", "", ids[3], "", "2001年7月1日", "B", "联系人：本村网格员"])
    return RosterFile("名册（含表尾）.xlsx", _save(workbook), ids, [2, 3, 4, 9], [6, 7, 8])


def blank_rows_and_total() -> RosterFile:
    """Rows pre-numbered down to 20 with gaps between the members, blank rows, and a 合计 row
    counting them ("合计：3人") above more pre-numbered empty rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "姓名", "性别", "身份证号", "联系电话", "入党日期", "类别", "备注"])
    ids = _ids(3)
    people = {3: ("刘桂花", ids[0]), 5: ("赵二虎", ids[1]), 9: ("孙丽", ids[2])}
    for number in range(1, 13):
        if number in people:
            name, id_number = people[number]
            sheet.append([number, name, None, id_number, None, "2001-07-01", "B", None])
        elif number in (6, 7):
            sheet.append([])
        else:
            sheet.append([number])
    sheet.append(["合计", "3人"])
    for number in range(13, 21):
        sheet.append([number])
    return RosterFile("花名册.xlsx", _save(workbook), ids, [4, 6, 10], [14])


BUILDERS = [
    township_formatted,
    numbered_with_year_months,
    excel_serials_and_full_width_ids,
    with_footer_block,
    blank_rows_and_total,
]
