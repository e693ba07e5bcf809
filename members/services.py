"""Roster workflow: add, edit, change category, transfer, leave.

Every function is a transaction, takes keyword arguments only, checks that ``by`` may make the
change (members.permissions), and writes the history row (CategoryChange, RollPeriod) that makes
the change answerable later.

Closed months are history. A change of category or of the roll changes the base points of every
month from the one it takes effect in, so it may take effect only from a month that the branch
committee of every branch concerned has not closed: an earlier date is refused with a message
naming the first open month and the way to fix a closed month (a correction entry).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from members.models import (
    PARTY_FOUNDED,
    Branch,
    Category,
    CategoryChange,
    Member,
    RollPeriod,
    first_of_month,
)
from members.names import pinyin_sort_key
from members.permissions import require_roster_manager

BULK_BATCH = 1000  # rows per INSERT in members_create_bulk

# Checks that the apps above run before a member's roll ends in a branch (a transfer or leaving):
# ``check(member=, branch=, after=)`` raises ValidationError if the branch still holds something
# of the member's for a month after ``after`` (scoring registers one: entries and declarations).
roll_end_checks: list[Callable[..., None]] = []

# Called after every roll or category change, in its transaction, with the members and the first
# month the change touches: scoring keeps its stored standings (scoring.standings) with the roll.
roster_changed: list[Callable[[list[int], datetime.date], None]] = []


def _roster_changed(member_ids: list[int], since: datetime.date) -> None:
    for hook in roster_changed:
        hook(member_ids, since)


# --- Dates ------------------------------------------------------------------------------------


def month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def next_month_start(month: datetime.date) -> datetime.date:
    return (first_of_month(month) + datetime.timedelta(days=32)).replace(day=1)


def latest_date(today: datetime.date | None = None) -> datetime.date:
    """The last day a roster date may name: the end of next year."""
    today = today or timezone.localdate()
    return datetime.date(today.year + 1, 12, 31)


def check_date_bounds(day: datetime.date, *, field: str, what: str) -> None:
    """Refuse dates before the Party existed (1921-07) or after the end of next year."""
    if day < PARTY_FOUNDED:
        raise ValidationError({field: f"{what}不能早于1921年7月。"})
    if day > latest_date():
        raise ValidationError({field: f"{what}不能晚于{latest_date().year}年底。"})


def first_open_month(branch: Branch) -> datetime.date | None:
    """The first month after the last one the branch committee closed (None: nothing closed)."""
    return next_month_start(branch.closed_through) if branch.closed_through else None


def require_open_from(
    branches: Iterable[Branch], month: datetime.date, *, field: str, what: str
) -> None:
    """Refuse a change taking effect from ``month`` if any of ``branches`` has closed ``month``
    or a later one. The branch rows are locked, so a month cannot be closed meanwhile."""
    month = first_of_month(month)
    ids = sorted({b.pk for b in branches})
    locked = Branch.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    latest = max((b.closed_through for b in locked if b.closed_through), default=None)
    if latest is not None and month <= latest:
        first_open = next_month_start(latest)
        raise ValidationError(
            {
                field: f"{month_label(latest)}及以前的月份已由支委会结账，是历史记录不能改动："
                f"{what}最早可从{month_label(first_open)}起生效。已结账月份的积分如需调整，"
                "请在积分卡上登记更正记录。"
            }
        )


def _branches_on_roll_from(member: Member, month: datetime.date) -> set[Branch]:
    """The branches whose roll holds the member in ``month`` or later."""
    periods = RollPeriod.objects.filter(member=member).filter(
        Q(end__isnull=True) | Q(end__gte=first_of_month(month))
    )
    return set(Branch.objects.filter(pk__in=periods.values("branch_id")))


def next_card_number(*, branch: Branch) -> str:
    """Issue the branch's next points-card number, e.g. "LX0012-0031".

    The counter is bumped with an UPDATE … SET n = n + 1 so two secretaries adding members at the
    same moment still get different numbers, on SQLite and PostgreSQL alike.
    """
    Branch.objects.filter(pk=branch.pk).update(card_sequence=F("card_sequence") + 1)
    sequence = Branch.objects.values_list("card_sequence", flat=True).get(pk=branch.pk)
    return format_card_number(branch_id=branch.pk, sequence=sequence)


def format_card_number(*, branch_id: int, sequence: int) -> str:
    return f"LX{branch_id:04d}-{sequence:04d}"


@transaction.atomic
def member_create(
    *,
    branch: Branch,
    by,
    name: str,
    gender: str,
    id_number: str,
    birth_date: datetime.date,
    joined_party: datetime.date,
    category: str,
    on_roll_from: datetime.date,
    phone: str = "",
    has_plaque: bool = True,
    notes: str = "",
    reason: str = "登记入册",
) -> Member:
    require_roster_manager(by, branch)
    check_date_bounds(on_roll_from, field="on_roll_from", what="入册月份")
    require_open_from([branch], on_roll_from, field="on_roll_from", what="新党员入册")
    member = Member(
        branch=branch,
        name=name,
        gender=gender,
        id_number=id_number,
        birth_date=birth_date,
        joined_party=joined_party,
        phone=phone,
        has_plaque=has_plaque,
        notes=notes,
        card_number=next_card_number(branch=branch),
    )
    member.full_clean(exclude=["card_number"])
    member.save()
    month = first_of_month(on_roll_from)
    RollPeriod.objects.create(
        member=member, branch=branch, start=month, start_reason=reason, created_by=by
    )
    CategoryChange.objects.create(
        member=member, category=category, effective_from=month, reason=reason, created_by=by
    )
    _roster_changed([member.pk], month)
    return member


def member_new(*, branch: Branch, category: str, **fields) -> tuple[Member, str]:
    """An unsaved member as :func:`member_create` would write it, checked without the database
    (uniqueness, the check constraints and the branch are the database's), with its category: for
    :func:`members_create_bulk`, which gives it a card number and writes it."""
    member = Member(branch=branch, **fields)
    member.name_sort = pinyin_sort_key(member.name)
    member.full_clean(
        exclude=["card_number", "branch"], validate_unique=False, validate_constraints=False
    )
    if category not in Category.values:
        raise ValidationError({"category": f"类别“{category}”无效"})
    return member, category


@transaction.atomic
def members_create_bulk(
    *, branch: Branch, by, new: list[tuple[Member, str]], on_roll_from: datetime.date, reason: str
) -> list[Member]:
    """:func:`member_create` for many members of one branch (from :func:`member_new`), in a
    fixed number of queries: the card numbers are reserved with one UPDATE (so they follow the
    list's order, as one member_create after another would give them), then bulk inserts."""
    if not new:
        return []
    require_roster_manager(by, branch)
    check_date_bounds(on_roll_from, field="on_roll_from", what="入册月份")
    require_open_from([branch], on_roll_from, field="on_roll_from", what="新党员入册")
    Branch.objects.filter(pk=branch.pk).update(card_sequence=F("card_sequence") + len(new))
    last = Branch.objects.values_list("card_sequence", flat=True).get(pk=branch.pk)
    first = last - len(new) + 1
    members = [member for member, _ in new]
    for sequence, member in enumerate(members, start=first):
        member.card_number = format_card_number(branch_id=branch.pk, sequence=sequence)
    members = Member.objects.bulk_create(members, batch_size=BULK_BATCH)
    month = first_of_month(on_roll_from)
    RollPeriod.objects.bulk_create(
        [
            RollPeriod(member=m, branch=branch, start=month, start_reason=reason, created_by=by)
            for m in members
        ],
        batch_size=BULK_BATCH,
    )
    CategoryChange.objects.bulk_create(
        [
            CategoryChange(
                member=m, category=category, effective_from=month, reason=reason, created_by=by
            )
            for m, (_, category) in zip(members, new, strict=True)
        ],
        batch_size=BULK_BATCH,
    )
    _roster_changed([m.pk for m in members], month)
    return members


@transaction.atomic
def member_update(*, member: Member, by, **fields) -> Member:
    """Edit the member's particulars (not category, roll or status: those have history)."""
    allowed = {
        "name",
        "gender",
        "id_number",
        "birth_date",
        "joined_party",
        "phone",
        "has_plaque",
        "notes",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"member_update cannot change {sorted(unknown)}")
    require_roster_manager(by, member.branch)
    for field, value in fields.items():
        setattr(member, field, value)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def category_change(
    *, member: Member, by, category: str, effective_from: datetime.date, reason: str
) -> CategoryChange:
    """Record that the member holds `category` from the month of `effective_from` on.

    A second change recorded for the same month replaces nothing: it is refused, so the month's
    category has exactly one recorded answer.
    """
    require_roster_manager(by, member.branch)
    month = first_of_month(effective_from)
    if not reason.strip():
        raise ValidationError({"reason": "请填写类别变更的原因。"})
    check_date_bounds(month, field="effective_from", what="生效月份")
    require_open_from(
        _branches_on_roll_from(member, month) | {member.branch},
        month,
        field="effective_from",
        what="类别变更",
    )
    if CategoryChange.objects.filter(member=member, effective_from=month).exists():
        raise ValidationError(
            {"effective_from": f"{month:%Y年%m月}已有类别变更记录，不能重复登记。"}
        )
    if member.category_in(month) == category:
        raise ValidationError({"category": "该党员在这个月已经是这一类别。"})
    change = CategoryChange.objects.create(
        member=member, category=category, effective_from=month, reason=reason, created_by=by
    )
    _roster_changed([member.pk], month)
    return change


def _close_open_period(*, member: Member, last_month: datetime.date, reason: str) -> RollPeriod:
    period = RollPeriod.objects.select_for_update().filter(member=member, end__isnull=True).first()
    if period is None:
        raise ValidationError("该党员当前不在任何党支部的名册上。")
    last_month = first_of_month(last_month)
    if last_month < period.start:
        raise ValidationError(
            {"date": f"日期不能早于该党员在本支部入册的月份（{period.start:%Y年%m月}）。"}
        )
    # Conditional update: if someone closed it a moment ago, nothing changes and we refuse.
    closed = RollPeriod.objects.filter(pk=period.pk, end__isnull=True).update(
        end=last_month, end_reason=reason
    )
    if not closed:
        raise ValidationError("该党员的组织关系刚被他人修改，请刷新后重试。")
    period.end, period.end_reason = last_month, reason
    return period


@transaction.atomic
def member_transfer(
    *, member: Member, by, to_branch: Branch, date: datetime.date, reason: str
) -> RollPeriod:
    """Move the member to another branch's roll: the old branch keeps the months up to and
    including the month of `date`; the new branch has them from the following month."""
    require_roster_manager(by, member.branch)
    if to_branch.pk == member.branch_id:
        raise ValidationError({"to_branch": "转入党支部不能是当前党支部。"})
    counties = Branch.objects.filter(pk__in=[member.branch_id, to_branch.pk]).values_list(
        "township__county", flat=True
    )
    if len(set(counties)) != 1:
        raise ValidationError({"to_branch": "只能转入本县的党支部；转到县外请办理“转出”。"})
    if not reason.strip():
        raise ValidationError({"reason": "请填写转接原因。"})
    check_date_bounds(date, field="date", what="转接日期")
    first_new = next_month_start(date)
    require_open_from([member.branch, to_branch], first_new, field="date", what="组织关系转接")
    for check in roll_end_checks:
        check(member=member, branch=member.branch, after=first_of_month(date))
    _close_open_period(member=member, last_month=date, reason=f"转出：{reason}")
    Member.objects.filter(pk=member.pk).update(branch=to_branch)
    member.branch = to_branch
    period = RollPeriod.objects.create(
        member=member,
        branch=to_branch,
        start=first_new,
        start_reason=f"转入：{reason}",
        created_by=by,
    )
    _roster_changed([member.pk], first_of_month(date))
    return period


@transaction.atomic
def member_leave(*, member: Member, by, status: str, date: datetime.date, reason: str) -> Member:
    """The member leaves the roll (transferred out of the county, died, membership stopped).

    The month of `date` is the last month on the roll.
    """
    if status == Member.Status.ACTIVE:
        raise ValidationError({"status": "请选择离册的原因类型。"})
    require_roster_manager(by, member.branch)
    if not reason.strip():
        raise ValidationError({"reason": "请填写原因。"})
    check_date_bounds(date, field="date", what="离册日期")
    require_open_from([member.branch], next_month_start(date), field="date", what="离册")
    for check in roll_end_checks:
        check(member=member, branch=member.branch, after=first_of_month(date))
    _close_open_period(
        member=member, last_month=date, reason=f"{Member.Status(status).label}：{reason}"
    )
    updated = Member.objects.filter(pk=member.pk, status=Member.Status.ACTIVE).update(
        status=status, status_date=date
    )
    if not updated:
        raise ValidationError("该党员的状态刚被他人修改，请刷新后重试。")
    member.status, member.status_date = status, date
    _roster_changed([member.pk], first_of_month(date))
    return member
