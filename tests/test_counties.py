"""Counties: a database may hold several (the province scale), and a county admin sees theirs.

The small county of conftest (岚县) has a neighbour, 兴县, with one township (蔚汾镇), one branch
(城关村) and one member (赵文华). Both counties record points in March; each admin's overview,
dashboard, lists, 光荣榜 and exports show their own county and nothing of the other.
"""

import datetime
import io

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from openpyxl import load_workbook

from members.models import Official
from members.permissions import system_user
from oversight import clock
from scoring import services as scoring
from scoring.models import RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_user
from .test_exports import assess

pytestmark = pytest.mark.django_db

YEAR = 2026
TODAY = datetime.date(2026, 11, 25)
OURS = {"王建国", "李秀英", "张志强"}  # 岚县's three members
THEIRS = "赵文华"  # 兴县's one


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def two_counties(county):
    """Each member gets a 2-point bonus in March, approved by their branch."""
    load_default_rules(year=YEAR)
    for member, branch in (
        (county.member, county.branch),
        (county.member_y, county.branch_y),
        (county.member_z, county.branch_z),
        (county.member_x, county.branch_x),
    ):
        # Each county's own G02 (each publishes its own rules).
        item = RuleItem.objects.get(
            code="G02",
            branch__isnull=True,
            rule_set__year=YEAR,
            rule_set__county=branch.township.county,
        )
        declaration = scoring.declaration_create(
            member=member,
            branch=branch,
            year=YEAR,
            month=3,
            item=item,
            occurred_on=datetime.date(YEAR, 3, 3),
            description="义务劳动",
            points=None,
            by=system_user(),
        )
        scoring.declaration_approve(declaration=declaration, by=system_user())
    return county


def text_of(response) -> str:
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.content.decode()


def test_each_admin_sees_only_their_own_townships_on_the_overview(two_counties):
    ours = text_of(two_counties.client("county").get(reverse("county")))
    assert "东村镇" in ours and "岚城镇" in ours and "蔚汾镇" not in ours
    assert "岚县" in ours
    theirs = text_of(two_counties.client("county_x").get(reverse("county")))
    assert "蔚汾镇" in theirs and "东村镇" not in theirs and "岚城镇" not in theirs
    assert "兴县" in theirs


def test_the_county_dashboard_counts_one_county(two_counties):
    response = two_counties.client("county").get(reverse("county_dashboard", args=[YEAR]))
    board = response.context["board"]
    assert [t.name for t in board.townships] == ["东村镇", "岚城镇"]
    assert board.total.members == 3
    assert board.scope.name == "岚县"
    response = two_counties.client("county_x").get(reverse("county_dashboard", args=[YEAR]))
    board = response.context["board"]
    assert [t.name for t in board.townships] == ["蔚汾镇"]
    assert board.total.members == 1
    assert [b.name for b in board.branches] == ["城关村"]


@pytest.mark.parametrize(
    "name, args",
    [
        ("county_dashboard", [YEAR]),
        ("county_dashboard_export", [YEAR]),
        ("county_members", []),
        ("county_members_export", []),
        ("county_entries", []),
        ("county_entries_export", []),
        ("county_honour", [YEAR]),
        ("county_honour_export", [YEAR]),
    ],
)
def test_county_pages_and_exports_name_no_one_from_the_other_county(two_counties, name, args):
    url = reverse(name, args=args) + ("?year=2026" if not args else "")
    ours = text_of(two_counties.client("county").get(url))
    assert THEIRS not in ours and "城关村" not in ours
    assert "王建国" in ours
    theirs = text_of(two_counties.client("county_x").get(url))
    assert THEIRS in theirs
    assert not any(name in theirs for name in OURS)


def test_a_county_list_filtered_on_another_countys_branch_answers_404(two_counties):
    url = reverse("county_members") + f"?branch={two_counties.branch_x.pk}"
    assert two_counties.client("county").get(url).status_code == 404
    assert two_counties.client("county_x").get(url).status_code == 200


def test_the_county_results_export_covers_the_admins_county_only(two_counties):
    county = two_counties
    township_x = make_user("township_x", Official.Role.TOWNSHIP, township=county.weifen)
    assess(county.branch, county.secretary_user, approver=county.township_user)
    assess(county.branch_x, system_user(), approver=township_x)
    url = reverse("county_results_export", args=[YEAR, "Q1"])
    response = county.client("county").get(url)
    assert (
        "岚县" in response["Content-Disposition"] or "%E5%B2%9A" in response["Content-Disposition"]
    )
    ours = text_of(response)
    assert "王建国" in ours and THEIRS not in ours
    theirs = text_of(county.client("county_x").get(url))
    assert THEIRS in theirs and "王建国" not in theirs


def test_a_transfer_stays_inside_the_county(two_counties):
    county = two_counties
    client = county.client("secretary")
    url = reverse("member_transfer", args=[county.member.pk])
    page = text_of(client.get(url))
    assert "官桥村" in page and "史家庄村" in page
    assert "城关村" not in page
    response = client.post(
        url, {"to_branch": county.branch_x.pk, "date": "2026-03-31", "reason": "外出务工"}
    )
    assert response.status_code == 200  # the form again, with the error
    county.member.refresh_from_db()
    assert county.member.branch == county.branch


def test_the_transfer_service_refuses_another_county(two_counties):
    from django.core.exceptions import ValidationError

    from members import services as members

    with pytest.raises(ValidationError, match="本县"):
        members.member_transfer(
            member=two_counties.member,
            by=two_counties.county_user,
            to_branch=two_counties.branch_x,
            date=datetime.date(2026, 3, 31),
            reason="外出务工",
        )


def test_a_county_admin_must_belong_to_a_county(county):
    from django.contrib.auth.models import User

    user = User.objects.create_user("nowhere")
    with pytest.raises(IntegrityError):
        Official.objects.create(user=user, role=Official.Role.COUNTY)


@pytest.mark.django_db(transaction=True)
def test_the_migration_puts_an_existing_database_into_one_county(settings):
    """A database from before counties: its townships and county admins become COUNTY_NAME's."""
    settings.COUNTY_NAME = "岚县"
    executor = MigrationExecutor(connection)
    executor.migrate([("members", "0003_county")])
    old = executor.loader.project_state([("members", "0003_county")]).apps
    Township = old.get_model("members", "Township")
    Official = old.get_model("members", "Official")
    User = old.get_model("auth", "User")
    dongcun = Township.objects.create(name="东村镇")
    admin = Official.objects.create(user=User.objects.create(username="old-admin"), role="county")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    county = new.get_model("members", "County").objects.get()
    assert county.name == "岚县"
    assert new.get_model("members", "Township").objects.get(pk=dongcun.pk).county_id == county.pk
    assert new.get_model("members", "Official").objects.get(pk=admin.pk).county_id == county.pk
