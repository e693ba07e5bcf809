"""Township and county dashboards, the lists behind their numbers, rankings and the 光荣榜 —
pages and .xlsx exports.

The numbers come from evaluations.dashboards; these views look up the scope (a township
official sees only their township, everything else answers 404, on every method), parse the
filters, lay out the charts and render. Charts are inline SVG drawn from numbers computed here,
each next to a table with the same numbers; no JavaScript, printable.

Who sees what:
* township pages, lists, rankings and exports: the township's official and the county;
* county pages, lists and exports: the county only;
* a branch's ranking: anyone who may see the branch (its secretary and assessment group too).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.xlsx import Column, XlsxExporter
from evaluations import dashboards
from evaluations.dashboards import Scope
from members.models import Category
from members.scope import get_branch, get_county, get_township, only_methods
from scoring import engine
from scoring.models import PointsEntry

FIRST_YEAR = 2000
PAGE_SIZE = 100
FLAGS = {"deducted": "有违规扣分", "cleared": "积分清零", "projected": "等次为预计"}
KIND_LABELS = dict(PointsEntry.Kind.choices)
MONTH_CHART_HEIGHT = 160  # px of bars, above and below the zero line together


# --- Helpers -----------------------------------------------------------------------------------


def _not_get(request):
    """Pages and exports are read-only: anything but GET/HEAD is 405 — after the scope check, so
    that a POST outside the user's scope is a 404 like everything else."""
    return only_methods(request, "GET", "HEAD")


def _year(year: int, on: datetime.date) -> int:
    if not FIRST_YEAR <= year <= on.year:
        raise Http404
    return year


def _int(value: str | None, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Http404 from None
    if not low <= number <= high:
        raise Http404
    return number


def _choice(value: str | None, choices) -> str:
    if not value:
        return ""
    if value not in choices:
        raise Http404
    return value


def month_chart(months: list[dashboards.MonthPoints]) -> dict:
    """Bars for each month: contribution bonus up from the zero line, deductions down."""
    top = max((m.bonus_c for m in months), default=0)
    bottom = max((-m.deductions_c for m in months), default=0)
    scale = Decimal(MONTH_CHART_HEIGHT) / (top + bottom) if top + bottom else Decimal(0)
    zero = 20 + top * scale
    bars = []
    for index, month in enumerate(months):
        up = month.bonus_c * scale
        down = -month.deductions_c * scale
        x = 40 + index * 44
        bars.append(
            {
                "month": month.month,
                "x": x,
                "text_x": x + 16,
                "bonus_y": _px(zero - up),
                "bonus_h": _px(up),
                "bonus_label_y": _px(zero - up - 4),
                "deduction_y": _px(zero),
                "deduction_h": _px(down),
                "deduction_label_y": _px(zero + down + 12),
                "bonus": month.bonus,
                "deductions": month.deductions,
            }
        )
    return {
        "bars": bars,
        "width": 40 + 44 * len(months) + 10,
        "height": MONTH_CHART_HEIGHT + 70,
        "zero": _px(zero),
        "label_y": MONTH_CHART_HEIGHT + 62,
    }


def _px(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')):f}"


def _link_cells(branches: list[dashboards.BranchProgress], year: int) -> None:
    """The grid's links, reversed here once per cell (cheaper than a {% url %} tag per cell)."""
    for branch in branches:
        for cell in branch.months:
            cell.url = reverse("month", args=[branch.pk, year, cell.month])
        for period in branch.periods:
            if period.notice_id:
                period.url = reverse("notice", args=[period.notice_id])
            elif period.assessment_id:
                period.url = reverse("assessment", args=[period.assessment_id])
            elif period.started:
                period.url = reverse("assessments", args=[branch.pk, year])
            else:
                period.url = ""


def _years(year: int, on: datetime.date) -> dict:
    return {
        "prev_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < on.year else None,
    }


# --- The township dashboard --------------------------------------------------------------------


def township_dashboard(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    board = dashboards.township_dashboard(township, _year(year, on), on)
    _link_cells(board.branches, year)
    return render(
        request,
        "evaluations/dashboard_township.html",
        {
            "township": township,
            "members_url": reverse("township_members", args=[township.pk]),
            "entries_url": reverse("township_entries", args=[township.pk]),
            "board": board,
            "year": year,
            "month_range": range(1, board.ref_month + 1),
            "month_chart": month_chart(board.months),
            "objections": list(dashboards.open_objections(board.scope)[:50]),
            "grades": [(g, engine.GRADE_LABELS[g]) for g in engine.GRADES],
            **_years(year, on),
        },
    )


def township_dashboard_export(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    board = dashboards.township_dashboard(township, _year(year, on), on)
    export = DashboardExport(board)
    return export.as_response(f"{township.name}_{year}年积分工作台.xlsx")


# --- The county dashboard ----------------------------------------------------------------------


def county_dashboard(request, year):
    county = get_county(request)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    board = dashboards.county_dashboard(county, _year(year, on), on)
    behind = [b for b in board.branches if b.late][:20]
    for township in board.townships:
        township.dashboard_url = reverse("township_dashboard", args=[township.pk, year])
        township.members_url = reverse("township_members", args=[township.pk])
        township.entries_url = reverse("township_entries", args=[township.pk])
    return render(
        request,
        "evaluations/dashboard_county.html",
        {
            "board": board,
            "members_url": reverse("county_members"),
            "entries_url": reverse("county_entries"),
            "year": year,
            "behind": behind,
            "late_total": len(board.late_branches),
            "month_chart": month_chart(board.months),
            "grades": [(g, engine.GRADE_LABELS[g]) for g in engine.GRADES],
            "villages": sum(1 for b in board.branches if b.kind == "village"),
            "communities": sum(1 for b in board.branches if b.kind != "village"),
            **_years(year, on),
        },
    )


def county_dashboard_export(request, year):
    county = get_county(request)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    board = dashboards.county_dashboard(county, _year(year, on), on)
    export = DashboardExport(board)
    return export.as_response(f"{board.scope.name}_{year}年积分工作台.xlsx")


# --- The lists behind the numbers --------------------------------------------------------------


def _filters(request, scope: Scope, on: datetime.date, names: tuple[str, ...]) -> dict[str, Any]:
    """The list's filters from the query string; any bad or out-of-scope value is a 404."""
    get = request.GET
    year = _int(get.get("year"), low=FIRST_YEAR, high=on.year) or on.year
    filters: dict[str, Any] = {"year": year}
    if "branch" in names and get.get("branch"):
        branch_id = _int(get.get("branch"), low=1, high=2**62)
        branch = dashboards.branches_in(scope).filter(pk=branch_id).first()
        if branch is None:
            raise Http404
        filters["branch"] = branch
    if "kind" in names:
        filters["kind"] = _choice(get.get("kind"), KIND_LABELS)
    if "month" in names:
        filters["month"] = _int(get.get("month"), low=1, high=12)
    if "category" in names:
        filters["category"] = _choice(get.get("category"), engine.CATEGORIES)
    if "grade" in names:
        filters["grade"] = _choice(get.get("grade"), engine.GRADES)
    if "flag" in names:
        filters["flag"] = _choice(get.get("flag"), FLAGS)
    if "member" in names:
        filters["member"] = _int(get.get("member"), low=1, high=2**62)
    return filters


def _query(filters: dict[str, Any], **changes) -> str:
    values = {**filters, **changes}
    pairs = []
    for key, value in values.items():
        if value in (None, "", 0):
            continue
        pairs.append((key, value.pk if hasattr(value, "pk") else value))
    return urlencode(pairs)


def _describe(filters: dict[str, Any], member_name: str = "") -> list[str]:
    parts = [f"{filters['year']}年"]
    if filters.get("branch"):
        parts.append(filters["branch"].name)
    if filters.get("category"):
        parts.append(f"{filters['category']}类党员")
    if filters.get("kind"):
        parts.append(KIND_LABELS[filters["kind"]])
    if filters.get("month"):
        parts.append(f"{filters['month']}月")
    if filters.get("grade"):
        parts.append(engine.GRADE_LABELS[filters["grade"]])
    if filters.get("flag"):
        parts.append(FLAGS[filters["flag"]])
    if member_name:
        parts.append(member_name)
    return parts


ENTRY_FILTERS = ("branch", "kind", "month", "category", "member")
MEMBER_FILTERS = ("branch", "category", "grade", "flag")


def _entries(request, scope: Scope, *, export: bool):
    if response := _not_get(request):
        return response
    on = dashboards.today()
    filters = _filters(request, scope, on, ENTRY_FILTERS)
    year = filters["year"]
    ref_month = dashboards.reference_month(year, on)
    entries = dashboards.entries_list(
        scope,
        year=year,
        ref_month=ref_month,
        branch=filters["branch"].pk if filters.get("branch") else None,
        kind=filters["kind"],
        month=filters["month"],
        category=filters["category"],
        member=filters["member"],
    )
    if export:
        exporter = EntriesExport(entries)
        name = "_".join([scope.name, *_describe(filters)])
        return exporter.as_response(f"{name}_积分台账.xlsx")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    member_name = rows[0].member.name if filters["member"] and rows else ""
    return render(
        request,
        "evaluations/dashboard_entries.html",
        {
            "scope": scope,
            "township": scope.township,
            "filters": filters,
            "description": _describe(filters, member_name),
            "page": page,
            "rows": rows,
            "query": _query(filters),
            "kinds": KIND_LABELS,
            "month_choices": range(1, 13),
        },
    )


def township_entries(request, pk, export=False):
    township = get_township(request, pk)
    return _entries(request, Scope(township=township), export=export)


def county_entries(request, export=False):
    return _entries(request, Scope(county=get_county(request)), export=export)


def _members(request, scope: Scope, *, export: bool):
    if response := _not_get(request):
        return response
    on = dashboards.today()
    filters = _filters(request, scope, on, MEMBER_FILTERS)
    year = filters["year"]
    ref_month = dashboards.reference_month(year, on)
    members = dashboards.members_list(
        scope,
        year=year,
        ref_month=ref_month,
        branch=filters["branch"].pk if filters.get("branch") else None,
        category=filters["category"],
        grade=filters["grade"],
        flag=filters["flag"],
    )
    members.sort(key=lambda m: (m.branch.township.position, m.branch.position, m.name_sort, m.pk))
    if export:
        exporter = MembersExport(members, year=year)
        name = "_".join([scope.name, *_describe(filters)])
        return exporter.as_response(f"{name}_党员积分.xlsx")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluations/dashboard_members.html",
        {
            "scope": scope,
            "township": scope.township,
            "filters": filters,
            "description": _describe(filters),
            "page": page,
            "rows": page.object_list,
            "ref_month": ref_month,
            "query": _query(filters),
        },
    )


def township_members(request, pk, export=False):
    township = get_township(request, pk)
    return _members(request, Scope(township=township), export=export)


def county_members(request, export=False):
    return _members(request, Scope(county=get_county(request)), export=export)


# --- Rankings ----------------------------------------------------------------------------------


def _ranking_page(request, ranking: dashboards.Ranking, **context):
    return render(
        request,
        "evaluations/dashboard_ranking.html",
        {
            "ranking": ranking,
            "year": ranking.year,
            "tie_rule": dashboards.TIE_EXPLANATION,
            **context,
        },
    )


def branch_ranking(request, pk, year):
    branch = get_branch(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    ranking = dashboards.branch_ranking(branch, _year(year, on), on)
    return _ranking_page(request, ranking, branch=branch, **_years(year, on))


def branch_ranking_export(request, pk, year):
    branch = get_branch(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    ranking = dashboards.branch_ranking(branch, _year(year, on), on)
    exporter = RankingExport(ranking)
    return exporter.as_response(f"{branch.township.name}{branch.name}_{year}年积分排名.xlsx")


def township_ranking(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    ranking = dashboards.township_ranking(township, _year(year, on), on)
    return _ranking_page(request, ranking, township=township, **_years(year, on))


def township_ranking_export(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    ranking = dashboards.township_ranking(township, _year(year, on), on)
    exporter = RankingExport(ranking)
    return exporter.as_response(f"{township.name}_{year}年积分排名.xlsx")


# --- 光荣榜 ------------------------------------------------------------------------------------


def _honour_page(request, roll: dashboards.Honour, **context):
    return render(
        request,
        "evaluations/dashboard_honour.html",
        {"roll": roll, "year": roll.year, "tie_rule": dashboards.TIE_EXPLANATION, **context},
    )


def township_honour(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    roll = dashboards.honour(Scope(township=township), _year(year, on), on)
    return _honour_page(request, roll, township=township, **_years(year, on))


def township_honour_export(request, pk, year):
    township = get_township(request, pk)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    roll = dashboards.honour(Scope(township=township), _year(year, on), on)
    return HonourExport(roll).as_response(f"{township.name}_{year}年光荣榜.xlsx")


def county_honour(request, year):
    county = get_county(request)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    roll = dashboards.honour(Scope(county=county), _year(year, on), on)
    return _honour_page(request, roll, **_years(year, on))


def county_honour_export(request, year):
    county = get_county(request)
    if response := _not_get(request):
        return response
    on = dashboards.today()
    roll = dashboards.honour(Scope(county=county), _year(year, on), on)
    return HonourExport(roll).as_response(f"{roll.scope.name}_{year}年光荣榜.xlsx")


# --- Excel exports (all on the one exporter base: formula-safe) ---------------------------------


class Sheets(XlsxExporter):
    """Several sheets from the one exporter base: ``add_sheet`` starts the next one. Every cell
    is still written by the base (text never becomes a formula); Decimal cells show 2 places."""

    def add_sheet(self, title: str, columns: list[Column]) -> None:
        if self.row_number == 1 and not self.columns:
            self.sheet.title = title[:31]  # the first sheet, still empty
        else:
            self.sheet = self.workbook.create_sheet(title[:31])
        self.columns = columns
        bold = Font(bold=True)
        for index, column in enumerate(columns, start=1):
            cell = self.sheet.cell(row=1, column=index)
            self._set(cell, column.header, is_text=True)
            cell.font = bold
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        self.sheet.freeze_panes = "A2"
        self.row_number = 1

    def write_row(self, values) -> None:
        values = list(values)
        super().write_row(values)
        for index, value in enumerate(values, start=1):
            if isinstance(value, Decimal):
                self.sheet.cell(row=self.row_number, column=index).number_format = "0.00"


GRADE_COLUMNS = [Column(engine.GRADE_LABELS[g], 8) for g in engine.GRADES]


def _group_columns(first: str) -> list[Column]:
    return [
        Column(first, 12),
        Column("党员", 8),
        Column("人均积分", 10),
        Column("扣分人次", 10),
        Column("扣分合计", 10),
        Column("清零人次", 10),
        *GRADE_COLUMNS,
        Column("其中预计等次", 12),
    ]


def _group_row(label: str, group: dashboards.Group) -> list:
    return [
        label,
        group.members,
        group.average,
        group.deduction_count,
        group.deduction_sum,
        group.clearing_count,
        *(group.grades[g] for g in engine.GRADES),
        group.projected,
    ]


class DashboardExport(Sheets):
    """Everything on a dashboard, one table per sheet."""

    def __init__(self, board: dashboards.Dashboard):
        super().__init__()
        self.board = board
        county = board.scope.township is None
        months = range(1, board.ref_month + 1)
        if county:
            self.add_sheet(
                "乡镇统计",
                [
                    *_group_columns("乡镇"),
                    Column("党支部", 8),
                    Column("逾期支部", 8),
                    Column("已结账月数", 10),
                    Column("应结账月数", 10),
                    Column("已审核季度", 10),
                    Column("应评定季度", 10),
                    Column("待审核评定", 10),
                    Column("待处理申诉", 10),
                    Column("待答复异议", 10),
                ],
            )
            for t in board.townships:
                self.write_row(
                    [
                        *_group_row(t.name, t.stats),
                        len(t.branches),
                        t.late,
                        t.months_closed,
                        t.months_due,
                        t.quarters_approved,
                        t.quarters_due,
                        t.waiting.to_approve,
                        t.waiting.appeals,
                        t.waiting.objections,
                    ]
                )
            self.write_row(_group_row("合计", board.total))
        self.add_sheet(
            "月度进度",
            [
                *([Column("乡镇", 10)] if county else []),
                Column("党支部", 12),
                *(Column(f"{m}月", 12) for m in months),
                *(Column(dashboards.Period(p).label, 16) for p in dashboards.PERIODS),
                Column("已结账月数", 10),
                Column("待审议申报", 10),
                Column("逾期情况", 40),
            ],
        )
        for b in board.branches:
            self.write_row(
                [
                    *([b.township_name] if county else []),
                    b.name,
                    *(cell.label for cell in b.months),
                    *(p.label for p in b.periods),
                    b.months_closed,
                    b.waiting,
                    "；".join(b.late_reasons),
                ]
            )
        self.add_sheet(
            "支部统计", [*([Column("乡镇", 10)] if county else []), *_group_columns("党支部")]
        )
        for b in board.branches:
            self.write_row([*([b.township_name] if county else []), *_group_row(b.name, b.stats)])
        self.add_sheet("类别统计", _group_columns("类别"))
        for group in board.categories:
            self.write_row(_group_row(group.label, group))
        if county:
            self.add_sheet("乡镇分类别", [Column("乡镇", 10), *_group_columns("类别")])
            for t in board.townships:
                for group in t.categories:
                    self.write_row([t.name, *_group_row(group.label, group)])
        self.add_sheet(
            "每月积分",
            [
                Column("月份", 8),
                Column("贡献加分", 10),
                Column("加分人次", 10),
                Column("违规扣分", 10),
                Column("扣分人次", 10),
                Column("更正", 10),
                Column("合计", 10),
            ],
        )
        for m in board.months:
            self.write_row(
                [
                    f"{m.month}月",
                    m.bonus,
                    m.bonus_count,
                    m.deductions,
                    m.deduction_count,
                    m.corrections,
                    m.net,
                ]
            )
        self.add_sheet("待办", [Column("事项", 24), Column("数量", 8)])
        for label, count in (
            ("待乡镇审核的评定", board.waiting.to_approve),
            ("已退回、待支部修改的评定", board.waiting.returned),
            ("待处理的等次申诉", board.waiting.appeals),
            ("待答复的公示异议", board.waiting.objections),
            ("待支委会审议的申报", board.waiting_declarations),
        ):
            self.write_row([label, count])
        if county:
            self.add_sheet("光荣榜", HONOUR_COLUMNS)
            for row in board.honour:
                self.write_row(_honour_row(row))


class EntriesExport(Sheets):
    def __init__(self, entries):
        super().__init__()
        self.add_sheet(
            "积分台账",
            [
                Column("乡镇", 10),
                Column("党支部", 12),
                Column("月份", 6),
                Column("姓名", 10),
                Column("积分卡号", 14, is_text=True),
                Column("类型", 10),
                Column("项目", 30),
                Column("分值", 8),
                Column("事由", 40),
                Column("发生日期", 12),
            ],
        )
        for entry in entries.iterator(chunk_size=2000):
            self.write_row(
                [
                    entry.branch.township.name,
                    entry.branch.name,
                    entry.month,
                    entry.member.name,
                    entry.member.card_number,
                    entry.get_kind_display(),
                    str(entry.item) if entry.item else "",
                    entry.points,
                    entry.reason,
                    entry.occurred_on,
                ]
            )


MEMBER_COLUMNS = [
    Column("乡镇", 10),
    Column("党支部", 12),
    Column("姓名", 10),
    Column("积分卡号", 14, is_text=True),
    Column("类别", 6),
    Column("贡献加分", 10),
    Column("违规扣分", 10),
    Column("更正", 8),
    Column("民主评议", 10),
    Column("积分", 10),
    Column("积分清零", 8),
    Column("等次", 8),
    Column("等次来源", 10),
]


def _member_row(m: dashboards.MemberPoints) -> list:
    return [
        m.branch.township.name,
        m.branch.name,
        m.name,
        m.card_number,
        Category.short_label(m.category) if m.category else "",
        m.bonus,
        m.deductions,
        m.corrections,
        m.appraisal,
        m.total,
        "是" if m.cleared else "",
        m.grade_label,
        "年度评定" if m.grade_confirmed else "预计",
    ]


class MembersExport(Sheets):
    def __init__(self, members, *, year: int):
        super().__init__()
        self.add_sheet(f"{year}年党员积分", MEMBER_COLUMNS)
        for member in members:
            self.write_row(_member_row(member))


class RankingExport(Sheets):
    def __init__(self, ranking: dashboards.Ranking):
        super().__init__()
        township = ranking.scope.branch is None
        self.add_sheet(
            f"{ranking.year}年积分排名",
            [
                Column("名次", 6),
                *([Column("党支部", 12), Column("支部内名次", 10)] if township else []),
                *MEMBER_COLUMNS[2:],
            ],
        )
        for row in ranking.rows:
            self.write_row(
                [
                    row.rank,
                    *([row.branch.name, row.branch_rank] if township else []),
                    *_member_row(row)[2:],
                ]
            )
        self.add_sheet("说明", [Column("说明", 100)])
        self.write_row([dashboards.TIE_EXPLANATION])


HONOUR_COLUMNS = [
    Column("名次", 6),
    Column("姓名", 10),
    Column("乡镇", 10),
    Column("党支部", 12),
    Column("贡献加分", 10),
    Column("加分项数", 10),
]


def _honour_row(row: dashboards.HonourRow) -> list:
    m = row.member
    return [row.rank, m.name, m.branch.township.name, m.branch.name, m.bonus, m.bonus_count]


class HonourExport(Sheets):
    def __init__(self, roll: dashboards.Honour):
        super().__init__()
        self.add_sheet(f"{roll.year}年光荣榜", HONOUR_COLUMNS)
        for row in roll.rows:
            self.write_row(_honour_row(row))
        if roll.by_township:
            self.add_sheet("各乡镇光荣榜", HONOUR_COLUMNS)
            for _, rows in roll.by_township:
                for row in rows:
                    self.write_row(_honour_row(row))
