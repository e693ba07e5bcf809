"""Nothing typed is lost: a declaration whose POST never reaches the server (the village's
connection drops) is still in the form on the next visit, and sending it then saves it once."""

from __future__ import annotations

import datetime

import pytest

from scoring.models import Declaration
from tests.rules_helpers import load_default_rules

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_a_declaration_typed_while_offline_comes_back_and_saves_once(open_page, county):
    today = datetime.date.today()
    load_default_rules(year=today.year)
    page = open_page(county.secretary_user, viewport=PHONE)
    url = f"/branches/{county.branch.pk}/months/{today.year}/{today.month}/"
    page.goto(url)
    page.fill("#id_declaration-member", county.member.name)
    page.fill("#id_declaration-item", "g02")
    page.fill("#id_declaration-description", "帮助邻居抢收玉米")
    page.dispatch_event("#id_declaration-description", "input")

    page.context.set_offline(True)  # the POST never arrives
    try:
        page.click("#entry-declaration button[type=submit]", no_wait_after=True)
        page.wait_for_timeout(500)
    finally:
        page.context.set_offline(False)
    assert not Declaration.objects.exists()

    page.goto(url)
    assert page.input_value("#id_declaration-description") == "帮助邻居抢收玉米"
    assert page.input_value("#id_declaration-member") == county.member.name
    assert "已恢复上次没有保存成功的内容" in page.locator(".draft-note").inner_text()
    with page.expect_navigation():
        page.click("#entry-declaration button[type=submit]")
    assert Declaration.objects.count() == 1
    assert page.locator(".saved-note").first.is_visible()

    page.goto(url)  # confirmed by the server: the copy is gone
    assert page.input_value("#id_declaration-description") == ""
    assert page.locator(".draft-note").count() == 0
