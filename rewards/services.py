"""The spendable balance, the shop and the red fund (DOMAIN §7): keyword-only functions, one
transaction each, each checking that ``by`` may take the step.

Three invariants, each held by a lock and checked after taking it:
* a member's balance never goes below zero — every writer locks the member's ``MemberAccount``
  row first (SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction is the lock);
* an item's stock never goes below zero — the redemption locks the goods rows, in id order;
* a township's red fund never pays more than it holds — payment locks the ``RedFund`` row.
Lock order is always account → goods → fund → chain heads, so two writers never deadlock.

Nothing here writes to scoring or evaluations: spending never changes a grade, a notice or a
rank.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.transitions import record_created, transition
from members.models import Branch, Member, Township
from members.permissions import (
    NOT_ALLOWED,
    official_of,
    require_county_admin,
    require_secretary,
)
from rewards.models import (
    ZERO,
    BalanceEntry,
    ExchangeLimit,
    ExchangeRule,
    FundIncome,
    FundPayment,
    Goods,
    MemberAccount,
    Redemption,
    RedemptionLine,
    RedFund,
    Shop,
    StockMovement,
)
from scoring.periods import last_day, period_months

CENT = Decimal("0.01")
MAX_QUANTITY = 1000  # one line at a village counter; more is a typing error


def q2(value) -> Decimal:
    return Decimal(value).quantize(CENT)


# --- Who may do what ----------------------------------------------------------------------------


def can_serve(user, shop: Shop) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Shop.objects.for_server(user).filter(pk=shop.pk).exists()


def require_server(by, shop: Shop) -> None:
    """The counter and the stock: the shop's shopkeeper, or a secretary of a branch it serves."""
    if by is None:
        raise PermissionDenied("未指明操作人。")
    if not can_serve(by, shop):
        raise PermissionDenied(NOT_ALLOWED)


def is_fund_official(user, township: Township) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    official = official_of(user)
    return official is not None and official.is_township and official.township_id == township.pk


def require_fund_official(by, township: Township) -> None:
    """The red fund's entries and payments: the township's officials."""
    if by is None:
        raise PermissionDenied("未指明操作人。")
    if not is_fund_official(by, township):
        raise PermissionDenied(NOT_ALLOWED)


# --- Exchange rules -----------------------------------------------------------------------------


def rule_in_force(branch: Branch, day: datetime.date) -> ExchangeRule:
    """The branch's rule valid on ``day``; without one, the defaults of DOMAIN §7 (unsaved)."""
    rule = branch.exchange_rules.filter(valid_from__lte=day).order_by("-valid_from").first()
    return rule or ExchangeRule(branch=branch, valid_from=day, **ExchangeRule.DEFAULTS)


LIMIT_FIELDS = {
    "per_bonus_point": ("max_per_bonus_point", "每 1 贡献加分兑换积分"),
    "excellent": ("max_excellent", "优秀奖励"),
    "qualified": ("max_qualified", "合格奖励"),
    "basic": ("max_basic", "基本合格奖励"),
    "unqualified": ("max_unqualified", "不合格奖励"),
}


def rules_in_force_and_later(branches, day: datetime.date) -> dict[Branch, list[ExchangeRule]]:
    """Per branch, the rule in force on ``day`` (the defaults, unsaved, without one) and every
    version already set to start later, in one query."""
    branches = list(branches)
    found: dict[int, list[ExchangeRule]] = defaultdict(list)
    for rule in ExchangeRule.objects.filter(branch__in=branches).order_by("branch", "-valid_from"):
        found[rule.branch_id].append(rule)
    result = {}
    for branch in branches:
        later = [r for r in found[branch.pk] if r.valid_from > day]
        current = next((r for r in found[branch.pk] if r.valid_from <= day), None)
        current = current or ExchangeRule(branch=branch, valid_from=day, **ExchangeRule.DEFAULTS)
        result[branch] = [current, *reversed(later)]
    return result


@transaction.atomic
def limit_set(*, township: Township, by, **values) -> ExchangeLimit:
    """The township's officials set the ceilings on its branches' exchange rules.

    A ceiling below what a branch's rule in force (or a version set to start later) already
    gives is refused, naming the branches: lowering it silently would leave a rule the service
    would now refuse, and the branch's members would be credited above the township's own limit.
    The branches lower their rules first (a new version), then the township lowers the limit."""
    require_fund_official(by, township)
    limit, _ = ExchangeLimit.objects.select_for_update().get_or_create(
        township=township, defaults={"updated_by": by}
    )
    for name, value in values.items():
        setattr(limit, name, value)
    errors: dict[str, str] = {}
    rules = rules_in_force_and_later(
        Branch.objects.filter(township=township).order_by("position", "pk"), timezone.localdate()
    )
    for name, (limit_name, label) in LIMIT_FIELDS.items():
        ceiling = getattr(limit, limit_name)
        if ceiling is None or ceiling < 0:
            errors[limit_name] = f"{label}上限不能为负数。"
            continue
        above = []
        for branch, versions in rules.items():
            highest = max(versions, key=lambda rule: getattr(rule, name))
            if getattr(highest, name) > ceiling:
                default = "，默认规则" if highest.pk is None else ""
                above.append(f"{branch.name}（{getattr(highest, name)}{default}）")
        if above:
            errors[limit_name] = (
                f"{label}上限 {ceiling} 低于这些党支部现行或已定的兑换规则："
                + "、".join(above)
                + "。请先由这些党支部设定不超过该上限的新版本规则，再降低上限。"
            )
    if errors:
        raise ValidationError(errors)
    limit.updated_by, limit.updated_at = by, timezone.now()
    limit.save()
    return limit


@transaction.atomic
def rule_set(*, branch: Branch, valid_from: datetime.date, by, **values) -> ExchangeRule:
    """The branch secretary sets a new version of the exchange rule, within the township's
    limits (refused field by field, in Chinese, when above one)."""
    require_secretary(by, branch)
    limit = ExchangeLimit.objects.filter(township_id=branch.township_id).first()
    rule = ExchangeRule(branch=branch, valid_from=valid_from, created_by=by)
    for name, value in {**ExchangeRule.DEFAULTS, **values}.items():
        setattr(rule, name, value)
    errors = {}
    for name, (limit_name, label) in LIMIT_FIELDS.items():
        value = getattr(rule, name)
        if value < 0:
            errors[name] = f"{label}不能为负数。"
        elif limit is not None and value > getattr(limit, limit_name):
            errors[name] = f"{label}超过乡镇规定的上限 {getattr(limit, limit_name)}。"
    if errors:
        raise ValidationError(errors)
    if branch.exchange_rules.filter(valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "这一天已有一版兑换规则，请换一个生效日期。"})
    rule.save()
    return rule


# --- The spendable balance ----------------------------------------------------------------------


def balance_of(member: Member) -> Decimal:
    total = BalanceEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"]
    return q2(total or ZERO)


def balances(member_ids) -> dict[int, Decimal]:
    rows = (
        BalanceEntry.objects.filter(member_id__in=list(member_ids))
        .values("member_id")
        .annotate(s=Sum("points"))
    )
    return {row["member_id"]: q2(row["s"]) for row in rows}


def _lock_accounts(member_ids) -> None:
    """Create the accounts that do not exist yet and lock all of them, in id order."""
    ids = sorted(set(member_ids))
    MemberAccount.objects.bulk_create(
        [MemberAccount(member_id=pk) for pk in ids], ignore_conflicts=True
    )
    list(MemberAccount.objects.select_for_update().filter(member_id__in=ids).order_by("pk"))


def credit_on_approval(*, assessment, log, by) -> list[BalanceEntry]:
    """Registered in evaluations.services.approval_hooks: credit every member of an approved
    quarter or year, inside the approval's transaction.

    Each period is settled, not added to: credit = target − what is already credited for it,
    so an approval that runs again credits nothing more, and a figure that changed since is
    adjusted by a delta entry. A quarter's target is its approved contribution points (贡献加分)
    × the rule's rate; the year's target covers the whole year (the year's contribution points
    × the rate + the grade's bonus) less what the quarters already credited — so a correction
    made after a quarter was approved is settled at the year, and a cleared year (积分清零)
    takes back what its quarters credited (never more than the balance still holds). A member
    held back by the meeting is settled at the next approval. The database refuses a second
    credit row for one member and one approval."""
    lines = [
        line for line in assessment.lines.all() if not line.held_back and line.member_id is not None
    ]
    if not lines:
        return []
    ids = [line.member_id for line in lines]
    _lock_accounts(ids)
    rule = rule_in_force(
        assessment.branch, last_day(assessment.year, period_months(assessment.period)[-1])
    )
    rate = rule.per_bonus_point
    credited: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in (
        BalanceEntry.objects.filter(
            kind=BalanceEntry.Kind.CREDIT, member_id__in=ids, year=assessment.year
        )
        .values("member_id", "period")
        .annotate(s=Sum("points"))
    ):
        credited[(row["member_id"], row["period"])] = row["s"]
    held = balances(ids)
    entries = []
    for line in lines:
        bonus = max(line.bonus, ZERO)
        if assessment.is_annual:
            target = ZERO if line.cleared else bonus * rate + rule.grade_bonus(line.grade)
            already = sum((v for (m, _p), v in credited.items() if m == line.member_id), start=ZERO)
        else:
            target = ZERO if line.cleared else bonus * rate
            already = credited[(line.member_id, assessment.period)]
        delta = q2(target - already)
        if delta < 0:
            delta = max(delta, -held.get(line.member_id, ZERO))
        if delta == 0:
            continue
        entries.append(
            BalanceEntry(
                member_id=line.member_id,
                branch_id=assessment.branch_id,
                kind=BalanceEntry.Kind.CREDIT,
                points=delta,
                year=assessment.year,
                period=assessment.period,
                assessment=assessment,
                approval=log,
                note=f"{assessment.title_period}审核通过" + ("（更正）" if already else ""),
                created_by=by,
                created_at=log.at,  # credited at the approval (the same moment in real use)
            )
        )
    if entries:
        BalanceEntry.objects.bulk_create(entries)
    return entries


# --- Lapses -------------------------------------------------------------------------------------


def lapse_year_due(on: datetime.date) -> int:
    """The last year whose credits may lapse on ``on``: a year's credits stay spendable through
    the end of the following year, so on 1 January 2028 what 2026 credited and is unspent lapses."""
    return on.year - 2


def branches_that_lapse(on: datetime.date):
    """Branches whose rule in force at the end of last year says unspent balance lapses (only
    branches that ever set a rule with ``lapses`` can: the default keeps the balance)."""
    end_of_last_year = datetime.date(on.year - 1, 12, 31)
    candidates = Branch.objects.filter(exchange_rules__lapses=True).distinct().order_by("pk")
    return [b for b in candidates if rule_in_force(b, end_of_last_year).lapses]


@transaction.atomic
def lapse_branch(*, branch: Branch, on: datetime.date, by) -> list[BalanceEntry]:
    """Lapse what the branch's members were credited for years up to ``lapse_year_due(on)`` and
    have not spent, as new (negative) entries; the old credits stay as they were.

    Spending uses the oldest credits first, so what is still unspent of those years is their
    credits less everything spent, reversed or lapsed so far (never more than the balance).
    That figure is settled, not added to: once lapsed it is zero, so running the job again — or
    twice at once, since each run locks the members' account rows first and computes after the
    lock — lapses nothing more. The member's own branch decides (a member who moved follows the
    new branch's rule)."""
    require_county_admin(by, branch.township.county)
    year = lapse_year_due(on)
    if not rule_in_force(branch, datetime.date(on.year - 1, 12, 31)).lapses:
        return []
    ids = list(
        BalanceEntry.objects.filter(member__branch=branch)
        .order_by()  # the model's ordering would split DISTINCT and GROUP BY per row
        .values_list("member_id", flat=True)
        .distinct()
    )
    if not ids:
        return []
    _lock_accounts(ids)
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in (
        BalanceEntry.objects.filter(member_id__in=ids)
        .order_by()
        .values("member_id", "kind", "year")
        .annotate(s=Sum("points"))
    ):
        totals = sums[row["member_id"]]
        totals["balance"] += row["s"]
        if row["kind"] != BalanceEntry.Kind.CREDIT:
            totals["used"] += row["s"]  # spent, given back or lapsed (negative overall)
        elif row["year"] is not None and row["year"] <= year:
            totals["old"] += row["s"]
    entries = []
    for member_id in sorted(ids):
        totals = sums[member_id]
        due = q2(min(totals["old"] + totals["used"], totals["balance"]))
        if due <= 0:
            continue
        entries.append(
            BalanceEntry(
                member_id=member_id,
                branch_id=branch.pk,
                kind=BalanceEntry.Kind.LAPSE,
                points=-due,
                year=year,
                note=f"{year} 年及以前的兑换积分到 {year + 1} 年底未用完，按兑换规则作废",
                created_by=by,
            )
        )
    if entries:
        BalanceEntry.objects.bulk_create(entries)
    return entries


def lapse_due(*, on: datetime.date, by) -> dict[Branch, list[BalanceEntry]]:
    """The daily job (manage.py lapse_balances): every branch whose rule lapses, one
    transaction per branch so a county-wide run never holds every member's lock at once."""
    done = {}
    for branch in branches_that_lapse(on):
        entries = lapse_branch(branch=branch, on=on, by=by)
        if entries:
            done[branch] = entries
    return done


# --- The shop: goods and stock ------------------------------------------------------------------


def customers(shop: Shop):
    """The members the shop serves: those of the branches it serves."""
    return Member.objects.filter(branch__in=shop.branches.all(), status=Member.Status.ACTIVE)


def stock_levels(goods_ids) -> dict[int, int]:
    rows = (
        StockMovement.objects.filter(goods_id__in=list(goods_ids))
        .values("goods_id")
        .annotate(s=Sum("quantity"))
    )
    return {row["goods_id"]: row["s"] or 0 for row in rows}


@transaction.atomic
def goods_create(*, shop: Shop, name: str, unit: str, price, by) -> Goods:
    require_server(by, shop)
    price = q2(price)
    if price < 0:
        raise ValidationError({"price": "兑换价不能为负数。"})
    if Goods.objects.filter(shop=shop, name=name, unit=unit).exists():
        raise ValidationError({"name": f"本超市已有“{name}（{unit}）”。"})
    return Goods.objects.create(shop=shop, name=name, unit=unit, price=price)


@transaction.atomic
def stock_receive(
    *,
    goods: Goods,
    quantity: int,
    source: str,
    by,
    amount_yuan=None,
    donor: str = "",
    on_date: datetime.date | None = None,
    reason: str = "",
) -> StockMovement:
    """Goods come in: donated, or bought from collective income or the red fund (with yuan)."""
    require_server(by, goods.shop)
    if quantity <= 0 or quantity > MAX_QUANTITY * 10:
        raise ValidationError({"quantity": "入库数量须为正整数。"})
    if source not in StockMovement.Source.values:
        raise ValidationError({"source": "请选择来源。"})
    if source != StockMovement.Source.DONATED and amount_yuan is None:
        raise ValidationError({"amount_yuan": "购买的物品请填写金额（元）。"})
    if amount_yuan is not None and amount_yuan < 0:
        raise ValidationError({"amount_yuan": "金额不能为负数。"})
    movement = StockMovement(
        shop=goods.shop,
        goods=goods,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        source=source,
        donor=donor,
        amount_yuan=None if amount_yuan is None else q2(amount_yuan),
        reason=reason,
        on_date=on_date or timezone.localdate(),
        created_by=by,
    )
    movement.save()
    return movement


@transaction.atomic
def stock_adjust(*, goods: Goods, quantity: int, reason: str, by) -> StockMovement:
    """A count that differs, breakage, spoilage: ± quantity with the reason; never below zero."""
    require_server(by, goods.shop)
    if not reason.strip():
        raise ValidationError({"reason": "调整库存请写明原因。"})
    if quantity == 0:
        raise ValidationError({"quantity": "调整数量不能为 0。"})
    Goods.objects.select_for_update().filter(pk=goods.pk).first()
    stock = stock_levels([goods.pk]).get(goods.pk, 0)
    if stock + quantity < 0:
        raise ValidationError(
            {"quantity": f"{goods.name}现有库存 {stock}{goods.unit}，不能减少这么多。"}
        )
    movement = StockMovement(
        shop=goods.shop,
        goods=goods,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=quantity,
        reason=reason.strip(),
        created_by=by,
    )
    movement.save()
    return movement


# --- The counter --------------------------------------------------------------------------------


def find_customer(shop: Shop, card: str) -> Member | None:
    """The member behind a typed card number, or the token of the card's QR link — only among
    the shop's customers: anyone else answers exactly like an unknown card."""
    card = (card or "").strip()
    if "/c/" in card:  # the card's link itself (what its QR code holds): take the token
        card = card.split("/c/")[-1].split("?")[0].split("#")[0].strip("/")
    if not card or len(card) > 64:
        return None
    found = customers(shop).select_related("branch")
    member = found.filter(card_number=card).first()
    if member is None:
        member = found.filter(card_links__token=card, card_links__revoked_at__isnull=True).first()
    return member


@transaction.atomic
def redeem(*, shop: Shop, member: Member, items, collected_by: str, by) -> Redemption:
    """Exchange points for goods: ``items`` is ``[(goods_id, quantity), …]``. Refused, with a
    Chinese message and nothing written, when the balance or a stock would go below zero — also
    when two counters serve the same family at once (the account lock makes them take turns)."""
    require_server(by, shop)
    if not customers(shop).filter(pk=member.pk).exists():
        raise ValidationError("该积分卡不属于本超市服务的村。")
    collected_by = (collected_by or "").strip()
    if not collected_by:
        raise ValidationError({"collected_by": "请填写领取人姓名（党员本人或家属）。"})
    wanted: dict[int, int] = defaultdict(int)
    for goods_id, quantity in items:
        if quantity:
            wanted[int(goods_id)] += int(quantity)
    if not wanted:
        raise ValidationError("请至少选择一件商品。")
    if any(q <= 0 or q > MAX_QUANTITY for q in wanted.values()):
        raise ValidationError(f"数量须在 1 到 {MAX_QUANTITY} 之间。")
    _lock_accounts([member.pk])
    goods = list(
        Goods.objects.select_for_update()
        .filter(shop=shop, pk__in=list(wanted), active=True)
        .order_by("pk")
    )
    if len(goods) != len(wanted):
        raise ValidationError("所选商品已下架或不属于本超市，请刷新页面后重选。")
    stock = stock_levels(wanted)
    short = [
        f"{g.name}库存只有 {stock.get(g.pk, 0)}{g.unit}"
        for g in goods
        if stock.get(g.pk, 0) < wanted[g.pk]
    ]
    if short:
        raise ValidationError("库存不足：" + "；".join(short) + "。")
    total = q2(sum((g.price * wanted[g.pk] for g in goods), start=ZERO))
    balance = balance_of(member)
    if total > balance:
        raise ValidationError(f"兑换积分不足：本次需要 {total}，余额只有 {balance}。")
    redemption = Redemption.objects.create(
        shop=shop, member=member, collected_by=collected_by, total_points=total, created_by=by
    )
    RedemptionLine.objects.bulk_create(
        RedemptionLine(
            redemption=redemption,
            goods=g,
            quantity=wanted[g.pk],
            price=g.price,
            points=q2(g.price * wanted[g.pk]),
        )
        for g in goods
    )
    record_created(redemption, by=by, reason=f"领取人：{collected_by}")
    if total > 0:
        BalanceEntry(
            member=member,
            branch_id=member.branch_id,
            kind=BalanceEntry.Kind.REDEMPTION,
            points=-total,
            redemption=redemption,
            note=f"{shop.name}兑换",
            created_by=by,
        ).save()
    StockMovement.objects.bulk_create(
        StockMovement(
            shop=shop,
            goods=g,
            kind=StockMovement.Kind.REDEMPTION,
            quantity=-wanted[g.pk],
            redemption=redemption,
            created_by=by,
        )
        for g in goods
    )
    return redemption


@transaction.atomic
def redemption_reverse(*, redemption: Redemption, reason: str, by) -> Redemption:
    """Undo a mistaken redemption: the points and the goods come back by new entries; the
    original rows stay as they were."""
    require_server(by, redemption.shop)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "撤销兑换请写明原因。"})
    _lock_accounts([redemption.member_id])
    transition(redemption, "reverse", by=by, reason=reason)
    if redemption.total_points > 0:
        BalanceEntry(
            member_id=redemption.member_id,
            branch_id=redemption.member.branch_id,
            kind=BalanceEntry.Kind.REVERSAL,
            points=redemption.total_points,
            redemption=redemption,
            note=f"撤销兑换 No.{redemption.pk}：{reason}"[:200],
            created_by=by,
        ).save()
    StockMovement.objects.bulk_create(
        StockMovement(
            shop_id=redemption.shop_id,
            goods_id=line.goods_id,
            kind=StockMovement.Kind.REVERSAL,
            quantity=line.quantity,
            redemption=redemption,
            reason=reason[:200],
            created_by=by,
        )
        for line in redemption.lines.all()
    )
    return redemption


# --- The red fund -------------------------------------------------------------------------------


def fund_for(township: Township) -> RedFund:
    """The township's fund row, created on its first entry (writers only)."""
    return RedFund.objects.get_or_create(township=township)[0]


def fund_for_read(township: Township) -> RedFund | None:
    """The fund row for a page, or None before the first entry: GET never writes."""
    return RedFund.objects.filter(township=township).first()


def fund_balance(fund: RedFund) -> Decimal:
    income = FundIncome.objects.filter(fund=fund).aggregate(s=Sum("amount"))["s"] or ZERO
    paid = (
        FundPayment.objects.filter(fund=fund, status=FundPayment.Status.PAID).aggregate(
            s=Sum("amount")
        )["s"]
        or ZERO
    )
    return q2(income - paid)


@transaction.atomic
def fund_income(
    *,
    township: Township,
    source: str,
    source_name: str,
    amount,
    received_on: datetime.date,
    doc_no: str = "",
    by,
) -> FundIncome:
    require_fund_official(by, township)
    amount = q2(amount)
    if amount <= 0:
        raise ValidationError({"amount": "金额须大于 0。"})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "到账日期不能晚于今天。"})
    income = FundIncome(
        fund=fund_for(township),
        source=source,
        source_name=source_name.strip(),
        amount=amount,
        received_on=received_on,
        doc_no=doc_no.strip(),
        created_by=by,
    )
    income.save()
    return income


@transaction.atomic
def payment_propose(
    *,
    township: Township,
    purpose: str,
    amount,
    reason: str,
    by,
    member: Member | None = None,
    payee: str = "",
) -> FundPayment:
    require_fund_official(by, township)
    amount = q2(amount)
    if amount <= 0:
        raise ValidationError({"amount": "金额须大于 0。"})
    if purpose != FundPayment.Purpose.GOODS and member is None:
        raise ValidationError({"member": "慰问和奖励须选定党员。"})
    if member is not None and member.branch.township_id != township.pk:
        raise ValidationError({"member": "只能向本乡镇的党员支出。"})
    if not reason.strip():
        raise ValidationError({"reason": "请写明事由。"})
    payment = FundPayment.objects.create(
        fund=fund_for(township),
        purpose=purpose,
        member=member,
        payee=payee.strip(),
        amount=amount,
        reason=reason.strip(),
        proposed_by=by,
    )
    record_created(payment, by=by, reason=reason.strip()[:500])
    return payment


@transaction.atomic
def payment_approve(*, payment: FundPayment, by, comment: str = "") -> FundPayment:
    """A second official approves: never the one who proposed it."""
    require_fund_official(by, payment.fund.township)
    if by.pk == payment.proposed_by_id:
        raise ValidationError("提出支出的人不能审批自己的申请，请由另一位乡镇干部审批。")
    transition(payment, "approve", by=by, reason=comment.strip() or "同意", approved_by=by)
    return payment


@transaction.atomic
def payment_reject(*, payment: FundPayment, by, comment: str) -> FundPayment:
    require_fund_official(by, payment.fund.township)
    if not comment.strip():
        raise ValidationError({"comment": "不予批准请写明理由。"})
    transition(payment, "reject", by=by, reason=comment.strip())
    return payment


@transaction.atomic
def payment_pay(
    *, payment: FundPayment, paid_on: datetime.date, by, doc_no: str = ""
) -> FundPayment:
    """Pay an approved payment: refused when the fund does not hold the amount."""
    require_fund_official(by, payment.fund.township)
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "支付日期不能晚于今天。"})
    RedFund.objects.select_for_update().filter(pk=payment.fund_id).first()
    balance = fund_balance(payment.fund)
    if payment.amount > balance:
        raise ValidationError(f"红色基金余额不足：需支付 {payment.amount} 元，余额 {balance} 元。")
    transition(
        payment,
        "pay",
        by=by,
        reason=f"支付 {paid_on:%Y-%m-%d}",
        paid_on=paid_on,
        doc_no=doc_no.strip(),
    )
    return payment
