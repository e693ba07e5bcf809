"""The figures of the public statements, in a fixed number of queries each: the shop's monthly
statement (per item in / out / stock, points redeemed, households served — no member's data) and
the red fund's annual statement (income by source, payments by purpose; rewards name the member,
relief shows only counts and totals)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from rewards.models import ZERO, FundIncome, FundPayment, Redemption, Shop, StockMovement
from rewards.services import q2
from scoring.periods import next_month


@dataclass
class ItemRow:
    name: str
    unit: str
    price: Decimal
    opening: int = 0
    received: int = 0
    redeemed: int = 0
    adjusted: int = 0
    returned: int = 0

    @property
    def closing(self) -> int:
        return self.opening + self.received + self.adjusted + self.returned - self.redeemed


@dataclass
class ShopMonth:
    shop: Shop
    year: int
    month: int
    items: list[ItemRow]
    points_redeemed: Decimal
    redemptions: int
    households: int
    bought_yuan: Decimal


def shop_month(shop: Shop, year: int, month: int) -> ShopMonth:
    start = datetime.date(year, month, 1)
    end = datetime.date(*next_month(year, month), 1)
    rows = {g.pk: ItemRow(g.name, g.unit, g.price) for g in shop.goods.order_by("name", "pk")}
    opening = (
        StockMovement.objects.filter(shop=shop, on_date__lt=start)
        .values("goods_id")
        .annotate(s=Sum("quantity"))
    )
    for row in opening:
        rows[row["goods_id"]].opening = row["s"] or 0
    moved = (
        StockMovement.objects.filter(shop=shop, on_date__gte=start, on_date__lt=end)
        .values("goods_id", "kind")
        .annotate(s=Sum("quantity"), yuan=Sum("amount_yuan"))
    )
    bought = ZERO
    for row in moved:
        item = rows[row["goods_id"]]
        kind, quantity = row["kind"], row["s"] or 0
        if kind == StockMovement.Kind.RECEIPT:
            item.received += quantity
            bought += row["yuan"] or ZERO
        elif kind == StockMovement.Kind.REDEMPTION:
            item.redeemed += -quantity
        elif kind == StockMovement.Kind.REVERSAL:
            item.returned += quantity
        else:
            item.adjusted += quantity
    done = Redemption.objects.filter(
        shop=shop,
        created_at__date__gte=start,
        created_at__date__lt=end,
        status=Redemption.Status.DONE,
    ).aggregate(
        points=Sum("total_points"), n=Count("pk"), households=Count("member", distinct=True)
    )
    return ShopMonth(
        shop=shop,
        year=year,
        month=month,
        items=list(rows.values()),
        points_redeemed=q2(done["points"] or ZERO),
        redemptions=done["n"],
        households=done["households"],
        bought_yuan=q2(bought),
    )


@dataclass
class FundYear:
    year: int
    income_by_source: list[tuple[str, Decimal]]
    income_total: Decimal
    by_purpose: list[dict]  # purpose label, count, total
    paid_total: Decimal
    rewards: list[dict] = field(default_factory=list)  # member, branch, amount (an honour)
    opening: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.opening + self.income_total - self.paid_total


def fund_year(fund, year: int) -> FundYear:
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    labels = dict(FundIncome.Source.choices)
    incomes = (
        FundIncome.objects.filter(fund=fund, received_on__gte=start, received_on__lt=end)
        .values("source")
        .annotate(s=Sum("amount"))
        .order_by("source")
    )
    income_by_source = [(labels.get(r["source"], r["source"]), q2(r["s"])) for r in incomes]
    paid = FundPayment.objects.filter(fund=fund, status=FundPayment.Status.PAID)
    in_year = paid.filter(paid_on__gte=start, paid_on__lt=end)
    purposes = dict(FundPayment.Purpose.choices)
    by_purpose = [
        {"purpose": purposes[r["purpose"]], "count": r["n"], "total": q2(r["s"])}
        for r in in_year.values("purpose")
        .annotate(n=Count("pk"), s=Sum("amount"))
        .order_by("purpose")
    ]
    rewards = [
        {"member": p.member.name, "branch": p.member.branch.full_name, "amount": p.amount}
        for p in in_year.filter(purpose=FundPayment.Purpose.REWARD)
        .select_related("member__branch")
        .order_by("paid_on", "pk")
    ]
    before_income = (
        FundIncome.objects.filter(fund=fund, received_on__lt=start).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    before_paid = paid.filter(paid_on__lt=start).aggregate(s=Sum("amount"))["s"] or ZERO
    income_total = sum((s for _l, s in income_by_source), start=ZERO)
    paid_total = sum((r["total"] for r in by_purpose), start=ZERO)
    return FundYear(
        year=year,
        income_by_source=income_by_source,
        income_total=income_total,
        by_purpose=by_purpose,
        paid_total=paid_total,
        rewards=rewards,
        opening=q2(before_income - before_paid),
    )


def county_funds(county, year: int) -> list[dict]:
    """Each township's fund in ``year``: income, paid and the balance now (3 queries)."""
    from members.models import Township

    townships = list(Township.objects.filter(county=county).order_by("position", "name"))
    incomes = defaultdict(lambda: (ZERO, ZERO))
    for row in (
        FundIncome.objects.filter(fund__township__county=county)
        .values("fund__township_id")
        .annotate(
            total=Sum("amount"),
            year=Sum("amount", filter=Q(received_on__year=year)),
        )
    ):
        incomes[row["fund__township_id"]] = (row["total"] or ZERO, row["year"] or ZERO)
    paid = defaultdict(lambda: (ZERO, ZERO))
    for row in (
        FundPayment.objects.filter(fund__township__county=county, status=FundPayment.Status.PAID)
        .values("fund__township_id")
        .annotate(total=Sum("amount"), year=Sum("amount", filter=Q(paid_on__year=year)))
    ):
        paid[row["fund__township_id"]] = (row["total"] or ZERO, row["year"] or ZERO)
    result = []
    for township in townships:
        income_all, income_year = incomes[township.pk]
        paid_all, paid_year = paid[township.pk]
        result.append(
            {
                "township": township,
                "income": q2(income_year),
                "paid": q2(paid_year),
                "balance": q2(income_all - paid_all),
            }
        )
    return result


def county_shops(county, year: int) -> list[dict]:
    """Each shop's activity in ``year``: redemptions, points, households (2 queries)."""
    shops = (
        Shop.objects.filter(township__county=county)
        .select_related("township")
        .annotate(
            n=Count(
                "redemptions",
                filter=Q(redemptions__created_at__year=year, redemptions__status="done"),
            ),
            points=Sum(
                "redemptions__total_points",
                filter=Q(redemptions__created_at__year=year, redemptions__status="done"),
            ),
            households=Count(
                "redemptions__member",
                distinct=True,
                filter=Q(redemptions__created_at__year=year, redemptions__status="done"),
            ),
        )
    )
    return [
        {"shop": s, "redemptions": s.n, "points": q2(s.points or ZERO), "households": s.households}
        for s in shops.order_by("township__position", "name")
    ]


@dataclass
class CountyActivity:
    """One county's village shops and red funds in a year, as the city compares them."""

    shops: int = 0
    redemptions: int = 0
    points: Decimal = ZERO
    households: int = 0
    fund_income: Decimal = ZERO
    fund_paid: Decimal = ZERO


def activity_by_county(counties, year: int) -> dict[int, CountyActivity]:
    """Per county id in ``counties`` (a queryset or ids): the shops, the redemptions done in
    ``year`` (points, households), the red funds' income and payments in ``year``. Four queries
    whatever the number of counties; the same definitions as county_shops and county_funds."""
    result: dict[int, CountyActivity] = defaultdict(CountyActivity)
    done = Q(created_at__year=year, status=Redemption.Status.DONE)
    for county_id, shops in (
        Shop.objects.filter(township__county__in=counties)
        .order_by()
        .values_list("township__county_id")
        .annotate(n=Count("pk"))
    ):
        result[county_id].shops = shops
    for county_id, n, points, households in (
        Redemption.objects.filter(done, shop__township__county__in=counties)
        .order_by()
        .values_list("shop__township__county_id")
        .annotate(
            n=Count("pk"), points=Sum("total_points"), households=Count("member", distinct=True)
        )
    ):
        row = result[county_id]
        row.redemptions, row.points, row.households = n, q2(points or ZERO), households
    for county_id, income in (
        FundIncome.objects.filter(fund__township__county__in=counties, received_on__year=year)
        .order_by()
        .values_list("fund__township__county_id")
        .annotate(s=Sum("amount"))
    ):
        result[county_id].fund_income = q2(income or ZERO)
    for county_id, paid in (
        FundPayment.objects.filter(
            fund__township__county__in=counties,
            status=FundPayment.Status.PAID,
            paid_on__year=year,
        )
        .order_by()
        .values_list("fund__township__county_id")
        .annotate(s=Sum("amount"))
    ):
        result[county_id].fund_paid = q2(paid or ZERO)
    return result
