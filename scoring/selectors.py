"""Read-only queries of the month screen and the points card: what a page shows, built with a
fixed number of queries whatever the branch's size. They never write (a page may be opened by
anyone in scope, and opening it changes nothing)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from members.models import Branch, Member
from scoring import engine, ledger, periods, services, versions
from scoring.models import BranchMonth, Declaration, PointsEntry, RuleItem, RuleSet


@dataclass
class MonthScreen:
    branch: Branch
    year: int
    month: int
    branch_month: BranchMonth  # unsaved while the month has not been opened
    rule_set: RuleSet
    members: list[Member]
    # One dict per member: member, category, month and quarter so far (engine.PeriodResult),
    # declarations and entries of the month.
    rows: list[dict]
    items_by_kind: dict[str, list[RuleItem]]
    declarations: list[Declaration]
    entries: list[PointsEntry]

    @property
    def quarter(self) -> int:
        return engine.quarter_of(self.month)

    @property
    def is_open(self) -> bool:
        return self.branch_month.is_open

    @property
    def waiting(self) -> list[Declaration]:
        return [d for d in self.declarations if d.status == Declaration.Status.SUBMITTED]

    @property
    def totals(self) -> dict:
        return {
            "members": len(self.members),
            "declarations": len(self.declarations),
            "approved": sum(
                1 for d in self.declarations if d.status == Declaration.Status.APPROVED
            ),
            "deductions": sum(1 for e in self.entries if e.kind == PointsEntry.Kind.DEDUCTION),
            "clearing": sum(1 for e in self.entries if e.kind == PointsEntry.Kind.CLEARING),
        }

    @property
    def default_date(self) -> datetime.date:
        """Today, or the month's last day for a past month."""
        from django.utils import timezone

        return min(timezone.localdate(), periods.last_day(self.year, self.month))


def month_screen(branch: Branch, year: int, month: int) -> MonthScreen | None:
    """Everything the month screen shows (None when the year has no published rule set)."""
    branch_month = services.month_view(branch=branch, year=year, month=month)
    if branch_month is None:
        return None
    first = datetime.date(year, month, 1)
    members = list(Member.objects.on_roll(branch, first).order_by("name_sort", "pk").distinct())
    # A month not opened yet is shown with the version it would be opened with (one look-up).
    in_force = versions.UNKNOWN
    if branch_month.pk is None:
        in_force = {branch.pk: branch_month.rule_set_id}
    years = ledger.member_years([m.pk for m in members], year, in_force=in_force)
    scoring_rules = branch_month.rule_set.scoring_rules()
    so_far = [m for m in engine.quarter_months(engine.quarter_of(month)) if m <= month]
    declarations = list(
        Declaration.objects.filter(branch=branch, year=year, month=month)
        .select_related("item", "created_by__official")
        .order_by("occurred_on", "pk")
    )
    entries = list(
        PointsEntry.objects.filter(branch=branch, year=year, month=month)
        .exclude(kind=PointsEntry.Kind.BONUS)
        .select_related("item", "created_by__official")
        .order_by("created_at", "pk")
    )
    rows = {
        member.pk: {
            "member": member,
            "category": years[member.pk].months.get(month),
            "month": engine.month_result(scoring_rules, years[member.pk], month),
            "quarter": engine.period_result(scoring_rules, years[member.pk], so_far),
            "declarations": [],
            "entries": [],
        }
        for member in members
    }
    for declaration in declarations:
        if declaration.member_id in rows:
            rows[declaration.member_id]["declarations"].append(declaration)
    for entry in entries:
        if entry.member_id in rows:
            rows[entry.member_id]["entries"].append(entry)
    items = list(services.active_items(branch=branch, rule_set=branch_month.rule_set))
    return MonthScreen(
        branch=branch,
        year=year,
        month=month,
        branch_month=branch_month,
        rule_set=branch_month.rule_set,
        members=members,
        rows=list(rows.values()),
        items_by_kind={kind: [i for i in items if i.kind == kind] for kind in RuleItem.Kind.values},
        declarations=declarations,
        entries=entries,
    )


def month_links(year: int, month: int, *, today: datetime.date) -> dict:
    """The month screen's navigation: the month before, the month after (not in the future),
    and every month of the year so far."""
    current = (today.year, today.month)
    following = periods.next_month(year, month)
    return {
        "prev": periods.previous_month(year, month),
        "next": following if following <= current else None,
        "all": [(year, m) for m in range(1, 13) if (year, m) <= current],
    }


def waiting_count(declaration: Declaration) -> int:
    """How many entries of the declaration's month wait for review."""
    return Declaration.objects.filter(
        branch=declaration.branch,
        year=declaration.year,
        month=declaration.month,
        status=Declaration.Status.SUBMITTED,
    ).count()


def next_waiting(declaration: Declaration) -> Declaration | None:
    """The month's next entry waiting for review after ``declaration`` (then from the start)."""
    waiting = Declaration.objects.filter(
        branch=declaration.branch,
        year=declaration.year,
        month=declaration.month,
        status=Declaration.Status.SUBMITTED,
    ).order_by("occurred_on", "pk")
    after = waiting.filter(
        Q(occurred_on__gt=declaration.occurred_on)
        | Q(occurred_on=declaration.occurred_on, pk__gt=declaration.pk)
    ).first()
    return after or waiting.exclude(pk=declaration.pk).first()
