"""The village shop through its pages, as the shopkeeper uses them on a phone: type the card
number, see only name / branch / balance, pick goods and who collects, confirm, print the
receipt. Balance and stock never go below zero; a reversal undoes by new entries; another shop's
objects answer 404; the monthly statement carries no member's data."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from rewards import services as rewards
from rewards.models import BalanceEntry, Redemption, StockMovement

from .conftest import client_for, make_member
from .rewards_helpers import YEAR, credited_county, make_shop, stock_goods, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(county):
    credited_county(county)  # 王建国 has 6.00
    county.shop, county.keeper = make_shop(county)
    county.rice = stock_goods(county.shop, county.keeper, name="大米", price="2", quantity=3)
    county.oil = stock_goods(county.shop, county.keeper, name="食用油", unit="桶", price="5")
    county.keeper_client = client_for(county.keeper)
    return county


def counter(county, client=None, **data):
    url = reverse("shop_counter", args=[county.shop.pk])
    return (client or county.keeper_client).post(url, data)


def test_the_counter_shows_only_name_branch_and_balance(shop):
    county = shop
    response = counter(county, step="lookup", card=county.member.card_number)
    assert response.status_code == 200
    page = text(response)
    assert "王建国" in page and "东阳涧村" in page and "6.00" in page
    member = county.member
    for private in [member.id_number, member.masked_id_number, str(member.birth_date), "A类"]:
        assert private not in page
    assert "贡献加分" not in page and "等次" not in page  # no assessment figures either


def test_the_card_link_token_works_like_the_card_number(shop):
    from members.card_links import card_link_for

    link = card_link_for(member=shop.member, by=shop.secretary_user)
    assert "王建国" in text(counter(shop, step="lookup", card=link.token))
    # …and so does the whole link the card's QR code holds, pasted or read by a scanner.
    url = f"https://points.example.cn/c/{link.token}/"
    assert "王建国" in text(counter(shop, step="lookup", card=url))


def test_a_card_of_another_village_answers_like_an_unknown_card(shop):
    county = shop
    elsewhere = counter(county, step="lookup", card=county.member_z.card_number)
    unknown = counter(county, step="lookup", card="NO-SUCH-CARD")
    assert elsewhere.context["card_form"].errors == unknown.context["card_form"].errors
    assert county.member_z.name not in text(elsewhere)


def test_a_redemption_from_card_to_receipt(shop):
    county = shop
    chosen = {f"qty_{county.rice.pk}": "2", "collected_by": "王建国之妻"}
    review = counter(county, step="review", card=county.member.card_number, **chosen)
    assert "合计 4.00 兑换积分，兑换后余额 2.00" in text(review)
    assert not Redemption.objects.exists()  # reviewing writes nothing
    key = review.context["confirm_form"]["submission_key"].value()
    data = dict(step="redeem", card=county.member.card_number, submission_key=key, **chosen)
    first = counter(county, **data)
    again = counter(county, **data)  # a double tap on a bad connection
    redemption = Redemption.objects.get()
    assert first.url == again.url == reverse("redemption_receipt", args=[redemption.pk])
    receipt = county.keeper_client.get(first.url)
    assert "receipt.css" in receipt.content.decode()  # @page size 58mm
    page = text(receipt)
    assert "大米 ×2袋" in page and "王建国之妻" in page and "剩余兑换积分 2.00" in page
    assert rewards.balance_of(county.member) == Decimal("2.00")
    assert rewards.stock_levels([county.rice.pk])[county.rice.pk] == 1


def test_the_balance_never_goes_below_zero(shop):
    county = shop
    chosen = {f"qty_{county.oil.pk}": "2", "collected_by": "王建国"}  # 10 > 6
    response = counter(
        county, step="redeem", card=county.member.card_number, submission_key="", **chosen
    )
    assert "兑换积分不足：本次需要 10.00，余额只有 6.00" in text(response)
    assert not Redemption.objects.exists()
    assert rewards.balance_of(county.member) == Decimal("6.00")


def test_the_stock_never_goes_below_zero(shop):
    county = shop
    chosen = {f"qty_{county.rice.pk}": "4", "collected_by": "王建国"}  # stock 3
    response = counter(county, step="redeem", card=county.member.card_number, **chosen)
    assert "库存不足：大米库存只有 3袋" in text(response)
    assert not Redemption.objects.exists()
    assert 'value="4"' in response.content.decode()  # what was typed is kept


def test_a_reversal_gives_points_and_goods_back_by_new_entries(shop):
    county = shop
    redemption = rewards.redeem(
        shop=county.shop,
        member=county.member,
        items=[(county.rice.pk, 1)],
        collected_by="王建国",
        by=county.keeper,
    )
    url = reverse("redemption_reverse", args=[redemption.pk])
    county.keeper_client.post(url, {"reason": "拿错了"})
    county.keeper_client.post(url, {"reason": "再点一次"})
    redemption.refresh_from_db()
    assert redemption.status == "reversed"
    kinds = list(BalanceEntry.objects.filter(redemption=redemption).values_list("kind", "points"))
    assert kinds == [("redemption", Decimal("-2.00")), ("reversal", Decimal("2.00"))]
    assert rewards.balance_of(county.member) == Decimal("6.00")
    assert rewards.stock_levels([county.rice.pk])[county.rice.pk] == 3
    assert redemption.logs.count() == 2  # created, reversed: who, when, why


def test_another_shop_s_counter_receipt_and_goods_answer_404(shop):
    county = shop
    _other, other_keeper = make_shop(county, branch=county.branch_y, name="官桥村超市", keeper="k2")
    mine = rewards.redeem(
        shop=county.shop,
        member=county.member,
        items=[(county.rice.pk, 1)],
        collected_by="王建国",
        by=county.keeper,
    )
    client = client_for(other_keeper)
    for url in [
        reverse("shop_counter", args=[county.shop.pk]),
        reverse("shop", args=[county.shop.pk]),
        reverse("redemption_receipt", args=[mine.pk]),
        reverse("redemption_reverse", args=[mine.pk]),
        reverse("stock_receive", args=[county.shop.pk]),
        reverse("shop_statement", args=[county.shop.pk, YEAR, 1]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    # The secretary of a branch the shop serves may act at its counter; the next branch's not.
    assert (
        county.client("secretary").get(reverse("shop_counter", args=[county.shop.pk])).status_code
        == 200
    )
    assert (
        county.client("secretary_y").get(reverse("shop_counter", args=[county.shop.pk])).status_code
        == 404
    )
    assert (
        county.client("assessor").get(reverse("shop_counter", args=[county.shop.pk])).status_code
        == 404
    )


def test_stock_receipt_and_adjustment_through_the_shop_page(shop):
    county = shop
    url = reverse("stock_receive", args=[county.shop.pk])
    data = {
        "goods": county.rice.pk,
        "quantity": "5",
        "source": "red_fund",
        "amount_yuan": "",
        "on_date": "2026-03-01",
        "submission_key": "6f1c4a7e-0000-4000-8000-000000000001",
    }
    refused = county.keeper_client.post(url, data)
    assert "购买的物品请填写金额（元）" in text(refused)
    data["amount_yuan"] = "120.50"
    county.keeper_client.post(url, data)
    county.keeper_client.post(url, data)  # twice: saved once
    assert StockMovement.objects.filter(kind="receipt", goods=county.rice).count() == 2
    adjust = reverse("stock_adjust", args=[county.shop.pk])
    response = county.keeper_client.post(
        adjust, {"goods": county.rice.pk, "quantity": "-99", "reason": "盘点"}
    )
    assert "现有库存 8袋" in text(response)
    county.keeper_client.post(adjust, {"goods": county.rice.pk, "quantity": "-1", "reason": "破损"})
    assert rewards.stock_levels([county.rice.pk])[county.rice.pk] == 7


def test_the_monthly_statement_has_totals_per_item_and_no_member_data(
    shop, django_assert_max_num_queries
):
    county = shop
    other = make_member(county.branch, "白玉兰", on_roll_from=datetime.date(YEAR, 4, 1))
    rewards.redeem(
        shop=county.shop,
        member=county.member,
        items=[(county.rice.pk, 1), (county.oil.pk, 0)],
        collected_by="家属",
        by=county.keeper,
    )
    today = datetime.date.today()
    url = reverse("shop_statement", args=[county.shop.pk, today.year, today.month])
    client = county.client("township")
    with django_assert_max_num_queries(10):
        response = client.get(url)
    page = text(response)
    assert "大米" in page and "兑换积分合计 2.00" in page and "服务户数 1" in page
    for private in ["王建国", other.name, "家属", "4.00"]:  # 4.00: 王建国's balance now
        assert private not in page
    xlsx = county.client("township").get(
        reverse("shop_statement_export", args=[county.shop.pk, today.year, today.month])
    )
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_the_counter_pages_take_a_bounded_number_of_queries(shop, django_assert_max_num_queries):
    county = shop
    for index in range(15):
        stock_goods(county.shop, county.keeper, name=f"商品{index}", price="1", quantity=2)
    chosen = {f"qty_{county.rice.pk}": "1", "collected_by": "王建国"}
    with django_assert_max_num_queries(20):
        counter(county, step="lookup", card=county.member.card_number)
    with django_assert_max_num_queries(20):
        counter(county, step="review", card=county.member.card_number, **chosen)
    with django_assert_max_num_queries(45):
        counter(county, step="redeem", card=county.member.card_number, **chosen)
    assert Redemption.objects.count() == 1
