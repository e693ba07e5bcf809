"""No page scrolls sideways on a phone, and the secretary's screens can be worked with a thumb.

Every page of the scope walk (tests/test_scope.py: SCOPED, on the same small county, plus the
county-wide pages) is opened as each role that may open it, on a 390 × 844 phone and on a
1366 × 768 office screen. The page must not be wider than the window (1 px of rounding allowed):
a wide table scrolls inside its own box instead. Downloads (.xlsx) and the declaration photo are
not pages; the print pages are laid out for A4 paper and checked as PDFs elsewhere
(tests/test_notice_pdf.py), but they must still open readably on a phone, so they are measured too.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from members.card_links import card_link_for
from scoring import services
from scoring.models import RuleItem
from tests.conftest import client_for, make_member
from tests.test_scope import SCOPED, YEAR, build_scoped_county

from .conftest import DESKTOP, PHONE
from .layout import overflow, screenshot, small_tap_targets, squeezed_cells

pytestmark = pytest.mark.browser

OPEN_MONTH = 4  # the scope walk's Q1 is closed; April is still being entered

# The county-wide pages the scope walk lists as unscoped, with their arguments.
COUNTY_WIDE = {
    "home": lambda c: [],
    "county": lambda c: [],
    "rules_sheet": lambda c: [YEAR],
    "archive_list": lambda c: [],
    "county_dashboard": lambda c: [YEAR],
    "county_honour": lambda c: [YEAR],
    "county_entries": lambda c: [],
    "county_members": lambda c: [],
    "city_dashboard": lambda c: [YEAR],
    "password_change": lambda c: [],
    "password_change_done": lambda c: [],
}
NOT_PAGES = {"declaration_photo"}  # an image, not a page; .xlsx downloads are found by path
PERSONAS = ["city", "county", "township", "secretary", "assessor"]


def _item(code):
    return RuleItem.objects.get(
        code=code, branch__isnull=True, rule_set__year=YEAR, rule_set__county__name="岚县"
    )


def busy_county(county):
    """The scope walk's county, plus an open April in 东阳涧村 that looks like a real one: more
    members (short and long names), declarations waiting, approved and returned with the long
    descriptions secretaries write, a deduction, and a correction to a closed month."""
    build_scoped_county(county)
    branch, secretary = county.branch, county.secretary_user
    april = datetime.date(YEAR, OPEN_MONTH, 1)
    members = [
        county.member,
        make_member(branch, "白成", category="B", on_roll_from=april),
        make_member(branch, "欧阳秀英", category="C", gender="F", on_roll_from=april),
        make_member(branch, "李建国", category="D", on_roll_from=april),
    ]
    services.month_get_or_open(branch=branch, year=YEAR, month=OPEN_MONTH)
    texts = [
        "参加村里组织的人居环境整治，清扫主干道并清运垃圾三车",
        "带领两户困难群众申请临时救助，帮助填写材料并送到镇民政办",
        "义务劳动",
        "雨季巡查河道堤坝，发现一处塌方并及时报告村委会",
    ]
    for n, (member, text) in enumerate(zip(members, texts, strict=True)):
        declaration = services.declaration_create(
            member=member,
            branch=branch,
            year=YEAR,
            month=OPEN_MONTH,
            item=_item("G03"),
            occurred_on=datetime.date(YEAR, OPEN_MONTH, 3 + n),
            description=text,
            points=Decimal(2),
            by=secretary,
        )
        if n == 1:
            services.declaration_approve(declaration=declaration, by=secretary)
        elif n == 2:
            services.declaration_return(declaration=declaration, reason="缺少照片", by=secretary)
    services.deduction_record(
        member=members[1],
        branch=branch,
        year=YEAR,
        month=OPEN_MONTH,
        item=_item("K01"),
        occurred_on=datetime.date(YEAR, OPEN_MONTH, 8),
        reason="四月无故缺席党员大会，经支委会研究决定扣分",
        by=county.assessor_user,
    )
    services.correction_record(
        member=county.member,
        branch=branch,
        year=YEAR,
        month=3,
        points=Decimal("-1"),
        reason="三月重复申报，支委会更正",
        by=secretary,
    )
    county.card_token = card_link_for(member=county.member, by=secretary).token
    return county


def pages_for(county) -> list[tuple[str, str]]:
    """(label, path) of every page to measure."""
    pages = [(name, reverse(name, args=SCOPED[name](county, "ours"))) for name in sorted(SCOPED)]
    pages += [(name, reverse(name, args=args(county))) for name, args in COUNTY_WIDE.items()]
    pages.append(("month (open)", reverse("month", args=[county.branch.pk, YEAR, OPEN_MONTH])))
    return [
        (label, path)
        for label, path in pages
        if label not in NOT_PAGES and not path.endswith(".xlsx")
    ]


def _record(label: str, width: int, scroll_width: int) -> None:
    """Append to $BROWSER_SCREENSHOTS/widths.tsv (for looking at; never committed)."""
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        with open(Path(directory) / "widths.tsv", "a", encoding="utf-8") as out:
            out.write(f"{label}\t{width}\t{scroll_width}\n")


def _too_wide(page, label: str, viewport: dict) -> str | None:
    page.set_viewport_size(viewport)
    measured = overflow(page)
    _record(label, viewport["width"], measured["scrollWidth"])
    problems = []
    if measured["scrollWidth"] > measured["innerWidth"] + 1:
        problems.append(
            f"{label} at {viewport['width']} px is {measured['scrollWidth']} px wide: "
            + "; ".join(measured["culprits"])
        )
    if squeezed := squeezed_cells(page):
        problems.append(
            f"{label} at {viewport['width']} px squeezes table text: " + "; ".join(squeezed[:6])
        )
    return "\n".join(problems) or None


@pytest.fixture
def busy(county):
    return busy_county(county)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_scrolls_sideways(busy, open_page, persona):
    user = getattr(busy, f"{persona}_user")
    client, page = client_for(user), open_page(user)
    problems, measured = [], 0
    for label, path in pages_for(busy):
        # Closed to this role (404), POST only (405), a download: nothing to lay out.
        answer = client.get(path, follow=True)
        if answer.status_code != 200 or not answer["Content-Type"].startswith("text/html"):
            continue
        response = page.goto(path)
        assert response.status == 200, f"{path} as {persona}: {response.status} in the browser"
        measured += 1
        for viewport in (PHONE, DESKTOP):
            if problem := _too_wide(page, f"{label} ({path}) as {persona}", viewport):
                problems.append(problem)
        page.set_viewport_size(PHONE)
        screenshot(page, f"{persona}-{label}")
    assert measured >= 10, f"only {measured} pages opened as {persona}"
    assert not problems, "pages wider than the window:\n" + "\n".join(problems)


def test_the_public_card_and_the_login_page_fit_a_phone(busy, open_page):
    """The two pages an anonymous visitor sees: the member's own card (QR) and the login."""
    page = open_page(None)
    problems = []
    for label, path in [
        ("card_public", reverse("card_public", args=[busy.card_token])),
        ("login", reverse("login")),
        ("404 under /c/", "/c/no-such-card/"),
        ("404", "/no-such-page/"),
    ]:
        page.goto(path)
        for viewport in (PHONE, DESKTOP):
            if problem := _too_wide(page, label, viewport):
                problems.append(problem)
        page.set_viewport_size(PHONE)
        screenshot(page, f"anonymous-{label}")
    assert not problems, "pages wider than the window:\n" + "\n".join(problems)


@pytest.mark.parametrize("persona", ["secretary", "assessor"])
def test_the_month_screen_and_the_points_card_have_thumb_sized_targets(busy, open_page, persona):
    page = open_page(getattr(busy, f"{persona}_user"))
    problems = []
    for path in [
        reverse("month", args=[busy.branch.pk, YEAR, OPEN_MONTH]),
        reverse("points_card", args=[busy.member.pk, YEAR]),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        if small := small_tap_targets(page, 40):
            problems.append(f"{path} as {persona} at 390 px: " + "; ".join(small))
    assert not problems, "tap targets under 40 px:\n" + "\n".join(problems)
