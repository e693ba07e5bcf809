"""Rankings within a branch and a township, and the 光荣榜 (honour roll)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from evaluations.services import public_order, rank_lines
from members.models import Branch, Township
from oversight import clock
from oversight.figures import MemberPoints, member_points
from oversight.scope import Scope

HONOUR_COUNTY, HONOUR_TOWNSHIP = 20, 10
TIE_EXPLANATION = (
    "积分相同的党员名次相同，下一名次顺延（例如 1、2、2、4）；同分者按姓名拼音排列。"
    "积分被清零的党员不参加排名，列在最后。"
)

# --- Rankings and the 光荣榜 --------------------------------------------------------------------


@dataclass
class Ranking:
    scope: Scope
    year: int
    ref_month: int
    rows: list[MemberPoints]  # in public order: by rank, ties by pinyin; cleared last

    @property
    def confirmed(self) -> bool:
        """Every total is a confirmed annual total."""
        return bool(self.rows) and all(row.grade_confirmed for row in self.rows)

    @property
    def ties(self) -> list[tuple[int, list[MemberPoints]]]:
        """Shared ranks: (rank, members) for each rank held by more than one member."""
        groups: dict[int, list[MemberPoints]] = defaultdict(list)
        for row in self.rows:
            if row.rank is not None:
                groups[row.rank].append(row)
        return [(rank, rows) for rank, rows in groups.items() if len(rows) > 1]

    @property
    def cleared(self) -> list[MemberPoints]:
        return [row for row in self.rows if row.rank is None]


def rank(members: list[MemberPoints]) -> list[MemberPoints]:
    """Rank with evaluations.services.rank_lines (1, 2, 2, 4; cleared unranked) and put the
    rows in the notice's order (services.public_order)."""
    rank_lines(members, annual=False)
    return public_order(members)


def branch_ranking(branch: Branch, year: int, on: datetime.date | None = None) -> Ranking:
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    scope = Scope(branch=branch)
    members = member_points(scope, year, ref_month)
    rows = rank(members)
    return Ranking(scope, year, ref_month, rows)


def township_ranking(township: Township, year: int, on: datetime.date | None = None) -> Ranking:
    """Township-wide ranking; each row also carries its rank within its branch."""
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    scope = Scope(township=township)
    members = member_points(scope, year, ref_month)
    by_branch: dict[int, list[MemberPoints]] = defaultdict(list)
    for member in members:
        by_branch[member.branch_id].append(member)
    for group in by_branch.values():
        rank_lines(group, annual=False)
        for member in group:
            member.branch_rank = member.rank
    rows = rank(members)
    return Ranking(scope, year, ref_month, rows)


@dataclass
class HonourRow:
    """A member on the 光荣榜, ranked by the year's contribution bonus (贡献加分)."""

    member: MemberPoints
    rank: int | None = None

    # What evaluations.services.rank_lines reads.
    @property
    def cumulative(self) -> int:
        return self.member.bonus_c

    @property
    def cleared(self) -> bool:
        return self.member.cleared


def honour_roll(members: Iterable[MemberPoints], size: int) -> list[HonourRow]:
    """The members with the most contribution points this year, best first (ties share a rank and
    are listed by pinyin). Members whose points were cleared, and members without any
    contribution, are not listed. Members tied with the last place are all listed, so there may
    be a few more than ``size``."""
    rows = [HonourRow(m) for m in members if m.bonus_c > 0 and not m.cleared]
    rank_lines(rows, annual=False)
    rows.sort(key=lambda r: (r.rank, r.member.name_sort, r.member.pk))
    return [row for row in rows if row.rank <= size]


@dataclass
class Honour:
    scope: Scope
    year: int
    ref_month: int
    rows: list[HonourRow]
    by_township: list[tuple[Township, list[HonourRow]]] = field(default_factory=list)


def honour(scope: Scope, year: int, on: datetime.date | None = None) -> Honour:
    """The 光荣榜: the county's top 20 and each township's top 10, or one township's top 10."""
    on = on or clock.today()
    ref_month = clock.reference_month(year, on)
    members = member_points(scope, year, ref_month)
    if scope.township is not None:
        return Honour(scope, year, ref_month, honour_roll(members, HONOUR_TOWNSHIP))
    residents: dict[int, list[MemberPoints]] = defaultdict(list)
    for member in members:
        residents[member.branch.township_id].append(member)
    townships = scope.townships().order_by("position", "name", "pk")
    return Honour(
        scope,
        year,
        ref_month,
        honour_roll(members, HONOUR_COUNTY),
        [(t, honour_roll(residents.get(t.pk, ()), HONOUR_TOWNSHIP)) for t in townships],
    )
