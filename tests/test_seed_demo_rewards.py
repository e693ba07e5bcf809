"""demo.rewards: what a demo user finds of the village shops and the red funds, through the pages
they use — a shop with goods in stock at its counter, a member whose card shows a balance credited
from the approvals and spent at the shop, a township's fund with a year of income and payments —
and every new ledger whole.

A small demo county (300 rural members) is seeded once for the module with its year, its
assessments and its rewards, and removed afterwards.
"""

import datetime
import random
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core import chain
from demo import county as demo
from demo.assessments import seed_assessments
from demo.rewards import SHOPKEEPER_USERNAME, seed_rewards
from demo.year import seed_year_activity
from members.card_links import card_link_for
from members.models import Branch, Member, Township
from rewards import services
from rewards.models import BalanceEntry, FundIncome, FundPayment, Redemption, Shop

pytestmark = pytest.mark.django_db

SEED = 13
TODAY = datetime.date(2026, 11, 25)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture(scope="module")
def demo_county(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        try:
            county = demo.seed_demo(seed=SEED, today=TODAY, rural_members=300).counties[0]
            seed_year_activity(county, rng=random.Random(SEED), today=TODAY)
            seed_assessments(county, rng=random.Random(SEED), today=TODAY)
            result = seed_rewards(county, rng=random.Random(SEED), today=TODAY)
            yield SimpleNamespace(county=county, result=result)
        finally:
            call_command("flush", interactive=False, verbosity=0)


def login(username):
    user = User.objects.get(username=username)
    assert user.check_password(demo.DEMO_PASSWORD)  # the demo login works
    client = Client()
    client.force_login(user)
    return client


def test_about_a_third_of_the_villages_have_a_shop_with_everyday_goods(demo_county):
    villages = Branch.objects.exclude(name__contains="社区").count()
    shops = Shop.objects.count()
    assert villages // 3 - 2 <= shops <= villages // 3 + 1
    home = Shop.objects.get(branches__name="东阳涧村")
    # The demo shopkeeper lands on 东阳涧村's counter and finds rice with its stock.
    client = login(SHOPKEEPER_USERNAME)
    landed = client.get(reverse("home"), follow=True)
    assert landed.redirect_chain[-1][0] == reverse("shop_counter", args=[home.pk])
    page = text(client.get(reverse("shop", args=[home.pk])))
    names = [
        g
        for g in ("大米 5kg", "食用油 5L", "洗衣粉 2kg", "毛巾", "酱油 500ml", "香皂")
        if g in page
    ]
    assert len(names) >= 3, page[:500]
    stock = services.stock_levels(home.goods.values_list("pk", flat=True))
    assert all(level >= 0 for level in stock.values()) and sum(stock.values()) > 0


def test_a_member_has_a_balance_credited_by_the_approvals_and_spent_at_the_shop(demo_county):
    redeemed = Redemption.objects.filter(shop__branches__name="东阳涧村", status="done")
    member = redeemed.order_by("pk").first().member
    balance = services.balance_of(member)
    assert balance >= 0
    kinds = set(BalanceEntry.objects.filter(member=member).values_list("kind", flat=True))
    assert {"credit", "redemption"} <= kinds
    # Credits are dated at the approvals, through the year, not all "today".
    months = {e.created_at.month for e in BalanceEntry.objects.filter(kind="credit")}
    assert len(months) >= 3

    secretary = login("secretary")
    link = card_link_for(member=member, by=User.objects.get(username="secretary"))
    card = text(secretary.get(reverse("card_public", args=[link.token])))
    assert f"{balance} 可用兑换积分" in card
    assert "评定入账" in card and "兑换" in card

    keeper = login(SHOPKEEPER_USERNAME)
    shop = Shop.objects.get(branches__name="东阳涧村")
    counter = keeper.post(
        reverse("shop_counter", args=[shop.pk]), {"step": "lookup", "card": member.card_number}
    )
    assert member.name in text(counter) and str(balance) in text(counter)


def test_no_balance_below_zero_and_no_stock_below_zero(demo_county):
    members = BalanceEntry.objects.values_list("member_id", flat=True).distinct()
    assert all(v >= 0 for v in services.balances(members).values())
    assert Member.objects.filter(pk__in=members).exclude(branch__shops__isnull=False).count() == 0


def test_each_township_has_a_red_fund_with_a_year_of_income_and_payments(demo_county):
    for township in Township.objects.all():
        fund = township.red_fund
        assert FundIncome.objects.filter(fund=fund).count() >= 3
        assert FundPayment.objects.filter(fund=fund, status="paid").count() >= 3
        assert services.fund_balance(fund) >= 0
    dongcun = Township.objects.get(name="东村镇")
    page = text(login("township").get(reverse("red_fund", args=[dongcun.pk])))
    assert "县委组织部" in page and "慰问" in page and "已支付" in page
    statement = text(login("township").get(reverse("fund_statement", args=[dongcun.pk, 2026])))
    assert "县级拨付" in statement


def test_the_rewards_ledgers_verify(demo_county):
    _checked, problems = chain.verify()
    assert [p for p in problems if p.model.startswith("rewards.")] == []
    assert demo_county.result.redemptions > 0 and demo_county.result.credits > 0
