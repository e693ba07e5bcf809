"""Stored standings: every member's year through each month, kept in ``MonthStanding`` rows.

The figures are the engine's (scoring.engine, the detailed path a points card uses, fed by
scoring.ledger): a row is never computed any other way. They are rewritten in the transaction
that changes what they depend on, so a dashboard can add them up in SQL and still agree with the
card to the cent:

* a ledger entry (``PointsEntry.save`` and the ledger's ``bulk_create`` call :func:`entries_added`);
* a roll or category change (members.services calls the ``roster_changed`` hooks, which this
  app fills in its AppConfig);
* a rule-set publication (scoring.services), which changes the base of every month not yet
  opened.

What the rows do not hold is read beside them where it is decided: the appraisal and the
annual version (the grade's cut-offs) and confirmed annual lines (oversight.figures).

Many entries at once (an import, approving a whole month, the demo) are written inside
:func:`batch`, so that each member's year is recomputed once at the end of the batch — still
inside the caller's transaction.

``manage.py rebuild_standings`` recomputes rows from the ledger and reports any that differ from
those stored (there should be none); ``--check`` only reports.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterable, Iterator

from django.db import connection, transaction

from members.models import RollPeriod
from scoring import engine, ledger
from scoring.models import MonthStanding, PointsEntry

# The rules only key the engine's memo here: every base comes from MemberYear.bases.
_RULES = engine.default_rules()
BATCH_SIZE = 2000
FIELDS = (
    "branch_id",
    "category",
    "base",
    "bonus",
    "deductions",
    "corrections",
    "running",
    "cleared",
    "base_rest",
    "grade_category",
    "bonus_count",
    "deduction_count",
    "clearing_count",
)

_pending: contextvars.ContextVar[set[tuple[int, int]] | None] = contextvars.ContextVar(
    "standings_pending", default=None
)


def compute(member_ids: Iterable[int], year: int) -> list[MonthStanding]:
    """The rows ``member_ids`` should have for ``year``: twelve for each member on a roll or
    with an entry that year, none for the others. Seven queries whatever the number."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return []
    rolls, categories, years = ledger.year_inputs(member_ids, year)
    rows = []
    for member_id in member_ids:
        member_year = years[member_id]
        on_roll = rolls.get(member_id, {})
        held = categories.get(member_id, {})
        if not on_roll and not member_year.entries:
            continue
        units = [engine.month_units(_RULES, member_year, m) for m in engine.MONTHS]
        grade_category = member_year.months[max(member_year.months)] if member_year.months else ""
        counts = {kind: [0] * 13 for kind in engine.ENTRY_KINDS}
        for entry in member_year.entries:
            counts[entry.kind][entry.month] += 1
        base = bonus = deductions = corrections = 0
        bonus_count = deduction_count = clearing_count = 0
        cleared = False
        base_rest = sum(u.base for u in units)
        for month, u in zip(engine.MONTHS, units, strict=True):
            base += u.base
            bonus += u.bonus
            deductions += u.deductions
            corrections += u.corrections
            cleared = cleared or u.cleared
            base_rest -= u.base
            bonus_count += counts[engine.BONUS][month]
            deduction_count += counts[engine.DEDUCTION][month]
            clearing_count += counts[engine.CLEARING][month]
            rows.append(
                MonthStanding(
                    member_id=member_id,
                    year=year,
                    month=month,
                    branch_id=on_roll.get(month),
                    category=held.get(month, "") if month in on_roll else "",
                    base=base,
                    bonus=bonus,
                    deductions=deductions,
                    corrections=corrections,
                    running=base + bonus + deductions + corrections,
                    cleared=cleared,
                    base_rest=base_rest,
                    grade_category=grade_category,
                    bonus_count=bonus_count,
                    deduction_count=deduction_count,
                    clearing_count=clearing_count,
                )
            )
    return rows


def _write(member_ids: list[int], year: int, rows: list[MonthStanding]) -> None:
    MonthStanding.objects.filter(member_id__in=member_ids, year=year).delete()
    if not rows:
        return
    # One statement for any number of rows: bulk_create would split twelve rows a member into
    # many INSERTs (SQLite's limit on parameters), so a roster import of 40 members would cost
    # more queries than one of 3. executemany sends one parameter set per row.
    fields = [f for f in MonthStanding._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(MonthStanding._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def refresh(member_ids: Iterable[int], years: Iterable[int]) -> None:
    """Recompute the stored standings of ``member_ids`` for ``years`` (inside a batch: at its
    end)."""
    member_ids = sorted(set(member_ids))
    years = sorted(set(years))
    pending = _pending.get()
    if pending is not None:
        pending.update((m, y) for m in member_ids for y in years)
        return
    for year in years:
        for start in range(0, len(member_ids), BATCH_SIZE):
            chunk = member_ids[start : start + BATCH_SIZE]
            _write(chunk, year, compute(chunk, year))


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Recompute each member's year once, at the end, however many changes happen inside."""
    if _pending.get() is not None:  # nested: the outer batch does it
        yield
        return
    pending: set[tuple[int, int]] = set()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    by_year: dict[int, set[int]] = {}
    for member_id, year in pending:
        by_year.setdefault(year, set()).add(member_id)
    for year, members in by_year.items():
        refresh(members, [year])


def entries_added(entries: Iterable[PointsEntry]) -> None:
    by_year: dict[int, set[int]] = {}
    for entry in entries:
        by_year.setdefault(entry.year, set()).add(entry.member_id)
    for year, members in by_year.items():
        refresh(members, [year])


def roster_changed(member_ids: Iterable[int], since: datetime.date) -> None:
    """A roll or category change from ``since`` on: every year from then to this one."""
    this_year = datetime.date.today().year
    refresh(member_ids, range(since.year, max(since.year, this_year) + 1))


def members_of_year(year: int, county_id: int | None = None) -> list[int]:
    """Everyone on a roll at some time in ``year`` (in the county, if given)."""
    periods = RollPeriod.objects.filter(start__lte=datetime.date(year, 12, 1)).exclude(
        end__lt=datetime.date(year, 1, 1)
    )
    if county_id is not None:
        periods = periods.filter(branch__township__county=county_id)
    with_entries = PointsEntry.objects.filter(year=year)
    if county_id is not None:
        with_entries = with_entries.filter(branch__township__county=county_id)
    return sorted(
        set(periods.values_list("member_id", flat=True))
        | set(with_entries.values_list("member_id", flat=True).distinct())
    )


def year_changed(year: int, county_id: int | None = None) -> None:
    """A rule-set publication: the base of every month not opened yet may have changed."""
    refresh(members_of_year(year, county_id), [year])


def differences(
    member_ids: Iterable[int], year: int
) -> tuple[list[MonthStanding], list[MonthStanding], int]:
    """The rows the ledger gives, those of them the stored rows do not match, and the number of
    stored rows the ledger does not give at all (the last two should be nothing)."""
    member_ids = sorted(set(member_ids))
    rows = compute(member_ids, year)
    fresh = {(r.member_id, r.month): r for r in rows}
    stored = {
        (r.member_id, r.month): r
        for r in MonthStanding.objects.filter(member_id__in=member_ids, year=year)
    }
    wrong = [
        row
        for key, row in fresh.items()
        if key not in stored or any(getattr(stored[key], f) != getattr(row, f) for f in FIELDS)
    ]
    return rows, wrong, len(set(stored) - set(fresh))


def rebuild(year: int, county_id: int | None = None, *, write: bool = True) -> tuple[int, int, int]:
    """Recompute a year's stored standings from the ledger (a county's, or all). Returns (rows
    computed, rows that differed from those stored, stored rows the ledger does not give); with
    ``write`` the stored rows are replaced by the computed ones."""
    members = members_of_year(year, county_id)
    computed = differing = extra = 0
    for start in range(0, len(members), BATCH_SIZE):
        chunk = members[start : start + BATCH_SIZE]
        rows, wrong, stale = differences(chunk, year)
        computed += len(rows)
        differing += len(wrong)
        extra += stale
        if write and (wrong or stale):
            with transaction.atomic():
                _write(chunk, year, rows)
    return computed, differing, extra


def years_with_data() -> list[int]:
    """Every year someone was on a roll or had an entry, up to this one."""
    first = RollPeriod.objects.order_by("start").values_list("start", flat=True).first()
    entries = PointsEntry.objects.order_by("year").values_list("year", flat=True)
    first_year = min(
        [y for y in (first and first.year, entries.first()) if y is not None], default=None
    )
    if first_year is None:
        return []
    last_year = max(datetime.date.today().year, entries.reverse().first() or 0)
    return list(range(first_year, last_year + 1))


def rebuild_all(county_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    """:func:`rebuild` for every year with data."""
    return {year: rebuild(year, county_id) for year in years_with_data()}
