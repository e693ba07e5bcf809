"""No duplicate: a form sent twice (a double click, a retry on a village connection) creates one
row and the second answer is the first one's; an entry that looks like one already made
(same member, item and date) is saved only when the secretary confirms it."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from core.submissions import ALREADY_SAVED
from scoring import services as scoring
from scoring.models import BranchMonth, Declaration, PointsEntry
from tests.rules_helpers import load_default_rules

from .test_month import month_url

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def rules(county):
    return load_default_rules(year=YEAR)


def deduction_data(county, key, **extra):
    return {
        "deduction-member": county.member.name,
        "deduction-item": "K01",
        "deduction-occurred_on": "2026-03-05",
        "deduction-reason": "无故缺席3月党员大会",
        "deduction-submission_key": str(key),
        **{f"deduction-{k}": v for k, v in extra.items()},
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_blank_forms_carry_a_fresh_one_time_key(county, rules):
    page = county.client("secretary").get(month_url(county))
    keys = {
        name: form["submission_key"].value()
        for name, form in page.context["forms"].items()
        if "submission_key" in form.fields
    }
    assert set(keys) == {"declaration", "activity", "meeting", "deduction", "clearing"}
    assert len({str(k) for k in keys.values()}) == 5
    again = county.client("secretary").get(month_url(county)).context["forms"]["deduction"]
    assert str(again["submission_key"].value()) != str(keys["deduction"])


def test_a_deduction_posted_twice_with_the_same_key_is_saved_once(county, rules):
    client = county.client("secretary")
    key = uuid.uuid4()
    first = client.post(month_url(county, "deduction_create"), deduction_data(county, key))
    second = client.post(
        month_url(county, "deduction_create"), deduction_data(county, key), follow=True
    )
    assert first.status_code == 302
    assert second.redirect_chain[0][0] == first.url
    assert ALREADY_SAVED in messages_of(second)
    assert PointsEntry.objects.count() == 1


def test_a_declaration_posted_twice_with_the_same_key_is_saved_once(county, rules):
    client = county.client("secretary")
    data = {
        "declaration-member": county.member.name,
        "declaration-item": "G03",
        "declaration-occurred_on": "2026-03-12",
        "declaration-description": "人居环境整治",
        "declaration-points": "6",
        "declaration-submission_key": str(uuid.uuid4()),
    }
    url = month_url(county, "declaration_create")
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Declaration.objects.count() == 1


def test_a_refused_form_keeps_its_key_unused_so_the_corrected_form_saves(county, rules):
    client = county.client("secretary")
    key = uuid.uuid4()
    refused = client.post(
        month_url(county, "deduction_create"), deduction_data(county, key, reason="")
    )
    assert refused.status_code == 200 and PointsEntry.objects.count() == 0
    saved = client.post(month_url(county, "deduction_create"), deduction_data(county, key))
    assert saved.status_code == 302 and PointsEntry.objects.count() == 1


def test_the_same_deduction_again_asks_for_confirmation(county, rules):
    client = county.client("secretary")
    url = month_url(county, "deduction_create")
    assert client.post(url, deduction_data(county, uuid.uuid4())).status_code == 302

    again = client.post(url, deduction_data(county, uuid.uuid4()))
    form = again.context["forms"]["deduction"]
    assert "已有一条相同的记录" in str(form.errors["confirm_duplicate"])
    assert 'type="checkbox" name="deduction-confirm_duplicate"' in again.content.decode()
    assert PointsEntry.objects.count() == 1

    confirmed = client.post(url, deduction_data(county, uuid.uuid4(), confirm_duplicate="on"))
    assert confirmed.status_code == 302
    assert PointsEntry.objects.count() == 2


def test_a_correction_posted_twice_is_saved_once_and_a_repeat_asks_to_confirm(county, rules):
    branch_month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=2)
    scoring.month_close(
        branch_month=branch_month,
        meeting_date=datetime.date(YEAR, 2, 27),
        by=county.secretary_user,
    )
    client = county.client("secretary")
    url = reverse("correction_create", args=[county.member.pk])
    data = {
        "month": "2026-02",
        "points": "-1",
        "reason": "复核",
        "submission_key": str(uuid.uuid4()),
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert PointsEntry.objects.filter(kind="correction").count() == 1

    repeat = client.post(url, {**data, "submission_key": str(uuid.uuid4())})
    assert "已有一条相同的记录" in str(repeat.context["form"].errors["confirm_duplicate"])
    assert PointsEntry.objects.filter(kind="correction").count() == 1
    assert PointsEntry.objects.get(kind="correction").points == Decimal("-1.00")
    assert BranchMonth.objects.get(month=2).status == "closed"
