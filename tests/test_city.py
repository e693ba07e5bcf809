"""The city level: 吕梁市 above 岚县 (the county of conftest, with a year of activity from
test_dashboards) and 临县 (one township, one branch, one member, March left open so the branch is
late). 兴县 belongs to no city. The city admin reads its counties side by side and drills down to
each county's own pages; everything of another county answers 404; it enters nothing.
"""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from evaluations import services as evaluations
from members.models import Branch, City, County, Official, Township
from members.permissions import system_user
from rewards import services as rewards
from rewards.models import Shop
from scoring import services as scoring
from scoring.models import Declaration

from .conftest import client_for, make_member, make_user
from .test_dashboards import YEAR, Year, bonus, close, count_queries, deduct, item, links

pytestmark = pytest.mark.django_db


def add_county(city, name, position, *, members=1):
    """A county of the city with one township and one branch; months 1, 2 and 4–10 closed and
    March left open (so the branch is late); each member with a bonus in April."""
    county = County.objects.create(name=name, position=position, city=city)
    township = Township.objects.create(county=county, name=f"{name}城关镇")
    branch = Branch.objects.create(township=township, name=f"{name}一村")
    scoring.ruleset_load_defaults(year=YEAR, county=county, by=system_user())  # its own rules
    for n in range(members):
        person = make_member(branch, f"{name}党员{n}")
        bonus(person, branch, 4)
    close(branch, [1, 2, *range(4, 11)], system_user())
    return county


@pytest.fixture
def city(county):
    Year(county)
    county.linxian = add_county(county.lvliang, "临县", 3, members=2)
    county.county_l_user = make_user("county_l", Official.Role.COUNTY, county=county.linxian)
    return county


def board_of(response):
    assert response.status_code == 200
    return response.context["board"]


# --- The dashboard ----------------------------------------------------------------------------


def test_each_county_row_shows_what_that_county_s_own_dashboard_shows(city):
    page = city.client("city").get(reverse("city_dashboard", args=[YEAR]))
    board = board_of(page)
    assert [c.name for c in board.counties] == ["岚县", "临县"]
    text = page.content.decode()
    assert "兴县" not in text
    for row, county in zip(board.counties, (city.lanxian, city.linxian), strict=True):
        own = board_of(
            city.client("city").get(reverse("county_dashboard_of", args=[county.pk, YEAR]))
        )
        assert (row.stats.members, row.stats.average) == (own.total.members, own.total.average)
        assert row.stats.grades == own.total.grades
        assert (row.stats.deduction_count, row.stats.clearing_count) == (
            own.total.deduction_count,
            own.total.clearing_count,
        )
        assert [(c.members, c.grades) for c in row.categories] == [
            (c.members, c.grades) for c in own.categories
        ]
        assert (row.months_closed, row.quarters_approved, row.late) == (
            own.months_closed,
            own.quarters_approved,
            len(own.late_branches),
        )
    # 临县一村 left March open: it is listed late, with the reason, under its county.
    assert ("临县", "临县一村") in {(c.name, b.name) for c, b in board.late_branches}
    assert "3月未结账" in text


def test_the_city_total_is_the_sum_of_its_counties(city):
    board = board_of(city.client("city").get(reverse("city_dashboard", args=[YEAR])))
    assert board.total.members == sum(c.stats.members for c in board.counties)
    assert board.progress["done"] == sum(c.months_closed for c in board.counties)
    for category in range(4):
        assert board.categories[category].members == sum(
            c.categories[category].members for c in board.counties
        )


def test_rewards_activity_is_counted_per_county(city):
    shop = Shop.objects.create(township=city.dongcun, name="东阳涧村爱心超市")
    shop.branches.add(city.branch)
    goods = rewards.goods_create(shop=shop, name="毛巾", unit="条", price=0, by=system_user())
    rewards.stock_receive(goods=goods, quantity=5, source="donated", by=system_user())
    rewards.redeem(
        shop=shop,
        member=city.member,
        items=[(goods.pk, 2)],
        collected_by="王建国",
        by=system_user(),
    )
    rewards.fund_income(
        township=city.dongcun,
        source="donation",
        source_name="爱心企业",
        amount=500,
        received_on=datetime.date(YEAR, 3, 1),
        by=city.township_user,
    )
    page = city.client("city").get(reverse("city_dashboard", args=[YEAR]))
    lanxian, linxian = board_of(page).counties
    assert (lanxian.rewards.shops, lanxian.rewards.redemptions, lanxian.rewards.households) == (
        1,
        1,
        1,
    )
    assert lanxian.rewards.fund_income == 500
    assert (linxian.rewards.shops, linxian.rewards.redemptions) == (0, 0)
    assert "爱心超市与红色基金" in page.content.decode()


def test_each_county_row_drills_down_to_that_county_s_pages(city):
    client = city.client("city")
    page = client.get(reverse("city_dashboard", args=[YEAR]))
    county_url = reverse("county_dashboard_of", args=[city.lanxian.pk, YEAR])
    assert county_url in links(page)
    county_page = client.get(county_url)
    assert county_page.status_code == 200
    assert "东村镇" in county_page.content.decode()
    for url in (
        reverse("county_members_of", args=[city.lanxian.pk]) + f"?year={YEAR}",
        reverse("county_entries_of", args=[city.lanxian.pk]) + f"?year={YEAR}",
        reverse("county_honour_of", args=[city.lanxian.pk, YEAR]),
        reverse("township_dashboard", args=[city.dongcun.pk, YEAR]),
    ):
        assert url in links(county_page) | links(page), url
        assert client.get(url).status_code == 200, url
    members = client.get(reverse("county_members_of", args=[city.lanxian.pk]), {"year": YEAR})
    assert "王建国" in members.content.decode()
    assert "临县党员0" not in members.content.decode()


def test_the_exports_read_back(city):
    client = city.client("city")
    response = client.get(reverse("city_dashboard_export", args=[YEAR]))
    book = load_workbook(io.BytesIO(response.content))
    assert "各县统计" in book.sheetnames and "逾期支部" in book.sheetnames
    rows = list(book["各县统计"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["岚县", "临县", "合计"]
    board = board_of(client.get(reverse("city_dashboard", args=[YEAR])))
    assert [r[1] for r in rows[1:]] == [
        *(c.stats.members for c in board.counties),
        board.total.members,
    ]
    late = [r[:3] for r in book["逾期支部"].iter_rows(min_row=2, values_only=True)]
    assert ("临县", "临县城关镇", "临县一村") in late
    county_book = client.get(reverse("county_dashboard_of_export", args=[city.linxian.pk, YEAR]))
    assert county_book.status_code == 200
    assert county_book["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_city_home_page_leads_to_the_dashboard_and_the_counties(city):
    page = city.client("city").get(reverse("home"))
    assert page.status_code == 200
    assert reverse("city_dashboard", args=[datetime.date.today().year]) in links(page)
    assert reverse("county_dashboard_of", args=[city.linxian.pk, datetime.date.today().year]) in (
        links(page)
    )
    assert "兴县" not in page.content.decode()


# --- Scope --------------------------------------------------------------------------------------

COUNTY_PAGES = [
    ("county_dashboard_of", [YEAR]),
    ("county_dashboard_of_export", [YEAR]),
    ("county_members_of", []),
    ("county_members_of_export", []),
    ("county_entries_of", []),
    ("county_entries_of_export", []),
    ("county_honour_of", [YEAR]),
    ("county_honour_of_export", [YEAR]),
]


@pytest.mark.parametrize(("name", "args"), COUNTY_PAGES)
def test_a_county_s_pages_open_for_its_admin_and_its_city_only(city, name, args):
    def status(persona, county):
        return city.client(persona).get(reverse(name, args=[county.pk, *args])).status_code

    assert status("city", city.lanxian) == status("city", city.linxian) == 200
    assert status("county", city.lanxian) == 200
    assert status("county", city.linxian) == 404  # the county next door, same city
    assert status("county_l", city.lanxian) == 404
    assert status("city", city.xingxian) == 404  # not the city's
    for persona in ("township", "secretary", "assessor"):
        assert status(persona, city.lanxian) == 404


def test_another_city_s_admin_sees_none_of_lvliang(city):
    other = City.objects.create(name="忻州市")
    city.xingxian.city = other
    city.xingxian.save()
    client = client_for(make_user("city_x", Official.Role.CITY, city=other))
    board = board_of(client.get(reverse("city_dashboard", args=[YEAR])))
    assert [c.name for c in board.counties] == ["兴县"]
    for url in (
        reverse("county_dashboard_of", args=[city.lanxian.pk, YEAR]),
        reverse("township_dashboard", args=[city.dongcun.pk, YEAR]),
        reverse("branch", args=[city.branch.pk]),
        reverse("member", args=[city.member.pk]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", ["county", "township", "secretary", "assessor"])
def test_the_city_dashboard_is_the_city_admin_s_only(city, persona):
    for name in ("city_dashboard", "city_dashboard_export"):
        assert city.client(persona).get(reverse(name, args=[YEAR])).status_code == 404


# --- A city admin reads; it does not enter or approve --------------------------------------------


def test_no_write_step_accepts_the_city_admin(city):
    by = city.city_user
    with pytest.raises(PermissionDenied):
        scoring.declaration_create(
            member=city.member,
            branch=city.branch,
            year=YEAR,
            month=11,
            item=item("G02"),
            occurred_on=datetime.date(YEAR, 11, 3),
            description="义务劳动",
            by=by,
        )
    waiting = Declaration.objects.get(branch=city.branch_y, month=3, status="submitted")
    with pytest.raises(PermissionDenied):
        scoring.declaration_approve(declaration=waiting, by=by)
    assessment = evaluations.assessment_open(
        branch=city.branch, year=YEAR, period="Q2", by=city.secretary_user
    )
    evaluations.assessment_confirm(
        assessment=assessment,
        meeting_date=datetime.date(YEAR, 7, 5),
        members_expected=3,
        members_present=3,
        by=city.secretary_user,
    )
    with pytest.raises(PermissionDenied):
        evaluations.assessment_approve(assessment=assessment, by=by)
    with pytest.raises(PermissionDenied):
        scoring.ruleset_load_defaults(year=YEAR + 1, county=city.lanxian, by=by)
    assessment.refresh_from_db()
    assert assessment.status == "confirmed"


def test_the_city_admin_reads_a_branch_but_its_write_pages_answer_404(city):
    client = city.client("city")
    assert client.get(reverse("branch", args=[city.branch.pk])).status_code == 200
    assert client.get(reverse("month", args=[city.branch.pk, YEAR, 3])).status_code == 200
    waiting = Declaration.objects.get(branch=city.branch_y, month=3, status="submitted")
    url = reverse("declarations_approve", args=[city.branch_y.pk, YEAR, 3])
    assert client.post(url, {"declaration": [waiting.pk]}).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == "submitted"
    # and the member's full ID number stays masked: only the county sees it
    page = client.get(reverse("member", args=[city.member.pk])).content.decode()
    assert city.member.id_number not in page


# --- The data model -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        {},  # no city
        {"county": "lanxian"},  # a county instead
        {"city": "lvliang", "county": "lanxian"},  # a city and a county
    ],
)
def test_a_city_official_has_a_city_and_nothing_else(county, scope):
    from django.contrib.auth.models import User

    user = User.objects.create_user("c2")
    values = {key: getattr(county, attr) for key, attr in scope.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Official.objects.create(user=user, role=Official.Role.CITY, **values)


def test_a_county_without_a_city_needs_nothing(county):
    assert county.xingxian.city is None
    assert (
        county.client("county_x").get(reverse("county_dashboard", args=[YEAR])).status_code == 200
    )


# --- Cost ---------------------------------------------------------------------------------------


def test_the_city_dashboard_costs_the_same_queries_for_2_or_3_counties(
    city, django_assert_max_num_queries
):
    client = city.client("city")
    url = reverse("city_dashboard", args=[YEAR])
    two = count_queries(client, url)
    third = add_county(city.lvliang, "方山县", 4, members=3)
    branch = Branch.objects.get(township__county=third)
    deduct(branch.members.first(), branch, 11)
    assert city.lvliang.counties.count() == 3
    with django_assert_max_num_queries(two):
        assert client.get(url).status_code == 200
    assert count_queries(client, url) == two
