"""The spendable balance (兑换积分, DOMAIN §7): credited only from approved periods, exactly once
per member and period however often the approval runs, corrected by delta entries, separate from
the assessment points, and tamper-evident like every ledger."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core import chain
from evaluations import services as evaluations
from evaluations.models import AssessmentLine, AssessmentLog
from members.card_links import card_link_for
from rewards import services as rewards
from rewards.models import BalanceEntry, ExchangeLimit, ExchangeRule
from tests.rules_helpers import load_default_rules

from .rewards_helpers import (
    YEAR,
    add_bonus,
    close_months,
    credited_county,
    make_shop,
    stock_goods,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(county):
    return credited_county(county)


def card_page(county):
    link = card_link_for(member=county.member, by=county.secretary_user)
    return county.client("secretary").get(reverse("card_public", args=[link.token]))


def test_the_township_approving_a_quarter_credits_its_contribution_points_once(credited):
    county = credited
    entries = list(BalanceEntry.objects.filter(member=county.member))
    assert [(e.kind, e.points, e.period) for e in entries] == [("credit", Decimal("6.00"), "Q1")]
    # The approval running again (a retry, a second click that got through) credits nothing.
    log = county.q1.logs.get(action="approve")
    rewards.credit_on_approval(assessment=county.q1, log=log, by=county.township_user)
    assert rewards.balance_of(county.member) == Decimal("6.00")
    # …and the database itself refuses a second credit row for the same approval.
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceEntry(
            member=county.member,
            branch=county.branch,
            kind="credit",
            points=Decimal("6"),
            year=YEAR,
            period="Q1",
            assessment=county.q1,
            approval=log,
            created_by=county.township_user,
        ).save()


def test_a_quarter_sent_back_is_credited_only_when_finally_approved(county):
    from scoring import services as scoring

    load_default_rules(year=YEAR)
    by = county.secretary_user
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=2)
    add_bonus(county.member, county.branch, 2, "4", by=by)
    close_months(county.branch, [1, 2, 3], by=by)
    assessment = evaluations.assessment_open(branch=county.branch, year=YEAR, period="Q1", by=by)
    import datetime

    confirm = dict(meeting_date=datetime.date(YEAR, 4, 5), members_expected=3, members_present=3)
    evaluations.assessment_confirm(assessment=assessment, by=by, **confirm)
    client = county.client("township")
    review = reverse("assessment_review", args=[assessment.pk])
    client.post(review, {"action": "return", "comment": "请核对"})
    assert rewards.balance_of(county.member) == 0  # returned: nothing credited
    evaluations.assessment_confirm(assessment=assessment, by=by, **confirm)
    client.post(review, {"action": "approve", "comment": ""})
    assessment.refresh_from_db()
    assert assessment.status == "approved"
    assert rewards.balance_of(county.member) == Decimal("4.00")
    assert BalanceEntry.objects.filter(member=county.member).count() == 1


def test_a_figure_corrected_after_approval_is_settled_by_a_delta_at_the_next_approval(credited):
    county = credited
    # The period's confirmed contribution points become 9 (a correction), and the period is
    # approved again: only the difference is credited, as a new entry.
    AssessmentLine.objects.filter(assessment=county.q1, member=county.member).update(bonus=9)
    again = AssessmentLog(
        assessment=county.q1,
        from_status="approved",
        to_status="approved",
        action="approve",
        by=county.township_user,
    )
    again.save()
    rewards.credit_on_approval(assessment=county.q1, log=again, by=county.township_user)
    points = list(
        BalanceEntry.objects.filter(member=county.member).values_list("points", flat=True)
    )
    assert points == [Decimal("6.00"), Decimal("3.00")]
    assert rewards.balance_of(county.member) == Decimal("9.00")


def test_the_branch_rule_sets_the_rate_within_the_township_limit(county):
    ExchangeLimit.objects.create(
        township=county.dongcun, max_per_bonus_point=2, updated_by=county.township_user
    )
    import datetime

    with pytest.raises(ValidationError) as refused:
        rewards.rule_set(
            branch=county.branch,
            valid_from=datetime.date(YEAR, 1, 1),
            per_bonus_point=Decimal("3"),
            by=county.secretary_user,
        )
    assert "超过乡镇规定的上限 2.00" in str(refused.value)
    rewards.rule_set(
        branch=county.branch,
        valid_from=datetime.date(YEAR, 1, 1),
        per_bonus_point=Decimal("2"),
        by=county.secretary_user,
    )
    credited_county(county)
    assert rewards.balance_of(county.member) == Decimal("12.00")  # 6 points × 2
    assert ExchangeRule.objects.count() == 1


def test_spending_never_changes_the_assessment_figures(credited):
    county = credited
    before_lines = list(AssessmentLine.objects.values())
    before_card = text(card_page(county)).split("兑换积分（爱心超市）")[0]
    shop, keeper = make_shop(county)
    goods = stock_goods(shop, keeper, price="2", quantity=5)
    rewards.redeem(
        shop=shop, member=county.member, items=[(goods.pk, 2)], collected_by="王妻", by=keeper
    )
    assert rewards.balance_of(county.member) == Decimal("2.00")
    assert list(AssessmentLine.objects.values()) == before_lines
    after_card = text(card_page(county))
    assert after_card.split("兑换积分（爱心超市）")[0] == before_card


def test_the_card_page_shows_the_balance_apart_from_the_assessment_points(credited):
    county = credited
    page = text(card_page(county))
    assessment_part, _, balance_part = page.partition("兑换积分（爱心超市）")
    assert balance_part, "the balance panel is on the card page"
    assert "6.00 可用兑换积分" in balance_part
    assert "兑换不影响上面的考核积分、等次和排名" in balance_part
    assert "可用兑换积分" not in assessment_part


def test_a_member_without_entries_has_no_balance_panel(county):

    load_default_rules(year=YEAR)
    assert "兑换积分（爱心超市）" not in text(card_page(county))


def test_verify_ledger_covers_the_new_chains_and_finds_a_tampered_balance_entry(credited):
    county = credited
    shop, keeper = make_shop(county)
    stock_goods(shop, keeper)
    rewards.fund_income(
        township=county.dongcun,
        source="county",
        source_name="县委组织部",
        amount=Decimal("100"),
        received_on=__import__("datetime").date(YEAR, 1, 5),
        by=county.township_user,
    )
    labels = {m._meta.label for m in chain.chained_models()}
    assert {"rewards.BalanceEntry", "rewards.StockMovement", "rewards.FundIncome"} <= labels
    assert {"rewards.RedemptionLog", "rewards.FundPaymentLog"} <= labels
    rows, broken = chain.verify()
    assert broken == [] and rows > 0
    entry = BalanceEntry.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rewards_balanceentry SET points = 600 WHERE id = %s", [entry.pk])
    _, broken = chain.verify()
    assert len(broken) == 1
    assert broken[0].model == "rewards.BalanceEntry" and "内容与哈希不符" in broken[0].problem


def test_balance_entries_cannot_be_edited_or_deleted(credited):
    entry = BalanceEntry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        BalanceEntry.objects.all().delete()
    with pytest.raises(TypeError):
        BalanceEntry.objects.update(points=1)


def test_the_secretary_sets_a_new_rule_version_within_the_township_limit(county):
    ExchangeLimit.objects.create(
        township=county.dongcun, max_excellent=30, updated_by=county.township_user
    )
    url = reverse("exchange_rule", args=[county.branch.pk])
    client = county.client("secretary")
    data = {
        "valid_from": f"{YEAR}-01-01",
        "per_bonus_point": "1.5",
        "excellent": "40",
        "qualified": "10",
        "basic": "0",
        "unqualified": "0",
    }
    refused = client.post(url, data)
    assert "优秀奖励超过乡镇规定的上限 30.00" in text(refused)
    assert 'value="1.5"' in refused.content.decode()  # what was typed is kept
    data["excellent"] = "30"
    assert client.post(url, data).status_code == 302
    rule = rewards.rule_in_force(county.branch, __import__("datetime").date(YEAR, 6, 1))
    assert (rule.per_bonus_point, rule.excellent) == (Decimal("1.50"), Decimal("30.00"))
    # Others read it (the township) or never see it (the next village's secretary).
    assert county.client("township").post(url, data).status_code == 404
    assert county.client("secretary_y").get(url).status_code == 404
    assert "1.50" in text(county.client("township").get(url))


def test_a_shopkeeper_logging_in_lands_on_the_shop(county):
    from .conftest import client_for

    shop, keeper = make_shop(county)
    response = client_for(keeper).get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("shop_counter", args=[shop.pk])
