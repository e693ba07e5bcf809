"""A branch's month in and out of Excel: the export (every entry, its status and who entered it)
and the import of a month's declarations from the filled template — checked row by row, saved all
or nothing (scoring.services.declarations_import)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from core.forms import DayInMonthField
from core.xlsx import Column, XlsxExporter
from members.roster import check_upload
from members.templatetags.people import actor

TEMPLATE_COLUMNS = [
    Column("姓名", 10),
    Column("积分卡号", 14, is_text=True),
    Column("项目编号", 10),
    Column("做了什么", 40),
    Column("分值", 8),
    Column("日期", 12),
]
HEADERS = [c.header for c in TEMPLATE_COLUMNS]
MAX_ROWS = 2000


class MonthExport(XlsxExporter):
    """Every declaration of the month (whatever its state) and the members' figures."""

    def __init__(self, screen, *, branch, year: int, month: int):
        super().__init__()
        self.add_sheet(
            f"{month}月申报与扣分",
            [
                Column("姓名", 10),
                Column("积分卡号", 14, is_text=True),
                Column("项目", 30),
                Column("做了什么", 40),
                Column("申报分值", 10),
                Column("认定分值", 10),
                Column("状态", 10),
                Column("来源", 12),
                Column("日期", 12),
                Column("录入人", 20),
                Column("审议意见", 30),
            ],
        )
        for d in sorted(screen.declarations, key=lambda d: (d.occurred_on, d.pk)):
            self.write_row(
                [
                    d.member.name,
                    d.member.card_number,
                    f"{d.item.code} {d.item.name}",
                    d.description,
                    d.points_claimed,
                    d.points_approved if d.points_approved is not None else "",
                    d.get_status_display(),
                    d.get_source_display(),
                    d.occurred_on,
                    actor(d.created_by),
                    d.review_reason,
                ]
            )
        self.add_sheet(
            f"{month}月党员积分",
            [
                Column("姓名", 10),
                Column("类别", 6),
                Column("基础分", 10),
                Column("本月", 10),
                Column("本季度累计", 12),
            ],
        )
        for row in screen.rows:
            self.write_row(
                [
                    row["member"].name,
                    row["category"] or "",
                    row["month"].base,
                    row["month"].total,
                    row["quarter"].total,
                ]
            )


class MonthTemplate(XlsxExporter):
    """The blank sheet for a month's declarations, one row per member and activity."""

    def __init__(self, members):
        super().__init__()
        self.add_sheet("申报", TEMPLATE_COLUMNS)
        for member in members:
            self.write_row([member.name, member.card_number, "", "", "", ""])


@dataclass
class ImportRow:
    number: int
    name: str
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class MonthImport:
    rows: list[ImportRow]
    problems: list[str]  # about the file as a whole

    @property
    def has_errors(self) -> bool:
        return bool(self.problems) or any(r.errors for r in self.rows)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value, year: int, month: int) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return DayInMonthField(year=year, month=month).clean(_text(value))
    except ValidationError:  # an unreadable date becomes the row's message below
        return None


def parse_month_import(file, *, members, items, year: int, month: int) -> MonthImport:
    """Read the filled template. Rows with no item are skipped (the template lists every
    member); every other row must name a member on the month's roll and an active item."""
    try:
        check_upload(file)
        sheet = load_workbook(file, read_only=True, data_only=True).worksheets[0]
    except ValueError as error:
        return MonthImport(rows=[], problems=[str(error)])
    except Exception:  # a damaged workbook is the user's file, not our bug: say so
        return MonthImport(rows=[], problems=["无法读取该文件，请用本页下载的模板填写后上传。"])
    by_card = {m.card_number: m for m in members}
    by_name: dict[str, list] = {}
    for m in members:
        by_name.setdefault(m.name, []).append(m)
    by_code = {i.code.upper(): i for i in items}
    rows: list[ImportRow] = []
    lines = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(lines, ())]
    if header[: len(HEADERS)] != HEADERS:
        return MonthImport(rows=[], problems=["表头与模板不一致，请用本页下载的模板填写。"])
    for number, values in enumerate(lines, start=2):
        if number > MAX_ROWS + 1:
            return MonthImport(rows=[], problems=[f"一次最多导入 {MAX_ROWS} 行。"])
        cells = dict(zip(HEADERS, (list(values) + [None] * 6)[:6], strict=True))
        code = _text(cells["项目编号"]).upper()
        if not code:
            continue
        row = ImportRow(number=number, name=_text(cells["姓名"]))
        member = by_card.get(_text(cells["积分卡号"]))
        if member is None:
            found = by_name.get(row.name, [])
            member = found[0] if len(found) == 1 else None
            if len(found) > 1:
                row.errors.append("同名党员，请填写积分卡号。")
            elif not found:
                row.errors.append(f"{year}年{month}月名册上没有“{row.name}”。")
        item = by_code.get(code)
        if item is None:
            row.errors.append(f"项目编号“{code}”不是本月适用的贡献加分项目。")
        description = _text(cells["做了什么"])
        if not description:
            row.errors.append("请写明做了什么。")
        points = None
        if _text(cells["分值"]):
            try:
                points = Decimal(_text(cells["分值"]))
            except InvalidOperation:
                row.errors.append("分值应为数字。")
        occurred_on = _date(cells["日期"], year, month)
        if occurred_on is None:
            row.errors.append("日期无法识别，例如 2026-11-28。")
        row.values = {
            "member": member,
            "item": item,
            "description": description[:300],
            "points": points,
            "occurred_on": occurred_on,
        }
        rows.append(row)
    problems = [] if rows else ["表中没有填写任何申报（“项目编号”一列为空）。"]
    return MonthImport(rows=rows, problems=problems)


def payload(parsed: MonthImport) -> list[dict]:
    """The checked rows as plain values, to carry from the preview to the confirmation."""
    return [
        {
            "row": r.number,
            "member": r.values["member"].pk,
            "item": r.values["item"].pk,
            "description": r.values["description"],
            "points": str(r.values["points"]) if r.values["points"] is not None else "",
            "occurred_on": r.values["occurred_on"].isoformat(),
        }
        for r in parsed.rows
    ]
