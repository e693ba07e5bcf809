"""Roster import from Excel: the template, the upload checks, the preview, and applying it.

No request or response here. The flow is:

1. ``build_template(branch)`` — an .xlsx with the headers, the ID and phone columns formatted as
   text, drop-down lists for 性别 and 类别, and a "填写说明" sheet.
2. ``check_upload(file)`` — refuses anything but a plain .xlsx of at most 5 MB *before* it is
   parsed: wrong extension, not a zip, a macro workbook, a zip bomb.
3. ``parse_roster(file, branch)`` — one ``RowResult`` per data row: create, update, unchanged
   or error, each error a Chinese sentence naming the row.
4. ``apply_roster(preview, branch, by)`` — all or nothing, through ``members.services`` (new
   members in bulk: a fixed number of queries however many rows).

An ID number already on this branch's roster updates that member; an unknown one adds a member
from the first day of the current month; one registered in another branch is an error (that is
a transfer, 组织关系转接, not an import) that says "elsewhere" and nothing more (DOMAIN.md §5).

Files come from villages, not only from the template: a title row or two above the header,
other words for the headers (公民身份号码, 入党年月, 人员类别…), a header split over two rows
with merged cells, a 序号 column, pre-numbered empty rows, a footer (填表人、审核人、制表日期,
合计) and dates written every way (1976年9月, 1976.09, Excel date numbers). All of these read.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from core.text import clean_text
from core.xlsx import Column, XlsxExporter, safe_text
from members import services
from members.contact import MSG_BAD_PHONE, validate_phone
from members.idcard import age_on, mask_id_number, validate_id_number
from members.models import (
    PARTY_FOUNDED,
    Branch,
    Category,
    CategoryChange,
    Gender,
    Member,
    Official,
    first_of_month,
)
from members.scope import registered_elsewhere_message

__all__ = [
    "IMPORT_REASON",
    "TEMPLATE_HEADERS",
    "ImportResult",
    "RosterPreview",
    "RowResult",
    "apply_roster",
    "build_template",
    "check_upload",
    "parse_roster",
]

TEMPLATE_HEADERS = ["姓名", "性别", "身份证号", "联系电话", "入党日期", "类别", "备注"]
REQUIRED_HEADERS = ["姓名", "身份证号", "入党日期", "类别"]
# Headers people write in their own spreadsheets, read as the template's.
HEADER_ALIASES = {
    "名字": "姓名",
    "党员姓名": "姓名",
    "身份证号码": "身份证号",
    "公民身份号码": "身份证号",
    "身份证": "身份证号",
    "电话": "联系电话",
    "手机": "联系电话",
    "手机号": "联系电话",
    "手机号码": "联系电话",
    "联系方式": "联系电话",
    "入党时间": "入党日期",
    "入党年月": "入党日期",
    "党员类别": "类别",
    "人员类别": "类别",
}
# A row below the members that starts with one of these, and has no ID number, is the sheet's
# footer (signatures, dates, totals), not a member; so is every row after it without an ID.
FOOTER_WORDS = (
    "填表人",
    "填报人",
    "审核人",
    "制表人",
    "制表日期",
    "填表日期",
    "填报日期",
    "合计",
    "总计",
    "小计",
    "负责人",
    "联系人",
)
# Something that looks like an ID number anywhere in a row: 14 or more digits (full width too).
_ID_LIKE = re.compile(r"\d{14,}")
_BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
IMPORT_REASON = "名册导入"
TEMPLATE_ROWS = 1000  # rows pre-formatted as text in the template

MAX_ROWS = 10_000  # data rows per file; the whole county has 4,538 rural members
MAX_COLUMNS = 40  # columns read per row, whatever the sheet claims its width is
HEADER_SEARCH_ROWS = 20
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 1000
# A tiny part compressing 100:1 is harmless (and happens: a sheet of blank formatted cells).
RATIO_CHECK_FROM_BYTES = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook

MSG_NOT_XLSX = "只接受 .xlsx 格式的 Excel 文件，请在 Excel 中“另存为 Excel 工作簿(*.xlsx)”"
MSG_NOT_WORKBOOK = (
    "文件内容不是有效的 Excel 工作簿（可能只是改了扩展名，或文件已损坏），"
    "请在 Excel 中打开后“另存为 Excel 工作簿(*.xlsx)”再上传"
)
MSG_OLD_OR_ENCRYPTED = (
    "这是旧版 Excel（.xls）文件或设置了打开密码的工作簿，请去掉密码，"
    "并在 Excel 中“另存为 Excel 工作簿(*.xlsx)”再上传"
)
MSG_MACRO = (
    "文件中含有宏，出于安全考虑不能导入。请在 Excel 中“另存为 Excel 工作簿(*.xlsx)”"
    "（不含宏的格式）后重新上传"
)
MSG_BOMB = "文件解压后异常庞大（可能是恶意构造的压缩文件），不能导入。请使用本系统的导入模板填写"
MSG_NO_DATA = "表格中没有党员数据：表头下面是空的"


CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
ACTION_LABELS = {CREATE: "新增", UPDATE: "更新", UNCHANGED: "无变化", ERROR: "错误"}


# ---------------------------------------------------------------------------------------------
# 1. The template


class RosterTemplate(XlsxExporter):
    title = "党员名册"
    columns = [
        Column("姓名", 10),
        Column("性别", 6),
        Column("身份证号", 22, is_text=True),
        Column("联系电话", 15, is_text=True),
        Column("入党日期", 12),
        Column("类别", 6),
        Column("备注", 30),
    ]


INSTRUCTIONS = [
    ("姓名", "必填", "党员姓名，中间不要加空格。"),
    ("性别", "可不填", "填“男”或“女”。不填时按身份证号自动识别；填写时须与身份证号一致。"),
    (
        "身份证号",
        "必填",
        "18位公民身份号码，最后一位可以是X。本列已设为文本格式，请勿改成数字或“常规”格式，"
        "否则 Excel 会把号码变成 1.41127E+17 这样的形式而损坏。身份证号仅用于唯一识别党员，"
        "系统内脱敏显示。",
    ),
    (
        "联系电话",
        "可不填",
        "手机号（11位）或固定电话（如 0358-4123456）。更新已在名册上的党员时，留空表示不修改。",
    ),
    (
        "入党日期",
        "必填",
        "如 2001-07-01、2001/7/1、2001.07.01 或 2001年7月1日；只有年月的可写 2001年7月 或 "
        "2001.07，按当月1日登记。入党时应年满十八周岁。",
    ),
    (
        "类别",
        "新党员必填",
        "填 A、B、C、D 之一（也可写“A类”）。"
        + "；".join(label for _value, label in Category.choices)
        + "。已在名册上的党员类别不同时，自本月起变更；留空表示不修改。",
    ),
    ("备注", "可不填", "不超过200字。更新已在名册上的党员时，留空表示不修改。"),
]

GENERAL_NOTES = [
    "身份证号已在本支部名册上的，按表格内容更新；系统中没有的，作为新党员登记入册，"
    "自本月起计算基础积分。",
    "身份证号已登记在其他党支部的，不能导入，请走组织关系转接。",
    "上传后系统逐行检查，列出新增、更新、无变化和错误；有任何错误时不导入任何数据，"
    "改正后重新上传即可。",
    "只读取第一个工作表；表头上方的标题行、空行，以及表尾的填表人、审核人、制表日期、合计等行"
    "会被跳过。",
]


def build_template(branch: Branch) -> RosterTemplate:
    """The import template for ``branch``; ``.workbook`` is the openpyxl workbook and
    ``.as_response(filename)`` the download."""
    template = RosterTemplate()
    template.format_text_columns(TEMPLATE_ROWS)
    sheet = template.sheet
    last = TEMPLATE_ROWS + 1
    lists = [
        ("B", '"男,女"', "性别", "请从下拉列表中选择“男”或“女”，或留空（按身份证号识别）。"),
        ("F", '"A,B,C,D"', "类别", "请从下拉列表中选择 A、B、C 或 D。"),
    ]
    for column, options, title, message in lists:
        validation = DataValidation(
            type="list", formula1=options, allow_blank=True, showErrorMessage=True
        )
        validation.errorTitle, validation.error = title, message
        validation.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(validation)
    id_length = DataValidation(
        type="textLength", operator="equal", formula1="18", allow_blank=True, showErrorMessage=True
    )
    id_length.errorTitle, id_length.error = "身份证号", "身份证号应为18位。"
    id_length.promptTitle, id_length.prompt = "身份证号", "18位，本列为文本格式。"
    id_length.showInputMessage = True
    id_length.add(f"C2:C{last}")
    sheet.add_data_validation(id_length)

    notes = template.workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 12
    notes.column_dimensions["C"].width = 90
    notes.append([safe_text(f"{branch.township.name} {branch.full_name} 党员名册导入说明")])
    notes.append([])
    notes.append(["列名", "是否必填", "填写要求"])
    for row in INSTRUCTIONS:
        notes.append([safe_text(text) for text in row])
    notes.append([])
    for number, text in enumerate(GENERAL_NOTES, start=1):
        notes.append([f"{number}.", None, safe_text(text)])
    return template


# ---------------------------------------------------------------------------------------------
# 2. Checking the upload before parsing it


def check_upload(uploaded_file) -> None:
    """Raise ValueError (a Chinese sentence) unless ``uploaded_file`` is a plain .xlsx.

    Looks only at the name, the size and the zip's central directory (plus the small
    [Content_Types].xml part), so nothing large is ever decompressed here.
    """
    if not (uploaded_file.name or "").lower().endswith(".xlsx"):
        raise ValueError(MSG_NOT_XLSX)
    limit = settings.MAX_UPLOAD_BYTES
    if uploaded_file.size > limit:
        raise ValueError(
            f"文件太大（{uploaded_file.size / 1024 / 1024:.1f} MB），"
            f"最大 {limit // 1024 // 1024} MB。请删去多余的工作表、图片后重新上传"
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(len(OLE_MAGIC))
    uploaded_file.seek(0)
    if head == OLE_MAGIC:
        raise ValueError(MSG_OLD_OR_ENCRYPTED)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            _check_archive(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise ValueError(MSG_NOT_WORKBOOK) from error
    finally:
        uploaded_file.seek(0)


def _check_archive(archive: zipfile.ZipFile) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ValueError(MSG_BOMB)
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise ValueError(MSG_BOMB)
    for entry in entries:
        ratio_limit = MAX_COMPRESSION_RATIO * max(entry.compress_size, 1)
        if entry.file_size > RATIO_CHECK_FROM_BYTES and entry.file_size > ratio_limit:
            raise ValueError(MSG_BOMB)
    # OPC part names are case-insensitive.
    by_name = {entry.filename.lower(): entry for entry in entries}
    if any(name.endswith("vbaproject.bin") for name in by_name):
        raise ValueError(MSG_MACRO)
    content_types = by_name.get("[content_types].xml")
    if content_types is None or content_types.file_size > RATIO_CHECK_FROM_BYTES:
        raise ValueError(MSG_NOT_WORKBOOK)
    declared = archive.read(content_types).lower()
    if b"macroenabled" in declared:
        raise ValueError(MSG_MACRO)
    if b"spreadsheetml.sheet.main+xml" not in declared:
        raise ValueError(MSG_NOT_WORKBOOK)


# ---------------------------------------------------------------------------------------------
# 3. Parsing into a preview

MSG_MONTH_ONLY = "入党日期只有年月，按当月1日登记"


@dataclass
class RowResult:
    row_number: int
    name: str
    action: str = CREATE
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how a value was read, for the preview
    cleaned: dict[str, Any] = field(default_factory=dict)
    id_text: str = ""  # the ID as typed (normalised when valid): shown masked only
    member_id: int | None = None  # the existing member an update applies to
    updates: dict[str, Any] = field(default_factory=dict)  # for services.member_update
    new_category: str | None = None  # for services.category_change
    joined_month_only: bool = False  # the file gave the year and month of joining only

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_text)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]

    def error(self, message: str) -> None:
        self.errors.append(f"第 {self.row_number} 行：{message}")


@dataclass
class RosterPreview:
    branch_id: int
    rows: list[RowResult]
    skipped: list[int] = field(default_factory=list)  # footer rows and repeated headers

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ACTION_LABELS}

    @property
    def has_errors(self) -> bool:
        return any(row.action == ERROR for row in self.rows)

    @property
    def has_changes(self) -> bool:
        return any(row.action in (CREATE, UPDATE) for row in self.rows)

    @property
    def errors(self) -> list[str]:
        return [message for row in self.rows for message in row.errors]

    def rows_for_display(self) -> list[RowResult]:
        """Errors first, then the changes, then the rest, each in file order."""
        order = {ERROR: 0, CREATE: 1, UPDATE: 2, UNCHANGED: 3}
        return sorted(self.rows, key=lambda row: (order[row.action], row.row_number))

    def fingerprint(self) -> str:
        """Changes whenever what would be applied changes: confirming checks it is unchanged."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(f"{row.row_number}|{row.action}|{row.id_text}|".encode())
            digest.update("|".join(row.changes).encode())
        return digest.hexdigest()[:32]


@dataclass
class _Sheet:
    header_row: int
    columns: dict[str, int]  # template header → column index
    rows: list[tuple[int, tuple]]  # (row number, values) of the member rows
    skipped: list[int]  # row numbers of footer rows and repeated header rows


def parse_roster(file, branch: Branch, *, viewer: Official | None = None) -> RosterPreview:
    """Read the first sheet of ``file`` (already through ``check_upload``) against ``branch``.

    ``viewer`` is the official importing: a county admin is told which branch of their county
    already has an ID number; everyone else only that it is registered elsewhere.

    Raises ValueError for a problem with the whole file (not a workbook, no header row, no data,
    too many rows); problems with single rows are in the rows' ``errors``.
    """
    today = timezone.localdate()
    sheet = _read_sheet(file)
    if not sheet.rows:
        raise ValueError(MSG_NO_DATA)
    if len(sheet.rows) > MAX_ROWS:
        raise ValueError(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件上传")
    results = [_parse_row(number, values, sheet.columns, today) for number, values in sheet.rows]
    _mark_duplicates(results)
    _compare_with_database(results, branch, today, viewer)
    for row in results:
        if row.errors:
            row.action = ERROR
    return RosterPreview(branch_id=branch.pk, rows=results, skipped=sheet.skipped)


def _read_sheet(file) -> _Sheet:
    """Find the header (in the first HEADER_SEARCH_ROWS rows), then the member rows below it:
    blank rows, repeated headers and the footer are left out."""
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # untrusted input: any parser failure means "not a workbook"
        raise ValueError(MSG_NOT_WORKBOOK) from error
    try:
        if not workbook.worksheets:
            raise ValueError(MSG_NOT_WORKBOOK)
        sheet = workbook.worksheets[0]
        header_row, columns, previous = None, {}, ()
        rows: list[tuple[int, tuple]] = []
        skipped: list[int] = []
        in_footer = False
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            if header_row is None:
                found = _header_columns(values)
                if "姓名" in found and "身份证号" in found:
                    header_row, columns = number, found
                    # A header over two rows: a merged cell leaves its word in the row above.
                    _add_headers(columns, _header_columns(previous))
                elif number >= HEADER_SEARCH_ROWS:
                    break
                elif not _is_blank(values):
                    previous = values
                continue
            if number == header_row + 1 and _is_sub_header(values, columns):
                # ... or in the row below, under a merged group label ("联系方式" over
                # "手机号"), while the cells merged down from the header row are empty here.
                _add_headers(columns, _header_columns(values))
                continue
            if _is_blank(values, columns):
                continue
            has_id = _has_id_number(values)
            if not has_id:
                found = _header_columns(values)
                if "姓名" in found and "身份证号" in found:  # the header again, page by page
                    skipped.append(number)
                    continue
                if in_footer or _is_footer(values):
                    in_footer = True
                    skipped.append(number)
                    continue
            rows.append((number, values))
            if len(rows) > MAX_ROWS:
                break
    except Exception as error:  # including defusedxml's refusals
        raise ValueError(MSG_NOT_WORKBOOK) from error
    finally:
        workbook.close()
    wanted = "、".join(TEMPLATE_HEADERS)
    if header_row is None:
        raise ValueError(
            f"第一个工作表的前 {HEADER_SEARCH_ROWS} 行中没有找到表头（应有“姓名”“身份证号”等列）。"
            f"请使用导入模板，表头为：{wanted}"
        )
    missing = [name for name in REQUIRED_HEADERS if name not in columns]
    if missing:
        names = "".join(f"“{name}”" for name in missing)
        raise ValueError(
            f"表头（第 {header_row} 行）缺少{names}列。请使用导入模板，表头为：{wanted}"
        )
    return _Sheet(header_row=header_row, columns=columns, rows=rows, skipped=skipped)


def _header_text(value: Any) -> str:
    """A header cell as a bare word: "＊身份证\\n号码（18位）：" → "身份证号码"."""
    text = unicodedata.normalize("NFKC", value)
    text = _BRACKETED.sub("", "".join(ch for ch in text if not ch.isspace()))
    return text.strip("*＊:：")


def _header_columns(values: tuple) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        text = _header_text(value)
        text = HEADER_ALIASES.get(text, text)
        if text in TEMPLATE_HEADERS and text not in columns:
            columns[text] = index
    return columns


def _add_headers(columns: dict[str, int], more: dict[str, int]) -> None:
    taken = set(columns.values())
    for header, index in more.items():
        if header not in columns and index not in taken:
            columns[header] = index
            taken.add(index)


def _is_blank(values: tuple, columns: dict[str, int] | None = None) -> bool:
    """No value in the row (or, once the header is known, in any column that is read: a 序号
    column numbered down to row 100 does not make empty rows into members)."""
    if columns is not None:
        values = tuple(values[i] for i in columns.values() if i < len(values))
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _is_sub_header(values: tuple, columns: dict[str, int]) -> bool:
    if _has_id_number(values):
        return False
    return bool(_header_columns(values)) or _cell(values, columns, "姓名") is None


def _has_id_number(values: tuple) -> bool:
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            if abs(value) >= 1e13:  # an ID number Excel turned into a number
                return True
        elif isinstance(value, str):
            text = unicodedata.normalize("NFKC", value)
            if _ID_LIKE.search("".join(ch for ch in text if not ch.isspace())):
                return True
    return False


def _is_footer(values: tuple) -> bool:
    for value in values:
        if isinstance(value, str):
            text = "".join(ch for ch in unicodedata.normalize("NFKC", value) if not ch.isspace())
            if text.lstrip("*＊").startswith(FOOTER_WORDS):
                return True
    return False


def _cell(values: tuple, columns: dict[str, int], header: str) -> Any:
    index = columns.get(header)
    if index is None or index >= len(values):
        return None
    value = values[index]
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _shown(value: Any) -> str:
    """A cell value quoted back to the user in a message (short, one line, nothing hidden)."""
    text = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(value).strip()
    ).strip()
    return text if len(text) <= 20 else text[:20] + "…"


def _parse_row(number: int, values: tuple, columns: dict, today: datetime.date) -> RowResult:
    def get(header):
        return _cell(values, columns, header)

    row = RowResult(row_number=number, name="")
    data = row.cleaned
    raw_name = get("姓名")
    name = ""
    if raw_name is not None:
        try:
            name = clean_text(str(raw_name), label="姓名").replace(" ", "")
        except ValidationError as error:
            row.error(error.messages[0])
            name = _shown(raw_name).replace(" ", "")
    row.name = name
    if not name:
        row.error("未填写姓名")
    elif len(name) > 30:
        row.error("姓名不能超过30个字")
    data["name"] = name

    raw_id = get("身份证号")
    row.id_text = "" if raw_id is None else str(raw_id)
    info = None
    if isinstance(raw_id, str) and "*" in raw_id:
        row.error(
            "身份证号不完整（含 * 号，可能是从导出的花名册中复制的脱敏号码），"
            "请填写完整的18位身份证号"
        )
    else:
        try:
            info = validate_id_number(raw_id, today=today)
        except ValueError as error:
            row.error(str(error))
    if info is not None:
        row.id_text = info.number
        data.update(id_number=info.number, birth_date=info.birth_date, gender=info.gender)

    raw_gender = get("性别")
    if raw_gender is not None:
        gender = _parse_gender(raw_gender)
        if gender is None:
            row.error(f"性别“{_shown(raw_gender)}”无法识别，只能填“男”或“女”（或留空）")
        elif info is not None and gender != info.gender:
            row.error(f"性别与身份证号不一致（身份证号显示为{Gender(info.gender).label}）")

    raw_phone = get("联系电话")
    if raw_phone is not None:
        try:
            data["phone"] = validate_phone(raw_phone)
        except ValueError:
            row.error(f"联系电话“{_shown(raw_phone)}”不正确，{MSG_BAD_PHONE}")

    raw_joined = get("入党日期")
    if raw_joined is None:
        row.error("未填写入党日期")
    else:
        _parse_joined(row, raw_joined, info, today)

    raw_category = get("类别")
    if raw_category is not None:
        category = _parse_category(raw_category)
        if category is None:
            row.error(f"类别“{_shown(raw_category)}”无法识别，只能填 A、B、C、D")
        else:
            data["category"] = category

    raw_notes = get("备注")
    if raw_notes is not None:
        # A line break inside a cell (Alt+Enter) is common and harmless: it becomes a space.
        text = " ".join(str(raw_notes).splitlines())
        try:
            notes = clean_text(text, label="备注")
        except ValidationError as error:
            row.error(error.messages[0])
        else:
            if len(notes) > 200:
                row.error("备注不能超过200字")
            data["notes"] = notes
    return row


def _parse_joined(row: RowResult, raw: Any, info, today: datetime.date) -> None:
    try:
        parsed = _parse_date(raw)
    except AmbiguousMonth:
        row.error(
            f"入党日期“{_shown(raw)}”无法确定是1月还是10月（Excel 把 1976.10 存成了 1976.1），"
            "请把该列设为文本格式后写成 1976.10 或 1976.01，或写成 1976年10月"
        )
        return
    if parsed is None:
        row.error(
            f"入党日期“{_shown(raw)}”无法识别，请写成 2001-07-01、2001年7月1日 或 2001年7月 的样式"
        )
        return
    joined, month_only = parsed
    if joined > today:
        row.error("入党日期不能晚于今天")
    elif joined < PARTY_FOUNDED:
        row.error("入党日期早于1921年7月1日，请核对")
    elif info is not None and age_on(info.birth_date, joined) < 18:
        row.error(
            f"入党时应年满十八周岁（按身份证号，入党时为"
            f"{max(age_on(info.birth_date, joined), 0)}周岁），请核对入党日期和身份证号"
        )
    else:
        row.cleaned["joined_party"] = joined
        row.joined_month_only = month_only
        if month_only:
            row.notes.append(MSG_MONTH_ONLY)


def _parse_gender(value: Any) -> str | None:
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    return {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}.get(text)


def _parse_category(value: Any) -> str | None:
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if not ch.isspace()).upper()
    for suffix in ("类党员", "类"):
        text = text.removesuffix(suffix)
    return text if text in Category.values else None


class AmbiguousMonth(ValueError):
    """A number like 1976.1: Excel drops the trailing zero of 1976.10, so the month is 1 or 10."""


# 2001-07-01, 2001/7/1, 2001.7.1, 2001年7月1日 (and mixed separators); 2001-07, 2001年7月, …
_FULL_DATE = re.compile(r"(\d{4})(?:年|[-/.])(\d{1,2})(?:月|[-/.])(\d{1,2})日?")
_YEAR_MONTH = re.compile(r"(\d{4})(?:年|[-/.])(\d{1,2})月?(?:份)?")
_DIGITS_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")  # 20010701
_DIGITS_MONTH = re.compile(r"(\d{4})(\d{2})")  # 200107


def _parse_date(value: Any) -> tuple[datetime.date, bool] | None:
    """(date, whether only the year and month were given), or None if it is not a date.

    Reads a real Excel date, an Excel date serial whose format was lost, 20010701 or 200107
    typed as a number, 2001.07 or 2001.7 typed as a number (2001.1 raises AmbiguousMonth), and
    text such as 2001-07-01, 2001/7/1, 2001.7.1, 2001年7月1日, 20010701, 2001年7月, 2001.07,
    2001-07, 2001/7 or 200107 (full-width digits too). A year and month alone is the 1st.
    """
    if isinstance(value, datetime.datetime):
        return value.date(), False
    if isinstance(value, datetime.date):
        return value, False
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _parse_date_number(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if not ch.isspace())
    for pattern, month_only in (
        (_FULL_DATE, False),
        (_DIGITS_DATE, False),
        (_YEAR_MONTH, True),
        (_DIGITS_MONTH, True),
    ):
        match = pattern.fullmatch(text)
        if match:
            return _make_date(*match.groups(), month_only=month_only)
    return None


def _parse_date_number(value: int | float) -> tuple[datetime.date, bool] | None:
    if float(value).is_integer():
        digits = str(int(value))
        if len(digits) in (6, 8):  # 200107 or 20010701 typed as a number
            return _parse_date(digits)
    elif 1900 <= value < 2100:  # 2001.07 or 2001.7 typed in a cell formatted as a number
        year, fraction = repr(float(value)).split(".")
        if fraction == "1":
            raise AmbiguousMonth(value)
        if len(fraction) > 2:
            return None
        return _make_date(year, fraction, month_only=True)
    if 7_000 <= value < 2_958_466:  # an Excel date serial (1919 on) whose format was lost
        try:
            return from_excel(value).date(), False
        except (ValueError, OverflowError):
            return None
    return None


def _make_date(
    year: str, month: str, day: str = "1", *, month_only: bool
) -> tuple[datetime.date, bool] | None:
    try:
        return datetime.date(int(year), int(month), int(day)), month_only
    except ValueError:
        return None


def _mark_duplicates(rows: list[RowResult]) -> None:
    first_row: dict[str, RowResult] = {}
    for row in rows:
        number = row.cleaned.get("id_number")
        if number is None:
            continue
        if number in first_row:
            first = first_row[number]
            row.error(f"身份证号与第 {first.row_number} 行重复")
            if not any("重复" in message for message in first.errors):
                first.error(f"身份证号与第 {row.row_number} 行重复")
        else:
            first_row[number] = row


def _compare_with_database(
    rows: list[RowResult], branch: Branch, today: datetime.date, viewer: Official | None
) -> None:
    """Decide create / update / unchanged with two queries, whatever the number of rows.

    A number registered in another branch leaves the row with the "elsewhere" error and nothing
    else: the other member is not attached to the row, nor compared with it.
    """
    numbers = [row.cleaned["id_number"] for row in rows if "id_number" in row.cleaned]
    existing = {
        member.id_number: member
        for member in Member.objects.filter(id_number__in=numbers).select_related(
            "branch__township"
        )
    }
    elsewhere = {
        number: registered_elsewhere_message(viewer, member.branch)
        for number, member in existing.items()
        if member.branch_id != branch.pk
    }
    existing = {number: m for number, m in existing.items() if number not in elsewhere}
    own = [member.pk for member in existing.values()]
    month = first_of_month(today)
    category_now: dict[int, str] = {}
    changed_this_month: set[int] = set()
    history = (
        CategoryChange.objects.filter(member__in=own, effective_from__lte=month)
        .order_by("member_id", "effective_from")
        .values_list("member_id", "category", "effective_from")
    )
    for member_id, category, effective_from in history:
        category_now[member_id] = category  # the last one up to this month wins
        if effective_from == month:
            changed_this_month.add(member_id)

    for row in rows:
        number = row.cleaned.get("id_number")
        if number in elsewhere:
            row.error(elsewhere[number])
            continue
        member = existing.get(number)
        if member is None:
            if "category" not in row.cleaned and not any("类别" in e for e in row.errors):
                row.error("新党员须填写类别（A、B、C、D）")
            row.action = CREATE
            continue
        row.member_id = member.pk
        if member.status != Member.Status.ACTIVE:
            row.error(
                f"该党员在本支部已{member.get_status_display()}，不在名册上，不能通过导入恢复，请核对"
            )
            continue
        _compare_member(row, member, category_now.get(member.pk), month)
        new_category = row.new_category
        if new_category and member.pk in changed_this_month:
            row.error(
                f"类别与系统中不同（系统中为{category_now.get(member.pk)}类），但本月已登记过"
                "类别变更，同一月份不能再次变更；请核对，或下月再改"
            )
        row.action = UPDATE if row.updates or new_category else UNCHANGED


FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "joined_party": "入党日期",
    "notes": "备注",
}


def _compare_member(row: RowResult, member: Member, category: str | None, month) -> None:
    """Fill ``row.updates`` / ``row.new_category`` / ``row.changes`` for an existing member.

    Blank phone, notes or category in the file mean "keep what is recorded"; so does a joining
    date given as a year and month when the recorded date is in that month.
    """
    for name, label in FIELD_LABELS.items():
        if name not in row.cleaned:
            continue
        new, old = row.cleaned[name], getattr(member, name)
        if new == old or (name in ("phone", "notes") and new == ""):
            continue
        if name == "joined_party" and row.joined_month_only and new == old.replace(day=1):
            continue
        row.updates[name] = new
        row.changes.append(f"{label}：{_display(name, old)} → {_display(name, new)}")
    new_category = row.cleaned.get("category")
    if new_category and new_category != category:
        row.new_category = new_category
        before = f"{category}类" if category else "（无）"
        row.changes.append(
            f"类别：{before} → {new_category}类（自{month.year}年{month.month}月起）"
        )


def _display(name: str, value: Any) -> str:
    if value in (None, ""):
        return "（空）"
    if name == "gender":
        return Gender(value).label
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# 4. Applying


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@transaction.atomic
def apply_roster(preview: RosterPreview, branch: Branch, by) -> ImportResult:
    """Write the preview: every row or none. Refuses a preview with any error row."""
    if preview.branch_id != branch.pk:
        raise ValueError("导入数据与党支部不符。")
    if preview.has_errors:
        raise ValueError("名册中有错误，未导入任何数据。请改正后重新上传。")
    month = first_of_month(timezone.localdate())
    updates = [row for row in preview.rows if row.action == UPDATE]
    members = Member.objects.filter(branch=branch).in_bulk([row.member_id for row in updates])
    new = []
    row = None
    try:
        # New members: checked row by row, then written together (a fixed number of queries
        # whatever the number of rows; card numbers in the file's order).
        for row in preview.rows:
            if row.action == CREATE:
                data = row.cleaned
                new.append(
                    services.member_new(
                        branch=branch,
                        name=data["name"],
                        gender=data["gender"],
                        id_number=data["id_number"],
                        birth_date=data["birth_date"],
                        joined_party=data["joined_party"],
                        category=data["category"],
                        phone=data.get("phone", ""),
                        notes=data.get("notes", ""),
                    )
                )
        row = None
        services.members_create_bulk(
            branch=branch, by=by, new=new, on_roll_from=month, reason=IMPORT_REASON
        )
        for row in updates:
            member = members.get(row.member_id)
            if member is None:
                raise ValidationError("该党员刚被他人转出或修改，请重新上传")
            if row.updates:
                services.member_update(member=member, by=by, **row.updates)
            if row.new_category:
                services.category_change(
                    member=member,
                    by=by,
                    category=row.new_category,
                    effective_from=month,
                    reason=IMPORT_REASON,
                )
    except (ValidationError, IntegrityError) as error:
        if isinstance(error, ValidationError):
            detail = "；".join(error.messages)
        else:
            detail = "数据库拒绝了导入的数据（可能有人同时修改了名册）"
        where = f"第 {row.row_number} 行：" if row is not None else ""
        raise ValueError(f"{where}{detail}。未导入任何数据，请重新上传。") from error
    return ImportResult(created=len(new), updated=len(updates))
