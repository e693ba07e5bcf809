"""The QR code on the points card: a secret link to the member's own card, open without a login.

Personas: the 东阳涧村 secretary issues, reissues and revokes; the member (or family) holds the
link and is an anonymous visitor; everyone else — the assessor, the township, the county, the
secretary next door — can do nothing with the link controls (404, as for out-of-scope pages).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from members import card_links
from members.models import CardLink, Member
from scoring import services
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db

YEAR = 2026  # the suite's "today" is late 2026; ?year= keeps the tests right in later years
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.I)


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=YEAR)


def item(rule_set, code):
    return RuleItem.objects.get(rule_set=rule_set, code=code, branch__isnull=True)


def approve_bonus(county, rule_set, member, *, month=3, code="G03", points="6"):
    declaration = services.declaration_create(
        member=member,
        branch=member.branch,
        year=YEAR,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(YEAR, month, 10),
        description="参加人居环境整治清扫村道",
        points=Decimal(points),
        by=county.secretary_user,
    )
    return services.declaration_approve(declaration=declaration, by=county.secretary_user)


def deduct(county, rule_set, member, *, month=5, code="K01", reason="五月无故缺席党员大会"):
    return services.deduction_record(
        member=member,
        branch=member.branch,
        year=YEAR,
        month=month,
        item=item(rule_set, code),
        occurred_on=datetime.date(YEAR, month, 8),
        reason=reason,
        by=county.assessor_user,
    )


def issue(county, member=None):
    return card_links.card_link_for(member=member or county.member, by=county.secretary_user)


def public_url(link_or_token, year=YEAR):
    token = getattr(link_or_token, "token", link_or_token)
    url = reverse("card_public", args=[token])
    return f"{url}?year={year}" if year else url


def control_url(member):
    return reverse("card_link", args=[member.pk])


# --- The link --------------------------------------------------------------------------------


def test_the_token_is_long_url_safe_random_and_unique(county):
    members = [county.member, *(make_member(county.branch, f"党员{n}") for n in range(5))]
    tokens = [issue(county, m).token for m in members]
    tokens.append(
        card_links.card_link_reissue(member=county.member, by=county.secretary_user).token
    )

    assert all(re.fullmatch(r"[A-Za-z0-9_-]{40,64}", t) for t in tokens)
    assert len(set(tokens)) == len(tokens)


def test_issuing_twice_gives_the_same_link(county):
    assert issue(county) == issue(county)
    assert CardLink.objects.filter(member=county.member).count() == 1


def test_the_database_refuses_a_second_active_link(county):
    issue(county)
    with pytest.raises(IntegrityError):
        CardLink.objects.create(member=county.member, created_by=county.secretary_user)


def test_a_member_who_left_gets_no_new_link(county):
    Member.objects.filter(pk=county.member.pk).update(
        status=Member.Status.DECEASED, status_date=datetime.date(YEAR, 6, 1)
    )
    county.member.refresh_from_db()
    with pytest.raises(ValidationError):
        issue(county)


# --- The public page -------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_the_members_card_without_logging_in(county, rules_2026):
    approve_bonus(county, rules_2026, county.member)
    link = issue(county)

    response = Client().get(public_url(link))

    assert response.status_code == 200
    card = response.context["card"]
    html = response.content.decode()
    assert county.member.name in html
    assert f"{card.result.total}" in html and card.result.total == Decimal("94.00")
    assert card.grade_label == "基本合格" and "基本合格" in html  # category A, 94 points
    assert "东阳涧村党支部" in html and "东村镇" in html and county.member.card_number in html
    assert "退出" not in html and "修改密码" not in html  # no officials' menu


def test_the_page_opens_for_the_current_year_without_a_year(county, rules_2026):
    response = Client().get(public_url(issue(county), year=None))
    assert response.status_code == 200


def test_the_page_shows_nothing_private_and_no_other_member(county, rules_2026):
    member = make_member(
        county.branch, "刘福生", phone="13912345678", birth_date=datetime.date(1968, 3, 9)
    )
    neighbour = make_member(county.branch, "赵二虎", phone="13800001111")
    approve_bonus(county, rules_2026, member, points="4")
    deduct(county, rules_2026, member)
    approve_bonus(county, rules_2026, neighbour, points="8")
    deduct(county, rules_2026, neighbour, month=6, reason="赵二虎六月酒后闹事")

    response = Client().get(public_url(issue(county, member)))

    html = response.content.decode()
    assert "刘福生" in html
    for secret in [
        member.id_number,
        member.masked_id_number,
        member.id_number[:6],  # the region code that starts every masked number
        "****",
        member.phone,
        "1968-03-09",
        "1968年3月9日",
        "19680309",
    ]:
        assert secret not in html, secret
    # the member's own entries: contribution items by name; a deduction only as the month's
    # total (DOMAIN §5), never its item or reason; never the free-text reasons or authors
    assert item(rules_2026, "G03").name in html
    assert "违规扣分" in html and "-2.00" in html and item(rules_2026, "K01").name not in html
    assert "五月无故缺席党员大会" not in html and "参加人居环境整治清扫村道" not in html
    assert "assessor" not in html
    # nothing about anyone else in the branch
    for other in [neighbour, county.member]:
        assert other.name not in html
        assert other.card_number not in html
    assert "赵二虎六月酒后闹事" not in html and "13800001111" not in html


def test_a_clearing_shows_the_generic_marker_not_the_item(county, rules_2026):
    clearing_item = item(rules_2026, "Q4")
    services.clearing_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=7,
        item=clearing_item,
        occurred_on=datetime.date(YEAR, 7, 20),
        reason="参与赌博被处罚",
        confirmed=True,
        by=county.secretary_user,
    )

    html = Client().get(public_url(issue(county))).content.decode()

    assert "积分清零" in html
    assert clearing_item.name not in html and "参与赌博被处罚" not in html


def test_a_cleared_year_shows_the_marker_only(county, rules_2026):
    approve_bonus(county, rules_2026, county.member, points="6")
    deduct(county, rules_2026, county.member)
    services.clearing_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=7,
        item=item(rules_2026, "Q4"),
        occurred_on=datetime.date(YEAR, 7, 20),
        reason="参与赌博被处罚",
        confirmed=True,
        by=county.secretary_user,
    )
    html = Client().get(public_url(issue(county))).content.decode()
    assert "积分清零" in html
    for detail in ["逐月积分", "违规扣分", item(rules_2026, "G03").name, "+6.00"]:
        assert detail not in html, detail


def test_deductions_show_as_one_total_per_month(county, rules_2026):
    deduct(county, rules_2026, county.member, code="K01", reason="缺席党员大会")
    deduct(county, rules_2026, county.member, code="K05", reason="缺学")
    html = Client().get(public_url(issue(county))).content.decode()
    assert html.count("违规扣分") == 2  # the composition table and one line for May
    assert "-3.00" in html
    assert item(rules_2026, "K01").name not in html and item(rules_2026, "K05").name not in html


def test_the_response_is_not_cached_not_referred_and_not_indexed(county, rules_2026):
    response = Client().get(public_url(issue(county)))

    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in response.content.decode()


def test_the_page_and_its_qr_have_no_inline_style(county, rules_2026):
    link = issue(county)
    svg = card_links.qr_svg("https://example.org" + card_links.card_link_path(link))

    assert svg.startswith("<svg") and "<path" in svg
    assert not STYLE.search(svg)
    assert not STYLE.search(Client().get(public_url(link)).content.decode())


def test_a_revoked_link_answers_404_like_an_unknown_one(county, rules_2026):
    link = issue(county)
    assert card_links.card_link_revoke(member=county.member, by=county.secretary_user)

    client = Client()
    revoked = client.get(public_url(link))
    unknown = client.get(public_url("x" * 43))

    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert client.get(public_url("y" * 200)).status_code == 404


def test_a_reissued_link_replaces_the_old_one(county, rules_2026):
    old = issue(county)
    new = card_links.card_link_reissue(member=county.member, by=county.secretary_user)

    client = Client()
    assert client.get(public_url(old)).status_code == 404
    assert client.get(public_url(new)).status_code == 200
    old.refresh_from_db()
    assert old.revoked_at is not None and old.revoked_by == county.secretary_user


def test_only_earlier_years_with_rules_can_be_asked_for(county, rules_2026):
    link = issue(county)
    client = Client()
    assert client.get(public_url(link, year=2019)).status_code == 404  # no rules that year
    assert client.get(reverse("card_public", args=[link.token]) + "?year=abc").status_code == 404


# --- The secretary's controls ----------------------------------------------------------------


def test_the_secretary_issues_reissues_and_revokes_from_the_member_page(county, rules_2026):
    client = county.client("secretary")
    url = control_url(county.member)

    page = client.get(reverse("member", args=[county.member.pk])).content.decode()
    assert "积分卡二维码" in page and 'value="issue"' in page

    assert client.post(url, {"action": "issue"}).status_code == 302
    first = CardLink.objects.active().get(member=county.member)
    page = client.get(reverse("member", args=[county.member.pk])).content.decode()
    assert "<svg" in page and first.token in page and 'value="reissue"' in page

    client.post(url, {"action": "reissue"})
    second = CardLink.objects.active().get(member=county.member)
    assert second.token != first.token

    client.post(url, {"action": "revoke"})
    assert not CardLink.objects.active().filter(member=county.member).exists()
    assert CardLink.objects.filter(member=county.member).count() == 2  # history kept

    assert client.get(url).status_code == 405
    assert client.post(url, {"action": "delete"}).status_code == 400


@pytest.mark.parametrize("persona", ["assessor", "township", "secretary_y", "county"])
def test_nobody_but_the_branch_secretary_can_touch_the_link(county, persona):
    link = issue(county)
    client = county.client(persona)

    assert client.get(control_url(county.member)).status_code == 404
    for action in ["issue", "reissue", "revoke"]:
        assert client.post(control_url(county.member), {"action": action}).status_code == 404
    sheet_issue = reverse("card_links_issue_all", args=[county.branch.pk])
    assert client.get(sheet_issue).status_code == 404
    assert client.post(sheet_issue, {"year": YEAR}).status_code == 404

    assert CardLink.objects.get() == link and link.revoked_at is None
    if persona in ("assessor", "township", "county"):  # they may read the member page
        page = client.get(reverse("member", args=[county.member.pk])).content.decode()
        assert link.token not in page and "积分卡二维码" not in page


# --- The printed cards -----------------------------------------------------------------------

# The sheet's queries, unchanged by the QR codes (the active token is a subquery of the members
# query): as tests/test_points_card.py's SHEET_QUERIES.
SHEET_QUERIES = 15


def sheet_url(branch, year=YEAR):
    return reverse("branch_cards_print", args=[branch.pk, year])


@pytest.mark.parametrize("members", [5, 40])
def test_the_sheet_prints_a_qr_for_members_with_a_link_at_a_fixed_query_cost(
    county, rules_2026, django_assert_max_num_queries, members
):
    added = [make_member(county.branch, f"党员{n:02d}") for n in range(members - 1)]
    with_link = added[::2]
    tokens = [issue(county, m).token for m in with_link]
    approve_bonus(county, rules_2026, added[0])
    client = county.client("secretary")

    with django_assert_max_num_queries(SHEET_QUERIES):
        response = client.get(sheet_url(county.branch))

    html = response.content.decode()
    assert response.context["count"] == members
    assert html.count("<svg") == len(with_link)
    assert all(token not in html for token in tokens)  # encoded in the picture, not printed
    assert not STYLE.search(html)
    assert f"{members - len(with_link)} 名在册党员" in html


def test_the_single_printed_card_carries_the_qr(county, rules_2026):
    client = county.client("assessor")
    url = reverse("points_card_print", args=[county.member.pk, YEAR])
    assert "<svg" not in client.get(url).content.decode()

    issue(county)
    assert "<svg" in client.get(url).content.decode()


def test_the_secretary_issues_links_for_the_whole_branch_in_one_go(county, rules_2026):
    existing = issue(county)
    others = [make_member(county.branch, f"党员{n}") for n in range(3)]
    client = county.client("secretary")

    response = client.post(reverse("card_links_issue_all", args=[county.branch.pk]), {"year": YEAR})

    assert response.status_code == 302 and response.url == sheet_url(county.branch)
    assert CardLink.objects.active().get(member=county.member) == existing  # kept
    assert all(CardLink.objects.active().filter(member=m).exists() for m in others)
    assert not CardLink.objects.filter(member__branch=county.branch_y).exists()
    html = client.get(sheet_url(county.branch)).content.decode()
    assert html.count("<svg") == 4 and "都已印有二维码" in html


def test_only_the_secretary_is_offered_the_button(county, rules_2026):
    assert (
        "为全部党员生成二维码"
        in county.client("secretary").get(sheet_url(county.branch)).content.decode()
    )
    assert (
        "为全部党员生成二维码"
        not in county.client("assessor").get(sheet_url(county.branch)).content.decode()
    )
