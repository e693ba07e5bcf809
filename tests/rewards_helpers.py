"""Shared set-up for the rewards tests: a shop for 东阳涧村 with a shopkeeper, goods in stock,
and a member with an approved Q1 that credited a spendable balance."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.contrib.auth.models import User

from evaluations import services as evaluations
from rewards import services as rewards
from rewards.models import Shop, Shopkeeper
from scoring import services as scoring
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import PASSWORD

YEAR = 2026


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def close_months(branch, months, *, by, year=YEAR):
    for month in months:
        branch_month = scoring.month_get_or_open(branch=branch, year=year, month=month)
        meeting = datetime.date(year, month + 1, 2)
        scoring.month_close(branch_month=branch_month, meeting_date=meeting, by=by)


def add_bonus(member, branch, month, points, *, by, code="G03", year=YEAR):
    declaration = scoring.declaration_create(
        member=member,
        branch=branch,
        year=year,
        month=month,
        item=RuleItem.objects.get(code=code, branch__isnull=True, rule_set__county__name="岚县"),
        occurred_on=datetime.date(year, month, 10),
        description="参与村级中心工作",
        points=Decimal(points),
        by=by,
    )
    scoring.declaration_approve(declaration=declaration, by=by)


def approve_quarter(county, period="Q1", branch=None, secretary=None, township=None):
    branch = branch or county.branch
    secretary = secretary or county.secretary_user
    assessment = evaluations.assessment_open(branch=branch, year=YEAR, period=period, by=secretary)
    last = {"Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12}[period]
    evaluations.assessment_confirm(
        assessment=assessment,
        meeting_date=datetime.date(YEAR, last + 1, 5) if last < 12 else datetime.date(YEAR, 12, 31),
        members_expected=5,
        members_present=5,
        by=secretary,
    )
    return evaluations.assessment_approve(
        assessment=assessment, by=township or county.township_user
    )


def make_shop(county, *, branch=None, name="东阳涧村爱心超市", keeper="keeper"):
    branch = branch or county.branch
    shop = Shop.objects.create(township=branch.township, name=name)
    shop.branches.add(branch)
    user = User.objects.create_user(username=keeper, password=PASSWORD, first_name="店员")
    Shopkeeper.objects.create(user=user, shop=shop)
    return shop, user


def stock_goods(shop, by, *, name="大米", unit="袋", price="5", quantity=10):
    goods = rewards.goods_create(shop=shop, name=name, unit=unit, price=Decimal(price), by=by)
    rewards.stock_receive(goods=goods, quantity=quantity, source="donated", donor="爱心企业", by=by)
    return goods


def credited_county(county):
    """东阳涧村: 王建国 with +6 contribution points in February, Q1 approved (6 兑换积分)."""
    load_default_rules(year=YEAR)
    by = county.secretary_user
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=2)
    add_bonus(county.member, county.branch, 2, "6", by=by)
    close_months(county.branch, [1, 2, 3], by=by)
    county.q1 = approve_quarter(county)
    return county
