"""The township's red fund (红色基金): income, a payment proposed by one official and approved by
a second (never the proposer), paid only from what the fund holds; the annual public statement
names rewarded members but never relief recipients; the county sees every township's fund."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.models import Official
from rewards import services as rewards
from rewards.models import FundPayment

from .conftest import client_for, make_member, make_user
from .rewards_helpers import YEAR, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(county):
    county.second_user = make_user("township_b", Official.Role.TOWNSHIP, township=county.dongcun)
    county.second = client_for(county.second_user)
    rewards.fund_income(
        township=county.dongcun,
        source="county",
        source_name="县委组织部",
        amount=Decimal("1000.00"),
        received_on=datetime.date(YEAR, 1, 10),
        doc_no="岚组字1号",
        by=county.township_user,
    )
    return county


def propose(county, **data):
    url = reverse("payment_propose", args=[county.dongcun.pk])
    return county.client("township").post(url, data)


def decide(client, payment, action, **data):
    return client.post(reverse("payment_decide", args=[payment.pk]), {"action": action, **data})


def test_a_payment_is_proposed_approved_by_a_second_official_and_paid(fund):
    county = fund
    propose(
        county,
        purpose="relief",
        member=county.member.pk,
        amount="300.00",
        reason="春节慰问",
        submission_key="6f1c4a7e-0000-4000-8000-0000000000aa",
    )
    payment = FundPayment.objects.get()
    proposer = county.client("township")
    own = decide(proposer, payment, "approve")
    payment.refresh_from_db()
    assert payment.status == "proposed"  # the proposer cannot approve their own payment
    assert "提出支出的人不能审批自己的申请" in text(proposer.get(own.url))
    with pytest.raises(ValidationError):
        rewards.payment_approve(payment=payment, by=county.township_user)
    decide(county.second, payment, "approve", comment="同意")
    decide(county.second, payment, "pay", paid_on=f"{YEAR}-02-01", doc_no="付1")
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by, payment.paid_on) == (
        "paid",
        county.second_user,
        datetime.date(YEAR, 2, 1),
    )
    assert [log.action for log in payment.logs.all()] == ["create", "approve", "pay"]
    assert rewards.fund_balance(payment.fund) == Decimal("700.00")


def test_the_fund_never_pays_more_than_it_holds(fund):
    county = fund
    payment = rewards.payment_propose(
        township=county.dongcun,
        purpose="reward",
        member=county.member,
        amount=Decimal("1500"),
        reason="优秀党员奖励",
        by=county.township_user,
    )
    rewards.payment_approve(payment=payment, by=county.second_user)
    response = decide(county.second, payment, "pay", paid_on=f"{YEAR}-02-01")
    assert "红色基金余额不足：需支付 1500.00 元，余额 1000.00 元" in text(
        county.second.get(response.url)
    )
    payment.refresh_from_db()
    assert payment.status == "approved"


def test_other_townships_and_branch_roles_see_no_fund(fund):
    county = fund
    url = reverse("red_fund", args=[county.dongcun.pk])
    for persona in ["township_2", "secretary", "assessor", "county_x"]:
        assert county.client(persona).get(url).status_code == 404, persona
    assert county.client("county").get(url).status_code == 200
    # The county admin reads the fund but does not propose or approve for the township.
    propose_url = reverse("payment_propose", args=[county.dongcun.pk])
    assert county.client("county").post(propose_url, {}).status_code == 404


def test_the_annual_statement_names_rewards_and_only_counts_relief(
    fund, django_assert_max_num_queries
):
    county = fund
    poor = make_member(county.branch_y, "困难党员甲", on_roll_from=datetime.date(YEAR, 1, 1))
    for purpose, member, amount in [
        ("relief", poor, "200"),
        ("relief", county.member_y, "100"),
        ("reward", county.member, "500"),
    ]:
        payment = rewards.payment_propose(
            township=county.dongcun,
            purpose=purpose,
            member=member,
            amount=Decimal(amount),
            reason="事由：患病住院" if purpose == "relief" else "年度优秀党员",
            by=county.township_user,
        )
        rewards.payment_approve(payment=payment, by=county.second_user)
        rewards.payment_pay(
            payment=payment, paid_on=datetime.date(YEAR, 3, 1), by=county.second_user
        )
    client = county.client("township")
    url = reverse("fund_statement", args=[county.dongcun.pk, YEAR])
    with django_assert_max_num_queries(12):
        page = text(client.get(url))
    assert "县级拨付 1000.00" in page
    assert "慰问（困难、年老、患病党员） 2 300.00" in page
    assert "王建国 东阳涧村党支部 500.00" in page  # a reward is an honour: named
    for hidden in [poor.name, county.member_y.name, "患病住院"]:
        assert hidden not in page
    xlsx = client.get(reverse("fund_statement_export", args=[county.dongcun.pk, YEAR]))
    assert xlsx.status_code == 200
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx.content))
    cells = {str(c.value) for ws in workbook for row in ws.iter_rows() for c in row}
    assert "王建国" in cells and poor.name not in cells and county.member_y.name not in cells


def test_the_county_page_shows_each_township_s_fund(fund):
    county = fund
    page = text(county.client("county").get(reverse("county_rewards", args=[YEAR])))
    assert "东村镇 1000.00 0.00 1000.00" in page and "岚城镇" in page
    for persona in ["township", "secretary"]:
        assert county.client(persona).get(reverse("county_rewards", args=[YEAR])).status_code == 404


def test_income_posted_twice_is_recorded_once_and_a_bad_amount_keeps_what_was_typed(fund):
    county = fund
    client = county.client("township")
    url = reverse("fund_income", args=[county.dongcun.pk])
    data = {
        "source": "donation",
        "source_name": "爱心人士",
        "amount": "0",
        "received_on": f"{YEAR}-02-03",
        "doc_no": "收2",
        "submission_key": "6f1c4a7e-0000-4000-8000-0000000000bb",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and 'value="爱心人士"' in refused.content.decode()
    data["amount"] = "50.5"
    client.post(url, data)
    client.post(url, data)
    from rewards.models import FundIncome

    assert FundIncome.objects.filter(source="donation").count() == 1
    assert FundIncome.objects.get(source="donation").amount == Decimal("50.50")
