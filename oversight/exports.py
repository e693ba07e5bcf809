"""The .xlsx exports of the oversight pages, on the one exporter base (formula-safe; Decimal
cells show two places). Each export is the same data builder's result as its page."""

from __future__ import annotations

from core.xlsx import Column, XlsxExporter
from members.models import Category
from oversight import dashboards, rankings
from oversight.figures import Group, MemberPoints
from scoring import engine
from scoring.periods import PERIODS, Period

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


def _group_row(label: str, group: Group) -> list:
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


class DashboardExport(XlsxExporter):
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
                *(Column(Period(p).label, 16) for p in PERIODS),
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


class CityDashboardExport(XlsxExporter):
    """The city dashboard: the counties side by side, by category, the late branches, the shops
    and red funds, one table per sheet."""

    def __init__(self, board: dashboards.CityDashboard):
        super().__init__()
        self.add_sheet(
            "各县统计",
            [
                *_group_columns("县（市、区）"),
                Column("乡镇", 8),
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
        for c in board.counties:
            self.write_row(
                [
                    *_group_row(c.name, c.stats),
                    c.townships,
                    len(c.branches),
                    c.late,
                    c.months_closed,
                    c.months_due,
                    c.quarters_approved,
                    c.quarters_due,
                    c.waiting.to_approve,
                    c.waiting.appeals,
                    c.waiting.objections,
                ]
            )
        self.write_row(_group_row("合计", board.total))
        self.add_sheet("各县分类别", [Column("县（市、区）", 12), *_group_columns("类别")])
        for c in board.counties:
            for group in c.categories:
                self.write_row([c.name, *_group_row(group.label, group)])
        self.add_sheet("类别统计", _group_columns("类别"))
        for group in board.categories:
            self.write_row(_group_row(group.label, group))
        self.add_sheet(
            "逾期支部",
            [
                Column("县（市、区）", 12),
                Column("乡镇", 10),
                Column("党支部", 12),
                Column("已结账月数", 10),
                Column("逾期情况", 60),
            ],
        )
        for county, b in board.late_branches:
            self.write_row(
                [county.name, b.township_name, b.name, b.months_closed, "；".join(b.late_reasons)]
            )
        self.add_sheet(
            "爱心超市与红色基金",
            [
                Column("县（市、区）", 12),
                Column("爱心超市", 10),
                Column("兑换次数", 10),
                Column("兑换积分", 10),
                Column("兑换户数", 10),
                Column("红色基金收入", 12),
                Column("红色基金支出", 12),
            ],
        )
        for c in board.counties:
            r = c.rewards
            self.write_row(
                [
                    c.name,
                    r.shops,
                    r.redemptions,
                    r.points,
                    r.households,
                    r.fund_income,
                    r.fund_paid,
                ]
            )


class EntriesExport(XlsxExporter):
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
    Column("本年累计", 10),
    Column("年度总积分", 10),
    Column("积分清零", 8),
    Column("等次", 8),
    Column("等次来源", 10),
]


def _member_row(m: MemberPoints) -> list:
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
        m.running,
        m.annual,
        "是" if m.cleared else "",
        m.grade_label,
        "年度评定" if m.grade_confirmed else "预计",
    ]


class MembersExport(XlsxExporter):
    def __init__(self, members, *, year: int):
        super().__init__()
        self.add_sheet(f"{year}年党员积分", MEMBER_COLUMNS)
        for member in members:
            self.write_row(_member_row(member))


class RankingExport(XlsxExporter):
    def __init__(self, ranking: rankings.Ranking):
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
        self.write_row([rankings.TIE_EXPLANATION])


HONOUR_COLUMNS = [
    Column("名次", 6),
    Column("姓名", 10),
    Column("乡镇", 10),
    Column("党支部", 12),
    Column("贡献加分", 10),
    Column("加分项数", 10),
]


def _honour_row(row: rankings.HonourRow) -> list:
    m = row.member
    return [row.rank, m.name, m.branch.township.name, m.branch.name, m.bonus, m.bonus_count]


class HonourExport(XlsxExporter):
    def __init__(self, roll: rankings.Honour):
        super().__init__()
        self.add_sheet(f"{roll.year}年光荣榜", HONOUR_COLUMNS)
        for row in roll.rows:
            self.write_row(_honour_row(row))
        if roll.by_township:
            self.add_sheet("各乡镇光荣榜", HONOUR_COLUMNS)
            for _, rows in roll.by_township:
                for row in rows:
                    self.write_row(_honour_row(row))
