"""The points arithmetic of the county's "445" system (DOMAIN.md §3), as pure functions.

No Django, no ORM, no floats. Inputs and outputs are ``decimal.Decimal``; everything in
between is an exact ``fractions.Fraction`` (a monthly base share is ``base / 12``, e.g. 88/12,
which no Decimal can hold). Only the totals that are shown are rounded: 2 decimals, half-up
(away from zero for negatives), see ``round_points``.

Decisions the spec leaves open (kept here so that callers know them):

* Entries dated in a month the member was *not* on the roll still count, in that month's
  period: a correction may be recorded against any month, and a deduction confirmed for a
  month must not silently vanish because the roll changed later. Only the base share depends
  on the roll.
* Signs are checked, not repaired: a BONUS must be >= 0 and a DEDUCTION <= 0
  (``ValueError`` otherwise); a CORRECTION may have either sign; a CLEARING entry's points are
  ignored in every sum.
* Each shown figure is rounded from its own exact value, so the rounded parts of a period
  (base + bonus + deductions + corrections) may differ from its rounded total by a cent; the
  total is the authoritative figure. Likewise the year total is built from the exact quarter
  values, not from the rounded quarters.
* Clearing affects the *annual* total and grade only: the quarters, the year's score parts and
  the running totals still show what happened (the notice shows the "积分清零" marker).
* A year's appraisal is validated with ``validate_appraisal_score`` (0..max, one decimal).
* A member never on the roll gets ``grade_category = None`` and ``grade = None``; their total is
  still computed from their entries (normally there are none).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "BASIC",
    "BONUS",
    "CATEGORIES",
    "CLEARING",
    "CORRECTION",
    "DEDUCTION",
    "ENTRY_KINDS",
    "EXCELLENT",
    "GRADES",
    "GRADE_LABELS",
    "MONTHS",
    "QUALIFIED",
    "UNITS_PER_POINT",
    "UNQUALIFIED",
    "Entry",
    "MemberYear",
    "MonthUnits",
    "PeriodResult",
    "ScoringRules",
    "Standing",
    "YearFigures",
    "YearResult",
    "appraisal_from_ballots",
    "base_share",
    "base_units",
    "default_rules",
    "excellent_quota_exceeded",
    "from_units",
    "grade_for",
    "month_result",
    "month_units",
    "period_result",
    "quarter_months",
    "quarter_of",
    "quarter_result",
    "round_points",
    "running_totals",
    "standing",
    "to_units",
    "units_to_cents",
    "validate_appraisal_score",
    "year_figures",
    "year_result",
]

CATEGORIES = ("A", "B", "C", "D")
MONTHS = tuple(range(1, 13))

# entry kinds
BONUS, DEDUCTION, CLEARING, CORRECTION = "bonus", "deduction", "clearing", "correction"
ENTRY_KINDS = (BONUS, DEDUCTION, CLEARING, CORRECTION)

# grades (stored values), best first; labels in Chinese
EXCELLENT, QUALIFIED, BASIC, UNQUALIFIED = "excellent", "qualified", "basic", "unqualified"
GRADES = (EXCELLENT, QUALIFIED, BASIC, UNQUALIFIED)
GRADE_LABELS = {EXCELLENT: "优秀", QUALIFIED: "合格", BASIC: "基本合格", UNQUALIFIED: "不合格"}

_ZERO = Fraction(0)


# --------------------------------------------------------------------------- exact numbers


def _exact(value: object, what: str = "数值") -> Fraction:
    """An exact Fraction from a Decimal, int or Fraction; floats and non-finite values refused."""
    if isinstance(value, bool | float):
        raise TypeError(f"{what}必须是 Decimal 或整数，不能是 {type(value).__name__}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}必须是有限数：{value}")
        return Fraction(value)
    if isinstance(value, int | Fraction):
        return Fraction(value)
    raise TypeError(f"{what}必须是 Decimal 或整数，不能是 {type(value).__name__}")


def _round_half_up(x: Fraction, places: int) -> Decimal:
    if places < 0:
        raise ValueError("places must be >= 0")
    if not x:
        return _ZERO_PLACES[places] if places < len(_ZERO_PLACES) else Decimal((0, (0,), -places))
    return _round_nonzero(x.numerator, x.denominator, places)


# A points card or an assessment rounds the same few values (base shares, item points) over and
# over: rounding is pure, so the results are remembered. Zero, the commonest, needs no rounding.
_ZERO_PLACES = tuple(Decimal((0, (0,), -places)) for places in range(4))


@functools.lru_cache(maxsize=8192)
def _round_nonzero(numerator: int, denominator: int, places: int) -> Decimal:
    # floor(|x| * 10**places + 1/2), in integers
    n = (2 * abs(numerator) * 10**places + denominator) // (2 * denominator)
    # no "-0.00": a value that rounds to zero is plain zero
    return Decimal(f"-{n}e-{places}" if numerator < 0 and n else f"{n}e-{places}")


def round_points(x: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round exactly, half-up (away from zero on a tie, also for negatives), to ``places``.

    The result always carries exactly ``places`` decimal places: ``round_points(88) ==
    Decimal("88.00")`` and its ``str`` is ``"88.00"``.
    """
    return _round_half_up(_exact(x, "积分"), places)


# --------------------------------------------------------------------------- the rule set


@dataclass(frozen=True)
class ScoringRules:
    base_scores: Mapping[str, Decimal]
    # per category: (excellent_min, qualified_min, basic_min) as absolute totals
    cutoffs: Mapping[str, tuple[Decimal, Decimal, Decimal]]
    appraisal_max: Decimal = Decimal("20")
    # weights of 优秀 / 合格 / 基本合格 / 不合格 ballots
    ballot_weights: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal("1.0"),
        Decimal("0.8"),
        Decimal("0.6"),
        Decimal("0"),
    )
    excellent_share: Fraction = Fraction(1, 3)

    def __post_init__(self) -> None:
        # private copies, so that a caller mutating its dict cannot change a rule set in use
        object.__setattr__(self, "base_scores", dict(self.base_scores))
        object.__setattr__(
            self, "cutoffs", {cat: tuple(cuts) for cat, cuts in self.cutoffs.items()}
        )
        object.__setattr__(self, "ballot_weights", tuple(self.ballot_weights))
        for category in CATEGORIES:
            if category not in self.base_scores:
                raise ValueError(f"规则缺少 {category} 类党员的基础积分")
            if category not in self.cutoffs:
                raise ValueError(f"规则缺少 {category} 类党员的等次分数线")
        for category in (*self.base_scores, *self.cutoffs):
            if category not in CATEGORIES:
                raise ValueError(f"未知的党员类别：{category!r}")
        for category, base in self.base_scores.items():
            if _exact(base, "基础积分") < 0:
                raise ValueError(f"{category} 类党员的基础积分不能为负数")
        for category, cuts in self.cutoffs.items():
            if len(cuts) != 3:
                raise ValueError(f"{category} 类党员须有三条分数线（优秀、合格、基本合格）")
            excellent, qualified, basic = (_exact(c, "分数线") for c in cuts)
            if not excellent >= qualified >= basic:
                raise ValueError(f"{category} 类党员的分数线须满足 优秀 ≥ 合格 ≥ 基本合格")
        if _exact(self.appraisal_max, "民主评议满分") < 0:
            raise ValueError("民主评议满分不能为负数")
        if len(self.ballot_weights) != 4:
            raise ValueError("民主测评须有四个等次的权重")
        for weight in self.ballot_weights:
            if _exact(weight, "测评权重") < 0:
                raise ValueError("民主测评权重不能为负数")
        share = _exact(self.excellent_share, "优秀比例")
        if not 0 <= share <= 1:
            raise ValueError("优秀比例须在 0 到 1 之间")


def default_rules() -> ScoringRules:
    """The DOMAIN.md defaults: base 88/80/72/64; cut-offs base+30 / base+10 / base−10."""
    base_scores = {"A": Decimal("88"), "B": Decimal("80"), "C": Decimal("72"), "D": Decimal("64")}
    cutoffs = {
        category: (base + Decimal("30"), base + Decimal("10"), base - Decimal("10"))
        for category, base in base_scores.items()
    }
    return ScoringRules(base_scores=base_scores, cutoffs=cutoffs)


# --------------------------------------------------------------------------- member data


def _check_month(month: object) -> int:
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"月份须为 1 到 12 的整数：{month!r}")
    return month


def _check_category(category: object) -> str:
    if category not in CATEGORIES:
        raise ValueError(f"未知的党员类别：{category!r}（应为 A、B、C、D 之一）")
    return category  # type: ignore[return-value]


@dataclass(frozen=True)
class Entry:
    """One points-ledger entry, counted in ``month``."""

    month: int
    kind: str
    points: Decimal  # signed: bonus >= 0, deduction <= 0, correction either, clearing ignored

    def __post_init__(self) -> None:
        _check_month(self.month)
        if self.kind not in ENTRY_KINDS:
            raise ValueError(f"未知的积分类型：{self.kind!r}")
        points = _exact(self.points, "分值")
        object.__setattr__(self, "_exact_points", points)  # summed many times: converted once
        if self.kind == BONUS and points < 0:
            raise ValueError(f"贡献加分不能为负数：{self.points}")
        if self.kind == DEDUCTION and points > 0:
            raise ValueError(f"违规扣分须记为负数或零：{self.points}")


@dataclass(frozen=True)
class MemberYear:
    """One member's year: the months on the roll (month -> category), entries, appraisal.

    ``bases`` gives, for a month on the roll, the year's base score of the category held under
    the rule-set version that month is scored with (DOMAIN §3.8: a month keeps the version it was
    opened with). Without it, every month uses the ``ScoringRules`` passed to the functions."""

    months: Mapping[int, str]  # ONLY months on the branch roll
    entries: Sequence[Entry] = ()
    appraisal: Decimal | None = None
    bases: Mapping[int, Decimal] | None = None

    def __post_init__(self) -> None:
        months = dict(self.months)
        for month, category in months.items():
            _check_month(month)
            _check_category(category)
        object.__setattr__(self, "months", months)
        if self.bases is not None:
            bases = dict(self.bases)
            missing = set(months) - set(bases)
            if missing:
                raise ValueError(f"缺少这些月份的基础积分：{sorted(missing)}")
            for month, base in bases.items():
                _check_month(month)
                if _exact(base, "基础积分") < 0:
                    raise ValueError("基础积分不能为负数")
            object.__setattr__(self, "bases", bases)
        entries = tuple(self.entries)
        for entry in entries:
            if not isinstance(entry, Entry):
                raise TypeError(f"积分记录须为 Entry：{entry!r}")
        object.__setattr__(self, "entries", entries)
        if self.appraisal is not None:
            _exact(self.appraisal, "民主评议积分")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PeriodResult:
    """A month, a quarter or the four quarters together; every figure rounded to 2 places."""

    base: Decimal
    bonus: Decimal
    deductions: Decimal  # <= 0 (signed)
    corrections: Decimal
    total: Decimal


@dataclass(frozen=True)
class YearResult:
    quarters: tuple[PeriodResult, PeriodResult, PeriodResult, PeriodResult]
    base: Decimal
    bonus: Decimal
    deductions: Decimal
    corrections: Decimal
    appraisal: Decimal  # 0 when not entered
    total: Decimal  # exact sum of quarters + appraisal, floored at 0, rounded; 0 if cleared
    cleared: bool  # any CLEARING entry in the year
    grade_category: str | None  # category in December, or in the last month on the roll
    grade: str | None  # None if never on the roll


@dataclass(frozen=True)
class _Exact:
    base: Fraction = _ZERO
    bonus: Fraction = _ZERO
    deductions: Fraction = _ZERO
    corrections: Fraction = _ZERO
    cleared: bool = field(default=False)

    @property
    def total(self) -> Fraction:
        found = self.__dict__.get("_total")  # immutable: summed once
        if found is None:
            found = _sum_exact((self.base, self.bonus, self.deductions, self.corrections))
            object.__setattr__(self, "_total", found)
        return found

    def rounded(self) -> PeriodResult:
        return PeriodResult(
            base=_round_half_up(self.base, 2),
            bonus=_round_half_up(self.bonus, 2),
            deductions=_round_half_up(self.deductions, 2),
            corrections=_round_half_up(self.corrections, 2),
            total=_round_half_up(self.total, 2),
        )


def _exact_period(rules: ScoringRules, member: MemberYear, months: Iterable[int]) -> _Exact:
    """The exact sums of ``months``, remembered on ``member`` for ``rules`` (both immutable).

    A points card asks for the same month up to four times (the month, its running total, its
    quarter, the year) and for the same quarter twice: each month is summed from the entries
    once, a longer period from its months.
    """
    memo = member.__dict__.get("_periods")
    if memo is None or memo[0] is not rules:
        memo = (rules, {}, {})  # the rules, sums by month or months, base shares by category
        object.__setattr__(member, "_periods", memo)
    # One month (most calls) is remembered under the month itself, a longer period under the
    # set of its months. (``type(...) is int``: a bool is no month, as _check_month says.)
    if type(months) is tuple and len(months) == 1 and type(months[0]) is int:
        wanted = _check_month(months[0])
    else:
        wanted = frozenset(_check_month(m) for m in months)
        if len(wanted) == 1:
            wanted = next(iter(wanted))
    found = memo[1].get(wanted)
    if found is None:
        if type(wanted) is int:
            found = _sum_month(rules, member, wanted, memo[2])
        else:
            parts = [_exact_period(rules, member, (m,)) for m in sorted(wanted)]
            found = _Exact(
                _sum_exact(p.base for p in parts),
                _sum_exact(p.bonus for p in parts),
                _sum_exact(p.deductions for p in parts),
                _sum_exact(p.corrections for p in parts),
                any(p.cleared for p in parts),
            )
        memo[1][wanted] = found
    return found


def _sum_month(rules: ScoringRules, member: MemberYear, month: int, shares: dict) -> _Exact:
    base = _ZERO
    if month in member.months:
        if member.bases is not None:
            base = _exact(member.bases[month], "基础积分") / 12
        else:
            category = member.months[month]
            base = shares.get(category)
            if base is None:
                base = shares[category] = base_share(rules, category)
    bonus, deductions, corrections = [], [], []
    cleared = False
    # Entries count in their own month whether or not the member was on the roll that month
    # (see the module docstring).
    for entry in member.entries:
        if entry.month != month:
            continue
        if entry.kind == BONUS:
            bonus.append(entry._exact_points)
        elif entry.kind == DEDUCTION:
            deductions.append(entry._exact_points)
        elif entry.kind == CORRECTION:
            corrections.append(entry._exact_points)
        else:  # CLEARING: its points are ignored
            cleared = True
    return _Exact(base, _sum_exact(bonus), _sum_exact(deductions), _sum_exact(corrections), cleared)


# Every figure is on this grid whenever the base scores and the points have at most 2 decimals
# (as stored): a monthly share base / 12 is a whole number of 1/1200 points.
_GRID = 1200


def _sum_exact(values: Iterable[Fraction]) -> Fraction:
    """The exact sum, added as integers in 1/1200 points where a value is on that grid (fast),
    as fractions where it is not."""
    if isinstance(values, list) and len(values) < 2:
        return values[0] if values else _ZERO
    units, rest = 0, _ZERO
    for value in values:
        denominator = value.denominator
        if _GRID % denominator:
            rest += value
        else:
            units += value.numerator * (_GRID // denominator)
    total = Fraction(units, _GRID)
    return total + rest if rest else total


# --------------------------------------------------------------------------- periods


def base_share(rules: ScoringRules, category: str) -> Fraction:
    """The base score earned for one month on the roll in ``category``: base / 12, exactly."""
    _check_category(category)
    return _exact(rules.base_scores[category], "基础积分") / 12


def month_result(rules: ScoringRules, member: MemberYear, month: int) -> PeriodResult:
    return _exact_period(rules, member, (month,)).rounded()


def period_result(rules: ScoringRules, member: MemberYear, months: Iterable[int]) -> PeriodResult:
    """Any set of months summed exactly, e.g. a quarter so far (months 4 and 5 of Q2)."""
    return _exact_period(rules, member, months).rounded()


def quarter_of(month: int) -> int:
    """1..4 for a month 1..12."""
    return (_check_month(month) - 1) // 3 + 1


def quarter_months(quarter: int) -> tuple[int, int, int]:
    if isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4:
        raise ValueError(f"季度须为 1 到 4 的整数：{quarter!r}")
    first = 3 * (quarter - 1) + 1
    return (first, first + 1, first + 2)


def quarter_result(rules: ScoringRules, member: MemberYear, quarter: int) -> PeriodResult:
    """The quarter's points; may be negative (only the annual total is floored)."""
    return _exact_period(rules, member, quarter_months(quarter)).rounded()


def running_totals(rules: ScoringRules, member: MemberYear) -> list[Decimal]:
    """The 12 cumulative month-end totals (exact sums, rounded; no floor, no appraisal)."""
    totals: list[Decimal] = []
    running = _ZERO
    for month in MONTHS:
        running += _exact_period(rules, member, (month,)).total
        totals.append(_round_half_up(running, 2))
    return totals


def _grade_category(member: MemberYear) -> str | None:
    if not member.months:
        return None
    return member.months[max(member.months)]  # December if on the roll, else the last month


def year_result(rules: ScoringRules, member: MemberYear) -> YearResult:
    quarters_exact = [_exact_period(rules, member, quarter_months(q)) for q in range(1, 5)]
    year = _exact_period(rules, member, MONTHS)
    appraisal = (
        _ZERO
        if member.appraisal is None
        else _exact(validate_appraisal_score(rules, member.appraisal))
    )
    cleared = year.cleared
    if cleared:
        total = _ZERO
    else:
        total = max(_ZERO, sum((q.total for q in quarters_exact), _ZERO) + appraisal)
    total_shown = _round_half_up(total, 2)
    category = _grade_category(member)
    grade = None if category is None else grade_for(rules, category, total_shown, cleared)
    q1, q2, q3, q4 = (q.rounded() for q in quarters_exact)
    return YearResult(
        quarters=(q1, q2, q3, q4),
        base=_round_half_up(year.base, 2),
        bonus=_round_half_up(year.bonus, 2),
        deductions=_round_half_up(year.deductions, 2),
        corrections=_round_half_up(year.corrections, 2),
        appraisal=_round_half_up(appraisal, 2),
        total=total_shown,
        cleared=cleared,
        grade_category=category,
        grade=grade,
    )


# --------------------------------------------------------------------------- grades


def grade_for(rules: ScoringRules, category: str, total: Decimal, cleared: bool) -> str:
    """The grade for an annual total (compared after rounding to 2 places)."""
    shown = _exact(round_points(total, 2)) * 100
    return _grade_of_cents(rules, category, shown.numerator, cleared)


def _grade_of_cents(rules: ScoringRules, category: str, cents: int, cleared: bool) -> str:
    _check_category(category)
    if cleared:
        return UNQUALIFIED
    # The cut-offs in cents, exactly, worked out once per rule set (a dashboard grades thousands).
    cutoffs = rules.__dict__.get("_cutoff_cents")
    if cutoffs is None:
        cutoffs = {k: tuple(_exact(c) * 100 for c in cuts) for k, cuts in rules.cutoffs.items()}
        object.__setattr__(rules, "_cutoff_cents", cutoffs)
    excellent_min, qualified_min, basic_min = cutoffs[category]
    if cents >= excellent_min:
        return EXCELLENT
    if cents >= qualified_min:
        return QUALIFIED
    if cents >= basic_min:
        return BASIC
    return UNQUALIFIED


def excellent_quota_exceeded(rules: ScoringRules, *, excellent: int, members: int) -> bool:
    """True when more than ``excellent_share`` of the branch's members are graded 优秀."""
    for what, count in (("优秀人数", excellent), ("党员人数", members)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{what}须为非负整数：{count!r}")
    return excellent > _exact(rules.excellent_share) * members


# --------------------------------------------------------------------------- appraisal

_ONE_DECIMAL = Decimal("0.1")


def appraisal_from_ballots(
    rules: ScoringRules, *, excellent: int, qualified: int, basic: int, unqualified: int
) -> Decimal:
    """max × (w优·优秀 + w合·合格 + w基·基本合格 + w不·不合格) / ballots, half-up to 1 decimal."""
    counts = (excellent, qualified, basic, unqualified)
    for label, count in zip(GRADE_LABELS.values(), counts, strict=True):
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"{label}票数须为整数：{count!r}")
        if count < 0:
            raise ValueError(f"{label}票数不能为负数：{count}")
    ballots = sum(counts)
    if ballots == 0:
        raise ValueError("民主测评票数为零，无法折算民主评议积分")
    weighted = sum(
        (_exact(w, "测评权重") * c for w, c in zip(rules.ballot_weights, counts, strict=True)),
        _ZERO,
    )
    score = _exact(rules.appraisal_max, "民主评议满分") * weighted / ballots
    return _round_half_up(score, 1)


def validate_appraisal_score(rules: ScoringRules, score: Decimal) -> Decimal:
    """A directly entered appraisal score: 0..max, at most one decimal place.

    Returns the score with exactly one decimal place (``Decimal("17")`` -> ``Decimal("17.0")``).
    A value such as ``Decimal("7.20")`` is accepted: its value has one decimal place.
    """
    try:
        value = _exact(score, "民主评议积分")
    except TypeError as exc:
        raise ValueError(f"民主评议积分须为数字：{score!r}") from exc
    maximum = _exact(rules.appraisal_max, "民主评议满分")
    if not 0 <= value <= maximum:
        raise ValueError(f"民主评议积分须在 0 到 {rules.appraisal_max} 之间：{score}")
    if (value * 10).denominator != 1:
        raise ValueError(f"民主评议积分最多保留一位小数：{score}")
    return _round_half_up(value, 1)


# --------------------------------------------------------------------------- the aggregate path
#
# The dashboards, rankings and lists add up thousands of members at once: they read the ledger as
# sums per member and month (in the database) and the roll, categories and versions per month,
# and fold them here. Every figure is an integer number of *units* of 1/1200 point — every stored
# value lies on that grid (a monthly base share base/12 of a base with two decimals is base × 100
# units; 0.01 point is 12 units) — so the fold is exact integer arithmetic, and it gives the same
# figures as the detailed path above: tests/test_engine.py checks that as a hypothesis property
# over random member-years.

UNITS_PER_POINT = 1200


def to_units(value: Decimal | int | Fraction) -> int:
    """An exact number of 1/1200 points (ValueError for a value off that grid)."""
    units = _exact(value, "积分") * UNITS_PER_POINT
    if units.denominator != 1:
        raise ValueError(f"{value} 不是 1/1200 分的整数倍")
    return units.numerator


def from_units(units: int, places: int = 2) -> Decimal:
    return _round_half_up(Fraction(units, UNITS_PER_POINT), places)


_CENT = UNITS_PER_POINT // 100


def units_to_cents(units: int) -> int:
    """Units → whole cents, rounded half away from zero as every shown figure (from_units)."""
    cents, rest = divmod(abs(units), _CENT)
    if 2 * rest >= _CENT:
        cents += 1
    return cents if units >= 0 else -cents


def base_units(annual_base: Decimal) -> int:
    """One month's base share of an annual base score, in units (base / 12)."""
    return to_units(annual_base) // 12


@dataclass(frozen=True)
class MonthUnits:
    """One month of one member, exactly, in units: what the ledger sums and the roll give."""

    base: int = 0
    bonus: int = 0
    deductions: int = 0
    corrections: int = 0
    cleared: bool = False

    @property
    def total(self) -> int:
        return self.base + self.bonus + self.deductions + self.corrections


def month_units(rules: ScoringRules, member: MemberYear, month: int) -> MonthUnits:
    """The detailed path's month, in units."""
    exact = _exact_period(rules, member, (month,))
    return MonthUnits(
        base=to_units(exact.base),
        bonus=to_units(exact.bonus),
        deductions=to_units(exact.deductions),
        corrections=to_units(exact.corrections),
        cleared=exact.cleared,
    )


@dataclass(frozen=True)
class Standing:
    """A member's year so far (months 1..``upto``) and its projection to December.

    * ``running`` (本年累计): the months' totals added up, exactly, then rounded; no floor and no
      appraisal — the running total of the points card;
    * ``total`` (年度总积分 when ``upto`` is 12): ``running`` plus the appraisal, floored at 0,
      0 if a clearing item is recorded;
    * ``projected`` (预计年度积分): what the year would total if nothing else were recorded — the
      base shares of every month on the roll to December, the entries so far and the appraisal,
      floored at 0, 0 if cleared; ``grade`` is its grade (the real one when ``upto`` is 12).
    """

    upto: int
    base: Decimal
    bonus: Decimal
    deductions: Decimal
    corrections: Decimal
    running: Decimal
    appraisal: Decimal | None
    total: Decimal
    projected: Decimal
    cleared: bool
    category: str | None  # held in month ``upto``
    grade_category: str | None  # held in the last month on the roll (December normally)
    grade: str | None


@dataclass(frozen=True)
class YearFigures:
    total: int  # units: the running total plus the appraisal, floored at 0; 0 if cleared
    projected: int  # units: 预计年度积分 — as ``total`` with what the later months add
    grade: str | None  # the grade of ``projected`` (None without a category to grade in)


def year_figures(
    rules: ScoringRules,
    *,
    running: int,
    later: int = 0,
    cleared: bool = False,
    cleared_later: bool = False,
    appraisal: Decimal | None = None,
    grade_category: str | None,
) -> YearFigures:
    """The year's total, projection and grade from a running total in units (months so far),
    what the later months add (units) and the appraisal: the rule the points card's year and the
    stored standings (scoring.standings, oversight.figures) share."""
    appraisal_units = 0 if appraisal is None else to_units(appraisal)
    total = 0 if cleared else max(0, running + appraisal_units)
    cleared_year = cleared or cleared_later
    projected = 0 if cleared_year else max(0, running + later + appraisal_units)
    grade = (
        None
        if grade_category is None
        else _grade_of_cents(rules, grade_category, units_to_cents(projected), cleared_year)
    )
    return YearFigures(total=total, projected=projected, grade=grade)


def standing(
    rules: ScoringRules,
    months: Mapping[int, MonthUnits],
    categories: Mapping[int, str],
    *,
    upto: int = 12,
    appraisal: Decimal | None = None,
) -> Standing:
    """Fold a member's months (units) into the year so far and its projection. ``months`` may
    hold every month of the year (those after ``upto`` count only for the projection); a month
    missing is a month with nothing in it."""
    _check_month(upto)
    so_far = [months[m] for m in range(1, upto + 1) if m in months]
    later = [months[m] for m in months if m > upto]
    cleared = any(m.cleared for m in so_far)
    running = sum(m.total for m in so_far)
    grade_category = categories[max(categories)] if categories else None
    figures = year_figures(
        rules,
        running=running,
        later=sum(m.total for m in later),
        cleared=cleared,
        cleared_later=any(m.cleared for m in later),
        appraisal=appraisal,
        grade_category=grade_category,
    )
    total, projected_total, grade = figures.total, figures.projected, figures.grade
    projected_shown = from_units(projected_total)
    return Standing(
        upto=upto,
        base=from_units(sum(m.base for m in so_far)),
        bonus=from_units(sum(m.bonus for m in so_far)),
        deductions=from_units(sum(m.deductions for m in so_far)),
        corrections=from_units(sum(m.corrections for m in so_far)),
        running=from_units(running),
        appraisal=None if appraisal is None else _round_half_up(_exact(appraisal), 2),
        total=from_units(total),
        projected=projected_shown,
        cleared=cleared,
        category=categories.get(upto),
        grade_category=grade_category,
        grade=grade,
    )
