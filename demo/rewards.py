"""The demo county's village shops (爱心超市) and red funds (红色基金), after its year and its
assessments (demo.year, demo.assessments).

* **Shops** in about a third of the villages (always 东阳涧村, the demo secretary's), each with
  eight to ten everyday goods priced in 兑换积分, stocked in January (donated, or bought from
  collective income or the red fund) and restocked in July, with the odd count adjustment. The
  demo login ``shop`` keeps 东阳涧村's counter.
* **Credits** in the shops' branches: every approved assessment (last year's annual results and
  this year's quarters) credited through ``rewards.services.credit_on_approval`` — the hook the
  township's approval runs — dated at its approval. Branches without a shop are left without a
  balance (their card pages look as before); a real approval credits every branch.
* **Redemptions** through ``rewards.services.redeem``: on each shop's monthly exchange day up to
  two households (more would slow ``make run``) spend what they held *on that day*; one in twenty
  is reversed with a reason.
* **Red funds**: each township has the county's allocation, donations and village contributions,
  and payments (relief, rewards for last year's 优秀 members, goods for a shop) proposed by the
  township's official and approved by a second one, then paid.

Everything goes through the services, so the chains, locks and checks are the real ones; the
services stamp rows "now", so :func:`_on` moves the rewards models' clocks to the planned moment
while each call runs. Same seed, same rows.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from demo.county import DEMO_PASSWORD, BuiltCounty
from evaluations.models import Assessment, AssessmentLine, AssessmentLog
from members.models import Member, Official
from members.permissions import system_user
from rewards import services
from rewards.models import (
    BalanceEntry,
    FundIncome,
    FundPayment,
    FundPaymentLog,
    Redemption,
    RedemptionLog,
    Shop,
    Shopkeeper,
    StockMovement,
)

SHOP_SHARE = 3  # one village in three has a shop
SHOPKEEPER_USERNAME = "shop"

# (name, unit, price in 兑换积分, opening stock): what a village shop really stocks.
GOODS = [
    ("大米 5kg", "袋", "25", 30),
    ("面粉 5kg", "袋", "20", 30),
    ("食用油 5L", "桶", "40", 20),
    ("洗衣粉 2kg", "袋", "10", 40),
    ("毛巾", "条", "4", 60),
    ("酱油 500ml", "瓶", "3", 60),
    ("香醋 500ml", "瓶", "3", 60),
    ("香皂", "块", "2", 80),
    ("牙膏", "支", "4", 50),
    ("洗洁精", "瓶", "5", 40),
    ("卫生纸 10卷", "提", "8", 40),
    ("挂面 1kg", "把", "5", 50),
]
DONORS = ["岚县晋丰粮油公司", "县供销社", "在外乡贤", "县农商银行", "岚县宏达超市"]
FAMILY = ["妻子", "儿子", "女儿", "儿媳", "老伴"]
RELIEF_REASONS = ["患病住院慰问", "年老体弱慰问", "家庭困难慰问", "因灾受损慰问"]


@dataclass
class RewardsResult:
    shops: int = 0
    goods: int = 0
    credits: int = 0
    redemptions: int = 0
    reversed: int = 0
    incomes: int = 0
    payments: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.shops} shops, {self.goods} goods; {self.credits:,} balance credits, "
            f"{self.redemptions:,} redemptions ({self.reversed} reversed); red funds: "
            f"{self.incomes} income entries, {self.payments} payments; {self.seconds:.1f} s"
        )


# Models whose rows the services stamp "now" (field default), moved to the planned moment.
CLOCKED = [
    (BalanceEntry, "created_at"),
    (Redemption, "created_at"),
    (RedemptionLog, "at"),
    (StockMovement, "created_at"),
    (StockMovement, "on_date"),
    (FundIncome, "created_at"),
    (FundPayment, "proposed_at"),
    (FundPaymentLog, "at"),
]


@contextmanager
def _on(moment: datetime.datetime) -> Iterator[None]:
    """Rows the services write in this block are stamped ``moment`` (``on_date``: its day)."""
    fields = [model._meta.get_field(name) for model, name in CLOCKED]
    saved = [f.default for f in fields]
    try:
        for f in fields:
            value = moment if isinstance(f, models.DateTimeField) else moment.date()
            f.default = lambda value=value: value
            f.__dict__.pop("_get_default", None)  # Django caches the default's callable
        yield
    finally:
        for f, default in zip(fields, saved, strict=True):
            f.default = default
            f.__dict__.pop("_get_default", None)


def _moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone()
    )


def _shopkeeper(shop: Shop):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SHOPKEEPER_USERNAME, defaults={"first_name": "爱心超市管理员"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    Shopkeeper.objects.get_or_create(user=user, shop=shop)
    return user


def _second_official():
    """The second signature on the demo funds' payments: an inactive superuser (like the
    system user) standing for each township's other official, who has no demo login."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="demo_fund_reviewer",
        defaults={"is_active": False, "is_superuser": True, "first_name": "乡镇分管领导（演示）"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _credit(branches, by) -> int:
    """Every approved assessment of these branches, credited as its approval did, in order."""
    approvals = (
        AssessmentLog.objects.filter(assessment__branch__in=branches, to_status="approved")
        .select_related("assessment__branch")
        .order_by("at", "pk")
    )
    count = 0
    for log in approvals:
        assessment = Assessment.objects.prefetch_related("lines").get(pk=log.assessment_id)
        if assessment.status != "approved":
            continue
        with _on(log.at):
            count += len(services.credit_on_approval(assessment=assessment, log=log, by=by))
    return count


def _open_shop(rng, township, branch, by, opened: datetime.date):
    shop = Shop.objects.create(township=township, name=f"{branch.name}爱心超市")
    shop.branches.add(branch)
    keeper = by
    chosen = sorted(rng.sample(range(len(GOODS)), rng.randint(8, 10)))
    goods, stock = [], {}
    with _on(_moment(opened, 9)):
        for index in chosen:
            name, unit, price, quantity = GOODS[index]
            item = services.goods_create(
                shop=shop, name=name, unit=unit, price=Decimal(price), by=keeper
            )
            source = rng.choice(["donated", "donated", "village", "red_fund"])
            amount = None if source == "donated" else Decimal(int(price) * quantity // 2)
            services.stock_receive(
                goods=item,
                quantity=quantity,
                source=source,
                amount_yuan=amount,
                donor=rng.choice(DONORS) if source == "donated" else "",
                on_date=opened,
                by=keeper,
            )
            goods.append(item)
            stock[item.pk] = quantity
    return shop, goods, stock


def _restock(rng, goods, stock, day, by) -> None:
    with _on(_moment(day, 9)):
        for item in goods:
            if stock[item.pk] < 25:
                quantity = 30
                source = rng.choice(["donated", "red_fund"])
                amount = (
                    None
                    if source == "donated"
                    else (item.price * quantity / 2).quantize(Decimal("1"))
                )
                services.stock_receive(
                    goods=item,
                    quantity=quantity,
                    source=source,
                    amount_yuan=amount,
                    donor=rng.choice(DONORS) if source == "donated" else "",
                    on_date=day,
                    by=by,
                )
                stock[item.pk] += quantity
        item = rng.choice(goods)
        if stock[item.pk] > 2:
            services.stock_adjust(goods=item, quantity=-1, reason="盘点：包装破损报废", by=by)
            stock[item.pk] -= 1


def _redemptions(rng, shop, goods, stock, members, by, *, year, today, result) -> None:
    """The monthly exchange day (the 15th): a few households spend what they held that day."""
    credits = defaultdict(list)  # member -> [(at, points)]
    for entry in BalanceEntry.objects.filter(member__in=members).order_by("created_at", "pk"):
        credits[entry.member_id].append((entry.created_at, entry.points))
    spent: dict[int, Decimal] = defaultdict(Decimal)
    for month in range(1, 13):
        day = datetime.date(year, month, 15)
        if day >= today:
            break
        if month == 7:
            _restock(rng, goods, stock, datetime.date(year, 7, 5), by)
        at = _moment(day, 9)
        held = {
            m.pk: sum((p for t, p in credits[m.pk] if t < at), start=Decimal(0)) - spent[m.pk]
            for m in members
        }
        visitors = [m for m in members if held[m.pk] >= 4]
        for n, member in enumerate(rng.sample(visitors, min(len(visitors), rng.randint(0, 2)))):
            budget = held[member.pk]
            items = []
            for item in rng.sample(goods, rng.randint(1, 3)):
                quantity = rng.choice([1, 1, 2])
                cost = item.price * quantity
                if cost <= budget and stock[item.pk] >= quantity:
                    items.append((item.pk, quantity))
                    budget -= cost
                    stock[item.pk] -= quantity
            if not items:
                continue
            collector = (
                member.name if rng.random() < 0.6 else f"{member.name}的{rng.choice(FAMILY)}"
            )
            with _on(_moment(day, 9, 5 * n)):
                redemption = services.redeem(
                    shop=shop, member=member, items=items, collected_by=collector[:30], by=by
                )
            spent[member.pk] += redemption.total_points
            result.redemptions += 1
            if rng.random() < 0.05:
                with _on(_moment(day, 10, 5 * n)):
                    services.redemption_reverse(
                        redemption=redemption, reason="选错商品，当场撤销重选", by=by
                    )
                spent[member.pk] -= redemption.total_points
                for goods_id, quantity in items:
                    stock[goods_id] += quantity
                result.reversed += 1


def _red_fund(rng, township, official, reviewer, *, year, today, excellent, shop, result):
    """A year of the township's fund: income first, then payments proposed, approved, paid."""

    def day_in(month, dom):
        day = datetime.date(year, month, dom)
        return day if day < today else None

    incomes = [
        (1, 10, "county", "县委组织部", Decimal(rng.randrange(20000, 40001, 1000)), "岚组拨"),
        (3, 8, "donation", rng.choice(DONORS), Decimal(rng.randrange(2000, 10001, 500)), "捐"),
        (6, 20, "village", "各村集体经济", Decimal(rng.randrange(3000, 8001, 500)), "村筹"),
        (9, 12, "donation", rng.choice(DONORS), Decimal(rng.randrange(1000, 5001, 500)), "捐"),
    ]
    for n, (month, dom, source, name, amount, prefix) in enumerate(incomes, start=1):
        day = day_in(month, dom)
        if day is None:
            continue
        with _on(_moment(day, 10)):
            services.fund_income(
                township=township,
                source=source,
                source_name=name,
                amount=amount,
                received_on=day,
                doc_no=f"{prefix}〔{year}〕{n}号",
                by=official,
            )
        result.incomes += 1
    members = list(Member.objects.filter(branch__township=township, status="active")[:400])
    payments = []
    for month in (2, 5, 8, 10):
        payments.append(
            (
                month,
                "relief",
                rng.choice(members),
                "",
                Decimal(rng.randrange(500, 2001, 100)),
                rng.choice(RELIEF_REASONS),
            )
        )
    for member in excellent[:3]:
        payments.append(
            (4, "reward", member, "", Decimal("300"), f"{year - 1}年度评定为优秀党员，给予奖励")
        )
    if shop is not None:
        payments.append((7, "goods", None, "县供销社", Decimal("2400"), f"为{shop.name}购置米面油"))
    for n, (month, purpose, member, payee, amount, reason) in enumerate(payments, start=1):
        proposed = day_in(month, 3)
        if proposed is None:
            continue
        with _on(_moment(proposed, 15)):
            payment = services.payment_propose(
                township=township,
                purpose=purpose,
                member=member,
                payee=payee,
                amount=amount,
                reason=reason,
                by=official,
            )
        approved = proposed + datetime.timedelta(days=rng.randint(1, 4))
        if approved >= today:
            result.payments += 1
            continue
        with _on(_moment(approved, 11)):
            services.payment_approve(payment=payment, by=reviewer, comment="同意")
        paid = approved + datetime.timedelta(days=rng.randint(1, 5))
        if paid < today:
            with _on(_moment(paid, 16)):
                services.payment_pay(
                    payment=payment, paid_on=paid, doc_no=f"付{year}-{n:03d}", by=official
                )
        result.payments += 1


def seed_rewards(built: BuiltCounty, *, rng: random.Random, today: datetime.date) -> RewardsResult:
    """Shops, credits, redemptions and red funds for the demo county ``built`` (one
    transaction)."""
    started = time.perf_counter()
    result = RewardsResult()
    year = built.plan.year
    by = system_user()
    reviewer = _second_official()
    with transaction.atomic():
        villages = sorted(
            (b for b in built.branches.values() if "社区" not in b.name), key=lambda b: b.pk
        )
        home = built.branch("东阳涧村") if built.plan.county == 1 else None
        chosen = [b for n, b in enumerate(villages) if n % SHOP_SHARE == 0 and b != home]
        chosen = ([home] if home is not None else []) + chosen[: len(villages) // SHOP_SHARE - 1]
        result.credits = _credit(chosen, by)
        officials = {
            o.township_id: o.user
            for o in Official.objects.filter(role="township").select_related("user")
        }
        shops_by_township = {}
        for branch in chosen:
            opened = datetime.date(year, 1, 5)
            shop, goods, stock = _open_shop(rng, branch.township, branch, by, opened)
            keeper = _shopkeeper(shop) if branch == home else by
            shops_by_township.setdefault(branch.township_id, shop)
            result.shops += 1
            result.goods += len(goods)
            members = list(Member.objects.filter(branch=branch, status="active").order_by("pk"))
            _redemptions(
                rng, shop, goods, stock, members, keeper, year=year, today=today, result=result
            )
        for township in sorted(built.townships.values(), key=lambda t: t.pk):
            best = AssessmentLine.objects.filter(
                assessment__branch__township=township,
                assessment__year=year - 1,
                assessment__period="Y",
                grade="excellent",
            ).values_list("member_id", flat=True)
            excellent = list(
                Member.objects.filter(pk__in=best, branch__township=township).order_by("pk")[:3]
            )
            _red_fund(
                rng,
                township,
                officials.get(township.pk, by),
                reviewer,
                year=year,
                today=today,
                excellent=excellent,
                shop=shops_by_township.get(township.pk),
                result=result,
            )
    result.seconds = time.perf_counter() - started
    return result
