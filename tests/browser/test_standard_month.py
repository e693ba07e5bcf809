"""The standard month of a 40-member branch, played in Chromium as a secretary would: one activity
for 6 members, one meeting with 3 unexcused absences and 1 excused, 4 single declarations, approve
everything, close. It must take at most 8 page loads and 30 clicks; the keystrokes are counted and
printed (the figures in the issue's closing note come from here), on a desktop and on a phone."""

from __future__ import annotations

import datetime

import pytest

from scoring.models import BranchMonth, Declaration, Meeting
from tests.conftest import make_member
from tests.rules_helpers import load_default_rules

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "海燕", "玉兰", "国庆", "春花", "德胜", "桂芳", "永红"]


class Counter:
    def __init__(self, page):
        self.page, self.loads, self.clicks, self.keys = page, 0, 0, 0
        page.on("load", lambda _: self._loaded())

    def _loaded(self):
        self.loads += 1

    def click(self, selector):
        self.clicks += 1
        self.page.locator(selector).first.click()

    def type(self, selector, text):
        self.page.locator(selector).first.click()
        self.clicks += 1
        self.keys += len(text)
        self.page.keyboard.type(text)

    def tab_type(self, text):
        """Tab to the next field and type: the keyboard path the form's order is made for."""
        self.keys += 1 + len(text)
        self.page.keyboard.press("Tab")
        self.page.keyboard.type(text)

    def enter(self):
        self.keys += 1
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


@pytest.fixture
def branch_of_forty(county):
    load_default_rules(year=datetime.date.today().year)
    members = [county.member]
    for n in range(1, 40):  # n = 0 would be 王建国, already on the roll
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)] + ("" if n < 20 else "二")
        category = "D" if n == 39 else "B"
        members.append(make_member(county.branch, name, category=category))
    return members


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_standard_month_takes_few_loads_and_clicks(
    open_page, county, branch_of_forty, viewport
):
    today = datetime.date.today()
    members = branch_of_forty
    page = open_page(county.secretary_user, viewport=viewport)
    run = Counter(page)

    page.goto(f"/branches/{county.branch.pk}/months/{today.year}/{today.month}/")

    # One activity for six members.
    run.click("#entry-activity summary")
    run.type("#id_activity-item", "g03")
    run.tab_type("清理村道垃圾")
    run.tab_type("3")
    for member in members[1:7]:
        run.click(f'#activity-members input[value="{member.pk}"]')
    # The date is today by default: nothing to type.
    with page.expect_navigation():
        run.click("#entry-activity button[type=submit]")
    assert page.locator(".saved-note").first.is_visible()

    # A meeting: three absent without leave (one of them category D: no deduction), one excused.
    run.click("#entry-meeting summary")
    page.select_option("#id_meeting-kind", Meeting.Kind.THEME_DAY)
    run.clicks += 1
    for member in (members[10], members[11], members[39]):
        run.click(f'input[name="meeting-att_{member.pk}"][value=absent]')
    run.click(f'input[name="meeting-att_{members[12].pk}"][value=excused]')
    run.type(f"#id_meeting-why_{members[12].pk}", "住院")
    with page.expect_navigation():
        run.click("#entry-meeting button[type=submit]")

    # Four single declarations, typed in the order people say them; Enter saves.
    run.click("#id_declaration-member")  # the page came back to the meeting form
    for member in members[20:24]:
        # After each save the cursor is back in 党员, ready for the next one.
        focused = page.evaluate("document.activeElement.id + '|' + document.activeElement.tagName")
        assert focused.startswith("id_declaration-member"), (page.url, focused)
        run.keys += len(member.name)
        page.keyboard.type(member.name)
        run.tab_type("g02")
        run.tab_type("参加志愿服务")
        run.tab_type("")  # fixed points: skip
        run.enter()
        assert page.locator(".saved-note").first.is_visible()

    # Close at the committee meeting, approving everything still waiting in the same step.
    run.click("#id_approve_waiting")  # the meeting's date is today by default
    with page.expect_navigation():
        run.click("#entry-close button[type=submit]")

    month = BranchMonth.objects.get(branch=county.branch, year=today.year, month=today.month)
    assert month.status == BranchMonth.Status.CLOSED
    assert Declaration.objects.filter(status=Declaration.Status.APPROVED).count() == 6 + 2 + 4
    print(
        f"\n标准月份（{viewport['width']}px）：页面加载 {run.loads} 次，点击 {run.clicks} 次，"
        f"按键 {run.keys} 次"
    )
    assert run.loads <= 8
    assert run.clicks <= 30
