"""The township's limits on its branches' exchange rules (DOMAIN §7), set on their own page by
the township's officials: read by the county, closed to everyone else, and never lowered under
a rule a branch already has."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from rewards import services as rewards
from rewards.models import ExchangeLimit

from .rewards_helpers import YEAR, text

pytestmark = pytest.mark.django_db

FORM = {
    "max_per_bonus_point": "2",
    "max_excellent": "50",
    "max_qualified": "30",
    "max_basic": "0",
    "max_unqualified": "0",
}


def url(county):
    return reverse("exchange_limits", args=[county.dongcun.pk])


def test_the_township_official_sets_the_limits_and_a_branch_rule_above_them_is_refused(county):
    client = county.client("township")
    page = text(client.get(url(county)))
    assert "本乡镇尚未设定上限" in page
    assert "东阳涧村 默认 1.00 20.00 10.00" in page  # each branch's rule beside the limits

    response = client.post(url(county), {**FORM, "max_excellent": "25"})
    assert response.status_code == 302
    assert "兑换积分上限已保存" in text(client.get(response.url))
    assert ExchangeLimit.objects.get(township=county.dongcun).max_excellent == Decimal("25.00")

    # The secretary's rule above the new ceiling is refused on the rule's own page.
    refused = county.client("secretary").post(
        reverse("exchange_rule", args=[county.branch.pk]),
        {
            "valid_from": f"{YEAR}-07-01",
            "per_bonus_point": "1",
            "excellent": "30",
            "qualified": "10",
            "basic": "0",
            "unqualified": "0",
        },
    )
    assert "优秀奖励超过乡镇规定的上限 25.00" in text(refused)


def test_a_limit_below_a_branch_rule_is_refused_naming_the_branches(county):
    rewards.rule_set(
        branch=county.branch,
        valid_from=datetime.date(YEAR, 1, 1),
        excellent=Decimal("40"),
        by=county.secretary_user,
    )
    client = county.client("township")
    refused = client.post(url(county), {**FORM, "max_excellent": "30", "max_qualified": "8"})
    assert refused.status_code == 200
    page = text(refused)
    assert "优秀奖励上限 30 低于这些党支部现行或已定的兑换规则：东阳涧村（40.00）" in page
    # The default rule gives 合格 10, so both branches are above a ceiling of 8.
    assert (
        "合格奖励上限 8 低于这些党支部现行或已定的兑换规则："
        "东阳涧村（10.00）、官桥村（10.00，默认规则）"
    ) in page
    assert 'value="30"' in refused.content.decode()  # what was typed is kept
    assert not ExchangeLimit.objects.filter(township=county.dongcun).exists()


def test_a_version_set_to_start_later_counts_too(county):
    rewards.rule_set(
        branch=county.branch_y,
        valid_from=datetime.date(2099, 1, 1),
        per_bonus_point=Decimal("3"),
        by=county.secretary_y_user,
    )
    refused = county.client("township").post(url(county), FORM)
    assert "官桥村（3.00）" in text(refused)


def test_the_county_reads_the_limits_and_no_one_else_sees_them(county):
    county.client("township").post(url(county), FORM)
    page = county.client("county").get(url(county))
    assert page.status_code == 200
    assert "设定上限" not in text(page)
    assert county.client("county").post(url(county), FORM).status_code == 404
    for persona in ("secretary", "assessor", "township_2"):
        assert county.client(persona).get(url(county)).status_code == 404
    assert county.client("county_x").get(url(county)).status_code == 404


def test_the_page_has_bounded_queries(county, django_assert_max_num_queries):
    from members.models import Branch

    for n in range(10):
        Branch.objects.create(township=county.dongcun, name=f"新村{n}", position=10 + n)
    client = county.client("township")
    with django_assert_max_num_queries(12):
        assert client.get(url(county)).status_code == 200
