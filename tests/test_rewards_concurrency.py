"""Two counters serving the same family at once, on real separate connections (threads), on
SQLite and PostgreSQL: the balance and the stock never go below zero, and the chains stay whole
(see tests/test_concurrency.py for the pattern)."""

from decimal import Decimal

import pytest

from core import chain
from rewards import services as rewards
from rewards.models import BalanceEntry, Redemption

from .rewards_helpers import credited_county, make_shop, stock_goods
from .test_concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(county):
    credited_county(county)  # 王建国 has 6.00
    county.shop, county.keeper = make_shop(county)
    return county


def redeem(county, goods, quantity, collector):
    return lambda: rewards.redeem(
        shop=county.shop,
        member=county.member,
        items=[(goods.pk, quantity)],
        collected_by=collector,
        by=county.keeper,
    )


def test_two_counters_cannot_spend_the_same_points_twice(shop):
    county = shop
    goods = stock_goods(county.shop, county.keeper, price="4", quantity=10)
    results = at_once(redeem(county, goods, 1, "妻子"), redeem(county, goods, 1, "儿子"))
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["ok", "refused"], results
    refused = next(r[1] for r in results if r[0] == "refused")
    assert "兑换积分不足" in str(refused)
    assert rewards.balance_of(county.member) == Decimal("2.00")
    assert Redemption.objects.count() == 1
    assert BalanceEntry.objects.filter(kind="redemption").count() == 1
    assert chain.verify()[1] == []


def test_two_counters_cannot_take_the_last_item_twice(shop):
    county = shop
    goods = stock_goods(county.shop, county.keeper, price="1", quantity=1)
    results = at_once(redeem(county, goods, 1, "妻子"), redeem(county, goods, 1, "儿子"))
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "库存不足" in str(next(r[1] for r in results if r[0] == "refused"))
    assert rewards.stock_levels([goods.pk])[goods.pk] == 0
    assert chain.verify()[1] == []
