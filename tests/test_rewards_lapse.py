"""Unspent exchange points lapse where the branch's rule says so (DOMAIN §7): the daily
`manage.py lapse_balances` writes a new, chained lapse entry for what a year credited and is
still unspent at the end of the following year — once, however often it runs, also twice at
once — and the member reads it on their card page in plain words."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from core import chain
from members.card_links import card_link_for
from rewards import services as rewards
from rewards.models import BalanceEntry

from .rewards_helpers import YEAR, credited_county, make_shop, stock_goods, text
from .test_concurrency import at_once


def lapsing(county):
    credited_county(county)  # 王建国: 6.00 credited for 2026 Q1
    rewards.rule_set(
        branch=county.branch,
        valid_from=datetime.date(YEAR, 1, 1),
        lapses=True,
        by=county.secretary_user,
    )
    return county


def spend(county, points):
    shop, keeper = make_shop(county)
    goods = stock_goods(shop, keeper, price=points, quantity=1)
    rewards.redeem(
        shop=shop, member=county.member, items=[(goods.pk, 1)], collected_by="妻子", by=keeper
    )


def run(day: str) -> str:
    out = StringIO()
    call_command("lapse_balances", "--date", day, stdout=out)
    return out.getvalue()


def card_page(county):
    link = card_link_for(member=county.member, by=county.secretary_user)
    return text(county.client("secretary").get(reverse("card_public", args=[link.token])))


@pytest.mark.django_db
def test_what_a_year_credited_lapses_after_the_end_of_the_next_year_once(county):
    county = lapsing(county)
    spend(county, "4")  # 2.00 left of 2026's credits
    # Through 31 December 2027 the 2026 points are still spendable.
    assert "作废 0 笔" in run(f"{YEAR + 1}-12-31")
    assert rewards.balance_of(county.member) == Decimal("2.00")

    assert "作废 1 笔，共 2.00" in run(f"{YEAR + 2}-01-01")
    assert rewards.balance_of(county.member) == Decimal("0.00")
    # The next day's run (and every later one) finds nothing more to lapse.
    assert "作废 0 笔" in run(f"{YEAR + 2}-01-02")
    assert "作废 0 笔" in run(f"{YEAR + 3}-01-01")
    assert [e.points for e in BalanceEntry.objects.filter(kind="lapse")] == [Decimal("-2.00")]
    assert chain.verify()[1] == []

    page = card_page(county)
    assert "0.00 可用兑换积分" in page
    assert "过期作废：2026 年及以前的兑换积分到 2027 年底未用完，按兑换规则作废 -2.00" in page


@pytest.mark.django_db
def test_a_balance_already_spent_or_a_rule_that_keeps_it_lapses_nothing(county):
    county = lapsing(county)
    spend(county, "6")
    assert "作废 0 笔" in run(f"{YEAR + 2}-01-01")
    assert rewards.balance_of(county.member) == Decimal("0.00")

    # Without a rule saying so (the default), a balance never lapses.
    # 东阳涧村 set a rule that lapses; 官桥村 and 史家庄村 keep the default.
    assert rewards.branches_that_lapse(datetime.date(YEAR + 5, 1, 1)) == [county.branch]


@pytest.mark.django_db
def test_a_newer_rule_that_keeps_the_balance_stops_the_lapse(county):
    county = lapsing(county)
    rewards.rule_set(
        branch=county.branch,
        valid_from=datetime.date(YEAR + 1, 6, 1),
        lapses=False,
        by=county.secretary_user,
    )
    assert "作废 0 笔" in run(f"{YEAR + 2}-01-01")
    assert rewards.balance_of(county.member) == Decimal("6.00")


@pytest.mark.django_db
def test_only_the_county_admin_or_the_system_lapses_a_branch(county):
    county = lapsing(county)
    on = datetime.date(YEAR + 2, 1, 1)
    for user in (county.secretary_user, county.township_user, county.county_x_user):
        with pytest.raises(PermissionDenied):
            rewards.lapse_branch(branch=county.branch, on=on, by=user)
    entries = rewards.lapse_branch(branch=county.branch, on=on, by=county.county_user)
    assert [e.points for e in entries] == [Decimal("-6.00")]


def test_the_bad_date_is_refused_in_chinese():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="日期格式应为 YYYY-MM-DD"):
        call_command("lapse_balances", "--date", "2028-13-01")


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_lapse_once(county):
    county = lapsing(county)
    on = datetime.date(YEAR + 2, 1, 1)
    job = lambda: rewards.lapse_branch(branch=county.branch, on=on, by=county.county_user)  # noqa: E731
    results = at_once(job, job)
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert sorted(len(r[1]) for r in results) == [0, 1]
    assert rewards.balance_of(county.member) == Decimal("0.00")
    assert BalanceEntry.objects.filter(kind="lapse").count() == 1
    assert chain.verify()[1] == []
