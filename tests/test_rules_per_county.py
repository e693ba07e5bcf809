"""Each county publishes its own rule set (DOMAIN §3.8; issue 15 part 1).

Two counties, each with its own version and a different base score: every page shows a member
their own county's figure; a county admin never sees, publishes or edits the other county's
rules (404 on the pages, PermissionDenied in the services — tests/test_service_permissions.py);
a template is copied into a county's draft; and the migration puts rule sets made while they were
database-wide into the counties.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from members.permissions import system_user
from oversight import clock
from scoring import ledger, services, versions
from scoring.models import CategoryRule, RuleSet

YEAR = 2026
TODAY = datetime.date(2026, 3, 20)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def own_rules(county):
    """岚县 keeps the defaults (B: 80 a year); 兴县 publishes a version where B earns 96."""
    lanxian = services.ruleset_load_defaults(year=YEAR, county=county.lanxian, by=system_user())
    draft = services.ruleset_load_defaults(
        year=YEAR, county=county.xingxian, publish=False, by=system_user()
    )
    CategoryRule.objects.filter(rule_set=draft, category="B").update(
        base_score=Decimal("96"), excellent_min=Decimal("126")
    )
    services.ruleset_publish(rule_set=draft, by=county.county_x_user)
    county.rules_l, county.rules_x = lanxian, draft
    return county


def test_each_county_has_its_own_version_in_force(own_rules):
    c = own_rules
    assert versions.in_force(YEAR, county=c.lanxian) == c.rules_l
    assert versions.in_force(YEAR, branch=c.branch_x) == c.rules_x
    assert versions.in_force_by_branch([c.branch.pk, c.branch_x.pk], YEAR) == {
        c.branch.pk: c.rules_l.pk,
        c.branch_x.pk: c.rules_x.pk,
    }
    # Both are version 1: versions are numbered per county.
    assert c.rules_l.version == c.rules_x.version == 1


def test_members_of_two_counties_are_scored_with_their_own_in_a_fixed_number_of_queries(
    own_rules, django_assert_max_num_queries
):
    c = own_rules
    # rolls, categories, entries, months' versions, the versions in force, base scores
    with django_assert_max_num_queries(6):
        years = ledger.member_years([c.member.pk, c.member_x.pk], YEAR)
    assert set(years[c.member.pk].bases.values()) == {Decimal("88")}  # 岚县, category A
    assert set(years[c.member_x.pk].bases.values()) == {Decimal("96")}  # 兴县, category B


def base_cells(response) -> list[str]:
    return re.findall(r'data-label="基础分">([^<]*)<', response.content.decode())


def test_the_month_screen_shows_each_member_their_own_countys_base_share(own_rules):
    c = own_rules
    ours = c.client("secretary").get(reverse("month", args=[c.branch.pk, YEAR, 3]))
    theirs = c.client("county_x").get(reverse("month", args=[c.branch_x.pk, YEAR, 3]))
    # A twelfth of the year's base: 王建国 (A) 88 / 12 in 岚县; 赵文华 (B) 96 / 12 = 8 in 兴县,
    # where 岚县's rules would give 80 / 12.
    assert [Decimal(b) for b in base_cells(ours)] == [Decimal("7.33")]
    assert [Decimal(b) for b in base_cells(theirs)] == [Decimal("8")]


def test_the_points_card_uses_the_members_county(own_rules):
    c = own_rules
    ours = c.client("county").get(reverse("points_card", args=[c.member.pk, YEAR]))
    theirs = c.client("county_x").get(reverse("points_card", args=[c.member_x.pk, YEAR]))
    # Each month's base share on the card (the cell after the category), January to December.
    month_bases = r'类</td>\s*<td class="num">([^<]*)<'
    assert {Decimal(b) for b in re.findall(month_bases, ours.content.decode())} == {Decimal("7.33")}
    assert {Decimal(b) for b in re.findall(month_bases, theirs.content.decode())} == {Decimal("8")}


def test_the_county_dashboards_project_each_countys_own_base(own_rules):
    c = own_rules
    ours = c.client("county").get(reverse("county_dashboard", args=[YEAR]))
    theirs = c.client("county_x").get(reverse("county_dashboard", args=[YEAR]))
    assert ours.status_code == theirs.status_code == 200
    # 兴县's one member (category B) has earned 3 of 12 months by March: 3 × 8 = 24.
    assert "24.00" in theirs.content.decode()
    assert "24.00" not in ours.content.decode()


def test_the_printed_rules_are_the_officials_own_countys(own_rules):
    c = own_rules
    ours = c.client("assessor").get(reverse("rules_sheet", args=[YEAR])).content.decode()
    theirs = c.client("county_x").get(reverse("rules_sheet", args=[YEAR])).content.decode()
    assert "岚县农村党员积分管理评定编制" in ours and "兴县" not in ours
    assert "兴县农村党员积分管理评定编制" in theirs
    assert "96" in theirs and ">96<" not in ours


def admin(client_user, county):
    user = client_user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return county.client("county_x" if user == county.county_x_user else "county")


def test_a_county_admin_gets_404_on_the_other_countys_rule_set_in_the_admin(own_rules):
    c = own_rules
    client = admin(c.county_x_user, c)
    other = reverse("admin:scoring_ruleset_change", args=[c.rules_l.pk])
    assert client.get(other).status_code == 404
    assert client.post(other, {}).status_code == 404
    assert (
        client.get(reverse("admin:scoring_ruleset_history", args=[c.rules_l.pk])).status_code == 404
    )
    own = reverse("admin:scoring_ruleset_change", args=[c.rules_x.pk])
    assert client.get(own).status_code == 200
    listing = client.get(reverse("admin:scoring_ruleset_changelist")).content.decode()
    assert f"/{c.rules_x.pk}/change/" in listing and f"/{c.rules_l.pk}/change/" not in listing


def test_the_admin_actions_never_touch_the_other_countys_rules(own_rules):
    c = own_rules
    draft = services.ruleset_new_version(rule_set=c.rules_l, by=c.county_user)
    client = admin(c.county_x_user, c)
    changelist = reverse("admin:scoring_ruleset_changelist")
    for action in ("publish_drafts", "copy_as_new_version"):
        client.post(changelist, {"action": action, "_selected_action": [draft.pk], "index": 0})
    draft.refresh_from_db()
    assert draft.is_draft
    assert RuleSet.objects.filter(county=c.xingxian).count() == 1


def test_a_county_copies_a_template_into_a_draft_and_publishes_it(own_rules):
    c = own_rules
    template = services.ruleset_load_defaults(year=YEAR + 1, county=None, by=system_user())
    assert versions.in_force(YEAR + 1, county=c.lanxian) is None  # a template scores nothing

    client = admin(c.county_user, c)
    changelist = reverse("admin:scoring_ruleset_changelist")
    assert f"/{template.pk}/change/" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "copy_as_new_version", "_selected_action": [template.pk]})
    copy = RuleSet.objects.get(county=c.lanxian, year=YEAR + 1)
    assert copy.is_draft and copy.based_on == template and copy.items.count() == 30
    # The template itself stays read-only for the county admin.
    page = client.get(reverse("admin:scoring_ruleset_change", args=[template.pk]))
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()

    services.ruleset_publish(rule_set=copy, by=c.county_user)
    assert versions.in_force(YEAR + 1, county=c.lanxian) == copy
    assert versions.in_force(YEAR + 1, county=c.xingxian) is None


def test_a_branch_never_adopts_another_countys_rules(own_rules):
    c = own_rules
    with pytest.raises(Exception, match="本县"):
        services.branch_adopt(
            branch=c.branch,
            rule_set=c.rules_x,
            adopted_on=datetime.date(YEAR, 1, 10),
            disabled_items=[],
            by=c.secretary_user,
        )


# --- The migration -----------------------------------------------------------------------------


BEFORE = [("scoring", "0008_rule_sets_per_county")]


def _old_rule_set(apps, year):
    RuleSet = apps.get_model("scoring", "RuleSet")
    rule_set = RuleSet.objects.create(
        year=year,
        version=1,
        status="published",
        published_at=datetime.datetime(year, 1, 2, 9, 0, tzinfo=datetime.UTC),
    )
    apps.get_model("scoring", "CategoryRule").objects.create(
        rule_set=rule_set,
        category="B",
        base_score=80,
        excellent_min=110,
        qualified_min=90,
        basic_min=80,
    )
    item = apps.get_model("scoring", "RuleItem").objects.create(
        rule_set=rule_set, kind="bonus", code="G01", name="岗位", points_min=1, points_max=3
    )
    return rule_set, item


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_county_its_own_copy_of_the_old_rule_sets():
    old = _migrate(BEFORE)
    County = old.get_model("members", "County")
    Township = old.get_model("members", "Township")
    Branch = old.get_model("members", "Branch")
    first, second = County.objects.create(name="岚县"), County.objects.create(name="兴县")
    branch_1 = Branch.objects.create(
        township=Township.objects.create(county=first, name="东村镇"), name="东阳涧村"
    )
    branch_2 = Branch.objects.create(
        township=Township.objects.create(county=second, name="蔚汾镇"), name="城关村"
    )
    rule_set, g01 = _old_rule_set(old, 2026)
    RuleItem = old.get_model("scoring", "RuleItem")
    own = RuleItem.objects.create(
        rule_set=rule_set,
        branch=branch_2,
        parent=g01,
        kind="bonus",
        code="G01-1",
        name="护林",
        points_min=1,
        points_max=2,
    )
    BranchMonth = old.get_model("scoring", "BranchMonth")
    for branch in (branch_1, branch_2):
        BranchMonth.objects.create(branch=branch, year=2026, month=1, rule_set=rule_set)
    adoption = old.get_model("scoring", "BranchAdoption").objects.create(
        branch=branch_2, rule_set=rule_set, adopted_on=datetime.date(2026, 1, 10)
    )
    adoption.disabled_items.add(g01)

    new = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    RuleSet = new.get_model("scoring", "RuleSet")
    kept = RuleSet.objects.get(pk=rule_set.pk)
    copy = RuleSet.objects.get(county_id=second.pk)
    assert kept.county_id == first.pk
    assert (copy.year, copy.version, copy.status) == (2026, 1, "published")
    assert copy.category_rules.get().base_score == 80
    copied_g01 = copy.items.get(code="G01", branch__isnull=True)
    BranchMonth = new.get_model("scoring", "BranchMonth")
    assert BranchMonth.objects.get(branch_id=branch_1.pk).rule_set_id == kept.pk
    assert BranchMonth.objects.get(branch_id=branch_2.pk).rule_set_id == copy.pk
    adoption = new.get_model("scoring", "BranchAdoption").objects.get(pk=adoption.pk)
    assert adoption.rule_set_id == copy.pk
    assert list(adoption.disabled_items.values_list("pk", flat=True)) == [copied_g01.pk]
    moved = new.get_model("scoring", "RuleItem").objects.get(pk=own.pk)
    assert (moved.rule_set_id, moved.parent_id) == (copy.pk, copied_g01.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migration_leaves_rule_sets_as_templates_without_a_county():
    old = _migrate(BEFORE)
    rule_set, _ = _old_rule_set(old, 2026)
    new = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert new.get_model("scoring", "RuleSet").objects.get(pk=rule_set.pk).county_id is None
