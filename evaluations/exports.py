"""Excel exports of assessment results: one branch's assessment, or many in one sheet.

Internal documents for officials, built on the one exporter base (core.xlsx). They carry
the public notice's columns, in the notice's order and as the notice shows them, plus a few
internal ones (township, branch, points-card number, the assessment's status and meeting date,
held-back members). They never carry an ID number (not even masked), a phone number or a birth
date: the lines are read with only the member fields listed in MEMBER_FIELDS.

Unlike the notice, held-back members are listed (marked 暂缓确认, with the reason), and a cleared
member's grade (不合格) is kept: the township counts grades from this sheet. Like the notice, a
cleared member's score columns and rank are empty and 积分清零 says 是.

A fixed number of queries however many rows: the assessments (one query, by the caller) and their
lines with their members (one query, streamed with .iterator()). Lines are grouped per assessment
and put in the notice's order by services.public_order, so only one branch's lines are held at a
time (the workbook itself holds every cell: the base exporter is not write-only).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from core.xlsx import Column, XlsxExporter
from evaluations.models import Assessment, AssessmentLine, Period
from evaluations.services import public_order
from members.models import Category
from scoring.periods import title

CHUNK_SIZE = 2000

# Branches in the organisation's order (Branch.Meta.ordering), ties broken by primary key so the
# order is the same on every run and every database.
ASSESSMENT_ORDER = (
    "branch__township__position",
    "branch__township__name",
    "branch__township_id",
    "branch__position",
    "branch__name",
    "branch_id",
    "pk",
)
LINE_ORDER = (
    *(f"assessment__{key}" for key in ASSESSMENT_ORDER if key != "pk"),
    "assessment_id",
    "pk",
)
# The only member fields read: nothing personal beyond what the sheet prints.
MEMBER_FIELDS = ("member__id", "member__name", "member__name_sort", "member__card_number")


def _score(header: str) -> Column:
    return Column(header, 10)


def results_columns(*, annual: bool) -> list[Column]:
    columns = [
        Column("乡镇", 10),
        Column("党支部", 12),
        # The public notice's columns, in its order.
        Column("序号", 6),
        Column("姓名", 10),
        Column("类别", 6),
        _score("基础积分"),
        _score("贡献加分"),
        _score("违规扣分"),
        _score("更正"),
        _score("本期积分"),
        _score("累计积分"),
    ]
    if annual:
        columns += [_score("民主评议积分"), _score("年度总积分"), Column("等次", 8)]
    columns += [
        Column("排名", 6),
        Column("积分清零", 8),
        # Internal only.
        Column("积分卡号", 14, is_text=True),
        Column("暂缓确认", 8),
        Column("暂缓原因", 24),
        Column("评定状态", 16),
        Column("党员大会日期", 12),
    ]
    return columns


class ResultsExport(XlsxExporter):
    """Results of one period (a quarter or the year): one row per member, branch after branch."""

    def __init__(self, *, year: int, period: str):
        self.year, self.period = year, period
        self.annual = period == Period.YEAR
        self.title = f"{title(year, period)}积分结果"
        self.columns = results_columns(annual=self.annual)
        super().__init__()

    def add_assessments(self, assessments: Sequence[Assessment]) -> None:
        """Write the lines of ``assessments`` (loaded with branch__township), in branch order.

        One query, whatever the number of lines; the assessments must all be of this period."""
        by_pk = {assessment.pk: assessment for assessment in assessments}
        if not by_pk:
            return
        lines = (
            AssessmentLine.objects.filter(assessment_id__in=list(by_pk))
            .select_related("member")
            .only("assessment", *_line_fields(), *MEMBER_FIELDS)
            .order_by(*LINE_ORDER)
            .iterator(chunk_size=CHUNK_SIZE)
        )
        for assessment_id, group in itertools.groupby(lines, key=lambda line: line.assessment_id):
            self.write_assessment(by_pk[assessment_id], group)

    def write_assessment(self, assessment: Assessment, lines: Iterable[AssessmentLine]) -> None:
        status = assessment.get_status_display()  # once per branch: it is not free
        for number, line in enumerate(public_order(lines), start=1):
            self.write_row(self.row_values(assessment, number, line, status=status))

    def row_values(
        self, assessment: Assessment, number: int, line: AssessmentLine, *, status: str
    ) -> list:
        cleared = line.cleared

        def score(value):
            return None if cleared or value is None else value

        values = [
            assessment.branch.township.name,
            assessment.branch.name,
            number,
            line.member.name,
            Category.short_label(line.category),
            score(line.base),
            score(line.bonus),
            score(line.deductions),
            score(line.corrections),
            score(line.period_total),
            score(line.cumulative),
        ]
        if self.annual:
            values += [score(line.appraisal), score(line.annual_total), line.grade_label]
        values += [
            None if cleared else line.rank,
            "是" if cleared else "",
            line.member.card_number,
            "是" if line.held_back else "",
            line.held_back_reason,
            status,
            assessment.meeting_date,
        ]
        return values


def _line_fields() -> tuple[str, ...]:
    return (
        "category",
        "base",
        "bonus",
        "deductions",
        "corrections",
        "period_total",
        "cumulative",
        "appraisal",
        "annual_total",
        "grade",
        "cleared",
        "rank",
        "held_back",
        "held_back_reason",
    )


class AssessmentResultsExport(ResultsExport):
    """One branch's quarter or year."""

    def __init__(self, assessment: Assessment):
        super().__init__(year=assessment.year, period=assessment.period)
        self.assessment = assessment
        self.add_assessments([assessment])

    def filename(self) -> str:
        branch = self.assessment.branch
        period = title(self.year, self.period)
        return f"{branch.township.name}{branch.name}_{period}_积分结果.xlsx"


class PeriodResultsExport(ResultsExport):
    """Many branches' assessments of one period (a township's or the county's), in one sheet."""

    def __init__(self, assessments: Iterable[Assessment], *, year: int, period: str, where: str):
        super().__init__(year=year, period=period)
        self.where = where
        assessments = list(assessments)
        if any((a.year, a.period) != (year, period) for a in assessments):
            raise ValueError("All assessments in one export must be of the same period.")
        self.add_assessments(assessments)

    def filename(self) -> str:
        return f"{self.where}_{title(self.year, self.period)}_积分结果.xlsx"


def period_assessments(year: int, period: str):
    """The assessments of a period that a members' meeting has confirmed (approved or not yet)."""
    return (
        Assessment.objects.filter(
            year=year,
            period=period,
            status__in=[Assessment.Status.CONFIRMED, Assessment.Status.APPROVED],
        )
        .select_related("branch__township")
        .order_by(*ASSESSMENT_ORDER)
    )
