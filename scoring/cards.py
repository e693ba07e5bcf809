"""A member's points card (积分卡) for a year, as plain data: months, quarters and the year from
the engine. The staff's card page, the printed cards and the member's own page all build it here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from members.models import Branch, Member
from scoring import engine, ledger, versions

QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}

# Extra panels for the member's own card page, from apps above scoring (which it must not
# import): ``panel(member) -> {"template": …, …context} | None``. rewards registers the spendable
# balance (兑换积分), shown apart from the assessment points.
card_panels: list = []


def panels_for(member: Member) -> list[dict]:
    return [p for p in (panel(member) for panel in card_panels) if p]


@dataclass(frozen=True)
class CardMonth:
    month: int
    category: str | None  # the category held that month; None when not on the roll
    result: engine.PeriodResult
    running: Decimal
    has_entries: bool
    future: bool  # a month not yet reached (its base share is counted as expected)

    @property
    def on_roll(self) -> bool:
        return self.category is not None

    @property
    def counts(self) -> bool:
        """Whether the month has anything to show (otherwise the card shows "—")."""
        return self.on_roll or self.has_entries

    @property
    def quarter(self) -> int:
        return engine.quarter_of(self.month)


@dataclass(frozen=True)
class Card:
    """One member's card for one year, as plain data for the templates."""

    member: Member
    branch: Branch
    year: int
    months: tuple[CardMonth, ...]
    quarters: tuple[tuple[int, str, engine.PeriodResult], ...]
    result: engine.YearResult
    appraised: bool
    qr: str = ""  # inline SVG of the member's card link, when the member has an active one

    @property
    def reached(self) -> tuple[CardMonth, ...]:
        """The months already reached: a printed card shows what has been earned, not a
        projection of months still to come."""
        return tuple(m for m in self.months if not m.future)

    @property
    def to_date(self) -> Decimal:
        reached = self.reached
        return reached[-1].running if reached else Decimal("0.00")

    @property
    def year_complete(self) -> bool:
        return len(self.reached) == 12

    @property
    def grade_label(self) -> str:
        return engine.GRADE_LABELS.get(self.result.grade, "—")


def build_card(
    scoring_rules: engine.ScoringRules,
    member_year: engine.MemberYear,
    *,
    member: Member,
    branch: Branch,
    year: int,
    today: datetime.date,
    qr: str = "",
) -> Card:
    running = engine.running_totals(scoring_rules, member_year)
    entry_months = {entry.month for entry in member_year.entries}
    months = tuple(
        CardMonth(
            month=month,
            category=member_year.months.get(month),
            result=engine.month_result(scoring_rules, member_year, month),
            running=running[month - 1],
            has_entries=month in entry_months,
            future=(year, month) > (today.year, today.month),
        )
        for month in engine.MONTHS
    )
    quarters = tuple(
        (q, QUARTER_NAMES[q], engine.quarter_result(scoring_rules, member_year, q))
        for q in range(1, 5)
    )
    return Card(
        member=member,
        branch=branch,
        year=year,
        months=months,
        quarters=quarters,
        result=engine.year_result(scoring_rules, member_year),
        appraised=member_year.appraisal is not None,
        qr=qr,
    )


def cards_for(members, year: int, *, today: datetime.date, in_force: dict, qr=None) -> list[Card]:
    """The cards of ``members`` for ``year``, each scored as every other page scores it: the
    months with their own versions, the annual part with the member's branch's annual version
    (scoring.versions). ``in_force``: branch → the version in force in its county
    (versions.in_force_by_branch). A fixed number of queries;
    ``qr(member)`` gives a card's QR code."""
    members = list(members)
    years = ledger.member_years([m.pk for m in members], year, in_force=in_force)
    annual = versions.annual_versions({m.branch_id for m in members}, year, in_force=in_force)
    rules = versions.scoring_rules_of(annual.values())
    return [
        build_card(
            rules[annual[member.branch_id]],
            years[member.pk],
            member=member,
            branch=member.branch,
            year=year,
            today=today,
            qr=qr(member) if qr else "",
        )
        for member in members
    ]


def card_for(
    member: Member, year: int, *, today: datetime.date, in_force: dict, qr: str = ""
) -> Card:
    return cards_for([member], year, today=today, in_force=in_force, qr=lambda _: qr)[0]
