"""Step 1 (制定细则): the default rule set, publishing and versions, the admin, the printed sheet,
a branch's adoption and own items, and the load_default_rules command."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from members.models import County
from scoring import services, versions
from scoring.models import BranchAdoption, PointsEntry, RuleItem, RuleSet
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR = 2026
BONUS_CODES = [f"G{n:02d}" for n in range(1, 10)]
DEDUCTION_CODES = [f"K{n:02d}" for n in range(1, 16)]
CLEARING_CODES = [f"Q{n}" for n in range(1, 7)]


@pytest.fixture
def rule_set(county) -> RuleSet:
    """岚县's published defaults for the year (兴县 has its own)."""
    return load_default_rules(year=YEAR)


def in_force(county, year=YEAR):
    return versions.in_force(year, county=county.lanxian)


def county_item(rule_set: RuleSet, code: str) -> RuleItem:
    return rule_set.items.get(branch__isnull=True, code=code)


def admin_client(county):
    user = county.county_user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return county.client("county")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def admin_form_data(response) -> dict:
    """The POST data the admin change page would send back unchanged (form and inlines)."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            key, value = form.add_prefix(name), form[name].value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def item_prefix(data: dict, item: RuleItem) -> str:
    """The form prefix of `item`'s row in the county-items inline, e.g. "items-6-"."""
    key = next(
        k
        for k, v in data.items()
        if k.startswith("items-") and k.endswith("-id") and v == str(item.pk)
    )
    return key.removesuffix("id")


# --- The default rule set (DOMAIN.md §3) ------------------------------------------------------


def test_the_default_rule_set_has_the_four_categories_and_their_cutoffs(rule_set):
    categories = {c.category: c for c in rule_set.category_rules.all()}
    assert list(categories) == ["A", "B", "C", "D"]
    bases = {"A": 88, "B": 80, "C": 72, "D": 64}
    for category, base in bases.items():
        rule = categories[category]
        assert rule.base_score == base
        assert rule.excellent_min == base + 30
        assert rule.qualified_min == base + 10
        assert rule.basic_min == base - 10


def test_the_default_rule_set_has_9_bonus_15_deduction_and_6_clearing_items(rule_set):
    items = rule_set.items.filter(branch__isnull=True)
    codes = {
        kind: sorted(items.filter(kind=kind).values_list("code", flat=True))
        for kind in RuleItem.Kind.values
    }
    assert codes == {
        "bonus": BONUS_CODES,
        "deduction": DEDUCTION_CODES,
        "clearing": CLEARING_CODES,
    }
    classes = dict(items.filter(kind="deduction").values_list("code", "deduction_class"))
    life, discipline, party = (
        RuleItem.DeductionClass.ORGANISATIONAL_LIFE,
        RuleItem.DeductionClass.DISCIPLINE,
        RuleItem.DeductionClass.PARTY_RULES,
    )
    assert classes == {
        **dict.fromkeys(DEDUCTION_CODES[0:5], life),
        **dict.fromkeys(DEDUCTION_CODES[5:10], discipline),
        **dict.fromkeys(DEDUCTION_CODES[10:15], party),
    }
    assert life.label == "组织生活类" and discipline.label == "组织纪律类"
    assert party.label == "党规党纪类"
    not_for_d = sorted(
        items.filter(not_for_categories__contains="D").values_list("code", flat=True)
    )
    assert not_for_d == ["K01", "K02", "K03", "K05"]


def test_the_default_rule_set_has_appraisal_max_20_and_a_5_day_notice(rule_set, county):
    assert rule_set.appraisal_max == 20
    assert rule_set.notice_days == 5
    assert rule_set.status == RuleSet.Status.PUBLISHED and rule_set.published_at is not None
    assert in_force(county) == rule_set


# --- Publishing and versions ------------------------------------------------------------------


def test_publishing_twice_is_refused(county):
    draft = load_default_rules(year=YEAR, publish=False)
    services.ruleset_publish(rule_set=draft, by=county.county_user)
    with pytest.raises(ValidationError, match="已经发布"):
        services.ruleset_publish(rule_set=draft, by=county.county_user)


def test_a_new_version_is_a_draft_copy_and_version_1_stays_in_force_until_it_is_published(
    rule_set, county
):
    copy = services.ruleset_new_version(rule_set=rule_set, by=county.county_user)

    assert copy.version == 2 and copy.status == RuleSet.Status.DRAFT
    assert copy.based_on == rule_set
    assert sorted(copy.items.values_list("code", flat=True)) == sorted(
        rule_set.items.values_list("code", flat=True)
    )
    assert copy.category_rules.count() == 4
    assert in_force(county) == rule_set

    services.ruleset_publish(rule_set=copy, by=county.county_user)
    assert in_force(county) == copy


# --- The admin -------------------------------------------------------------------------------


def test_a_published_rule_set_cannot_be_changed_in_the_admin(county, rule_set):
    client = admin_client(county)
    url = reverse("admin:scoring_ruleset_change", args=[rule_set.pk])

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="title"' not in html and 'name="items-0-points_min"' not in html
    assert "复制为新版本" in html  # the read-only notice says how to change it

    response = client.post(
        url,
        {
            "year": YEAR,
            "version": 1,
            "title": "改过的细则",
            "appraisal_max": "30",
            "notice_days": "1",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    rule_set.refresh_from_db()
    assert rule_set.title == "岚县农村党员积分管理评定细则"
    assert rule_set.appraisal_max == 20 and rule_set.notice_days == 5

    delete = client.post(
        reverse("admin:scoring_ruleset_delete", args=[rule_set.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert RuleSet.objects.filter(pk=rule_set.pk).exists()


def test_a_draft_rule_set_can_be_changed_in_the_admin(county):
    draft = load_default_rules(year=YEAR, publish=False)
    client = admin_client(county)
    url = reverse("admin:scoring_ruleset_change", args=[draft.pk])
    data = admin_form_data(client.get(url))
    g07 = county_item(draft, "G07")
    prefix = item_prefix(data, g07)

    data["notice_days"] = "7"
    data[f"{prefix}points_min"] = data[f"{prefix}points_max"] = "3"
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    g07.refresh_from_db()
    assert draft.notice_days == 7 and g07.points_min == 3


def test_the_admin_refuses_a_bonus_item_with_negative_points_in_a_draft(county):
    draft = load_default_rules(year=YEAR, publish=False)
    client = admin_client(county)
    url = reverse("admin:scoring_ruleset_change", args=[draft.pk])
    data = admin_form_data(client.get(url))
    g01 = county_item(draft, "G01")
    prefix = item_prefix(data, g01)
    data[f"{prefix}points_min"] = data[f"{prefix}points_max"] = "-2"

    response = client.post(url, data)

    assert response.status_code == 200
    g01.refresh_from_db()
    assert g01.points_min == 2


def test_the_admin_actions_publish_a_draft_refuse_a_published_one_and_copy_a_version(
    county, rule_set
):
    client = admin_client(county)
    changelist = reverse("admin:scoring_ruleset_changelist")

    response = client.post(
        changelist,
        {"action": "publish_drafts", "_selected_action": [rule_set.pk], "index": 0},
        follow=True,
    )
    assert any("不能重复发布" in m for m in messages_of(response))

    client.post(
        changelist,
        {"action": "copy_as_new_version", "_selected_action": [rule_set.pk], "index": 0},
    )
    copy = RuleSet.objects.get(county=county.lanxian, year=YEAR, version=2)
    assert copy.is_draft and in_force(county) == rule_set

    response = client.post(
        changelist,
        {"action": "publish_drafts", "_selected_action": [copy.pk], "index": 0},
        follow=True,
    )
    assert any("已发布" in m for m in messages_of(response))
    assert in_force(county) == copy
    copy.refresh_from_db()
    assert copy.published_by == county.county_user


def test_the_points_ledger_is_read_only_in_the_admin(county, rule_set):
    entry = PointsEntry.objects.create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=3,
        kind=PointsEntry.Kind.BONUS,
        points=Decimal("2"),
        item=county_item(rule_set, "G01"),
        rule_set=rule_set,
        reason="认领岗位",
        created_by=county.secretary_user,
    )
    client = admin_client(county)

    assert client.get(reverse("admin:scoring_pointsentry_changelist")).status_code == 200
    listing = client.get(reverse("admin:scoring_pointsentry_changelist"), {"q": "王建国"})
    assert list(listing.context["cl"].result_list) == [entry]
    assert client.get(reverse("admin:scoring_pointsentry_add")).status_code == 403
    change = reverse("admin:scoring_pointsentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200  # view only
    assert client.post(change, {"points": "99", "reason": "改"}).status_code == 403
    delete = reverse("admin:scoring_pointsentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.points == 2


# --- The printed sheet ------------------------------------------------------------------------


def test_the_county_sheet_shows_every_item_code_and_the_grade_cutoffs(
    county, rule_set, django_assert_max_num_queries
):
    client = county.client("assessor")
    # session, user, official, rule set, items, categories, the nav's branch name
    with django_assert_max_num_queries(7):
        response = client.get(reverse("rules_sheet", args=[YEAR]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "岚县农村党员积分管理评定编制（2026年）" in html
    for code in BONUS_CODES + DEDUCTION_CODES + CLEARING_CODES:
        assert f">{code}<" in html, code
    for cutoff in ["118", "110", "102", "94", "98", "78", "54"]:
        assert f"≥{cutoff}" in html
    for label in ["组织生活类", "组织纪律类", "党规党纪类", "全年积分清零"]:
        assert label in html
    assert html.count("†") == 4 + 1  # K01, K02, K03, K05 and the footnote
    assert "该项不适用于D类党员" in html
    assert "满分<b>20</b>分" in html and "公示期<b>5</b>天" in html
    assert 'class="sheet-toolbar no-print"' in html


def test_there_is_no_sheet_for_a_year_without_published_rules(county):
    load_default_rules(year=YEAR, publish=False)
    assert county.client("county").get(reverse("rules_sheet", args=[YEAR])).status_code == 404
    assert county.client("county").get(reverse("rules_sheet", args=[2025])).status_code == 404


# --- The branch: adoption and own items -------------------------------------------------------


def adopt_url(county) -> str:
    return reverse("branch_adopt", args=[county.branch.pk, YEAR])


def item_url(county) -> str:
    return reverse("branch_item_create", args=[county.branch.pk, YEAR])


def print_url(county, branch=None) -> str:
    return reverse("branch_rules_print", args=[(branch or county.branch).pk, YEAR])


def test_switching_off_g07_removes_it_from_the_branch_items_and_the_branch_print(
    county, rule_set, django_assert_max_num_queries
):
    g07 = county_item(rule_set, "G07")
    k04 = county_item(rule_set, "K04")
    client = county.client("secretary")

    response = client.post(
        adopt_url(county),
        {"adopted_on": "2026-03-02", "disabled_bonus": [g07.pk], "disabled_deduction": [k04.pk]},
    )

    assert response.status_code == 302
    adoption = BranchAdoption.objects.get(branch=county.branch, rule_set=rule_set)
    assert adoption.adopted_on == datetime.date(2026, 3, 2)
    assert adoption.adopted_by == county.secretary_user
    active = services.active_items(branch=county.branch, rule_set=rule_set)
    assert g07 not in active and k04 not in active
    assert g07 in services.active_items(branch=county.branch_y, rule_set=rule_set)

    # session, user, official, branch, rule set, adoption (twice: active_items and the
    # footer), items, categories, the nav's branch name
    with django_assert_max_num_queries(10):
        html = client.get(print_url(county)).content.decode()
    assert "东阳涧村党支部党员积分管理评定编制（2026年）" in html
    assert ">G07<" not in html and ">K04<" not in html and ">G06<" in html
    assert "党员大会于2026年3月2日通过" in html
    county_html = client.get(reverse("rules_sheet", args=[YEAR])).content.decode()
    assert ">G07<" in county_html

    page = client.get(reverse("branch_rules", args=[county.branch.pk, YEAR]))
    assert page.context["disabled_items"] == [g07, k04]
    assert "2026年3月2日" in page.content.decode()


def test_the_adoption_form_offers_no_clearing_items_and_refuses_a_future_date(county, rule_set):
    client = county.client("secretary")
    form = client.get(adopt_url(county)).context["form"]
    offered = [*form.fields["disabled_bonus"].queryset, *form.fields["disabled_deduction"].queryset]
    assert len(offered) == 24 and all(item.kind != "clearing" for item in offered)

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(adopt_url(county), {"adopted_on": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "不能晚于今天" in str(response.context["form"].errors["adopted_on"])
    q1 = county_item(rule_set, "Q1")
    response = client.post(
        adopt_url(county), {"adopted_on": "2026-03-02", "disabled_deduction": [q1.pk]}
    )
    assert response.status_code == 200 and "disabled_deduction" in response.context["form"].errors
    assert not BranchAdoption.objects.exists()


def test_adopting_again_keeps_one_record_and_shows_the_earlier_choice(county, rule_set):
    g07 = county_item(rule_set, "G07")
    client = county.client("secretary")
    client.post(adopt_url(county), {"adopted_on": "2026-03-02", "disabled_bonus": [g07.pk]})

    form = client.get(adopt_url(county)).context["form"]
    assert list(form.initial["disabled_bonus"]) == [g07]
    client.post(adopt_url(county), {"adopted_on": "2026-03-09"})

    adoption = BranchAdoption.objects.get()
    assert adoption.adopted_on == datetime.date(2026, 3, 9)
    assert list(adoption.disabled_items.all()) == []


def test_an_own_item_outside_the_parent_range_is_refused_next_to_the_field(county, rule_set):
    g03 = county_item(rule_set, "G03")  # 2–10
    response = county.client("secretary").post(
        item_url(county),
        {"parent": g03.pk, "name": "清理河道垃圾", "points_min": "1", "points_max": "12"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "范围" in str(errors["points_min"]) and "G03" in str(errors["points_min"])
    assert 'class="field has-error"' in response.content.decode()
    assert not rule_set.items.filter(branch=county.branch).exists()


def test_an_own_item_within_the_range_is_added_and_printed_as_the_branch_s(county, rule_set):
    g03 = county_item(rule_set, "G03")
    client = county.client("secretary")

    response = client.post(
        item_url(county),
        {
            "parent": g03.pk,
            "name": "清理河道垃圾",
            "points_min": "2",
            "points_max": "4",
            "unit": "每次",
        },
    )

    assert response.status_code == 302
    item = rule_set.items.get(branch=county.branch)
    assert (item.code, item.parent, item.points_min, item.points_max) == ("G03-1", g03, 2, 4)
    assert item in services.active_items(branch=county.branch, rule_set=rule_set)
    html = client.get(print_url(county)).content.decode()
    assert "清理河道垃圾" in html and "本支部" in html and ">G03-1<" in html
    assert "清理河道垃圾" not in client.get(print_url(county, county.branch_y)).content.decode()
    page = client.get(reverse("branch_rules", args=[county.branch.pk, YEAR]))
    assert "清理河道垃圾" in page.content.decode()


def test_a_switched_off_county_item_is_not_offered_as_a_parent(county, rule_set):
    g07 = county_item(rule_set, "G07")
    client = county.client("secretary")
    client.post(adopt_url(county), {"adopted_on": "2026-03-02", "disabled_bonus": [g07.pk]})

    parents = client.get(item_url(county)).context["form"].fields["parent"].queryset
    assert g07 not in parents and len(parents) == 8


@pytest.mark.parametrize("persona", ["assessor", "township", "secretary_y", "county"])
def test_only_the_branch_secretary_may_adopt_or_add_items(county, rule_set, persona):
    client = county.client(persona)
    g03 = county_item(rule_set, "G03")
    for url, data in [
        (adopt_url(county), {"adopted_on": "2026-03-02"}),
        (item_url(county), {"parent": g03.pk, "name": "x", "points_min": 2, "points_max": 2}),
    ]:
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    assert not BranchAdoption.objects.exists()
    assert not rule_set.items.filter(branch__isnull=False).exists()


@pytest.mark.parametrize("persona", ["secretary_y", "township_2"])
def test_another_branch_s_rules_pages_are_404(county, rule_set, persona):
    client = county.client(persona)
    for name in ["branch_rules", "branch_rules_print", "branch_adopt", "branch_item_create"]:
        url = reverse(name, args=[county.branch.pk, YEAR])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"adopted_on": "2026-03-02"}).status_code == 404, name


@pytest.mark.parametrize("persona", ["county", "township", "assessor"])
def test_officials_who_see_the_branch_read_its_rules_and_print(county, rule_set, persona):
    client = county.client(persona)
    page = client.get(reverse("branch_rules", args=[county.branch.pk, YEAR]))
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert reverse("branch_adopt", args=[county.branch.pk, YEAR]) not in page.content.decode()
    assert client.get(print_url(county)).status_code == 200


def test_the_secretary_sees_the_links_to_adopt_and_add_items(county, rule_set):
    html = (
        county.client("secretary")
        .get(reverse("branch_rules", args=[county.branch.pk, YEAR]))
        .content.decode()
    )
    assert adopt_url(county) in html and item_url(county) in html
    assert "尚未登记" in html


def test_the_branch_page_says_so_when_the_year_has_no_published_rules(county):
    page = county.client("secretary").get(reverse("branch_rules", args=[county.branch.pk, YEAR]))
    assert page.status_code == 200 and "尚未由县委组织部发布" in page.content.decode()
    assert county.client("secretary").get(adopt_url(county)).status_code == 404
    assert county.client("secretary").get(print_url(county)).status_code == 404


# --- load_default_rules ----------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("load_default_rules", *args, stdout=out)
    return out.getvalue()


def test_load_default_rules_creates_a_published_rule_set_and_says_what_it_made(db):
    """With one county in the database the rules are that county's."""
    lanxian = County.objects.create(name="岚县")
    output = run("2026")

    rule_set = versions.in_force(2026, county=lanxian)
    assert rule_set is not None and rule_set.version == 1
    for text in ["岚县", "类别 4 个", "贡献加分 9 项", "违规扣分 15 项", "清除全年积分 6 项"]:
        assert text in output


def test_load_default_rules_asks_which_county_when_there_are_several(county):
    with pytest.raises(CommandError, match="--county"):
        run("2026")
    run("2026", "--county", "兴县")
    assert versions.in_force(2026, county=county.xingxian) is not None
    assert versions.in_force(2026, county=county.lanxian) is None


def test_load_default_rules_makes_a_template_in_a_database_without_counties(db):
    output = run("2026")

    template = RuleSet.objects.get(year=2026)
    assert template.is_template and not template.is_draft
    assert "模板" in output


def test_load_default_rules_refuses_a_year_that_has_rules(db):
    run("2026")
    with pytest.raises(CommandError, match="已有积分细则"):
        run("2026")
    assert RuleSet.objects.count() == 1

    assert "未作改动" in run("2026", "--if-missing")
    assert RuleSet.objects.count() == 1


def test_load_default_rules_can_add_a_draft_version(county):
    run("2026", "--county", "岚县")
    run("2026", "--county", "岚县", "--new-version", "--draft")

    draft = RuleSet.objects.get(county=county.lanxian, year=2026, version=2)
    assert draft.is_draft and versions.in_force(2026, county=county.lanxian).version == 1
    run("2027", "--county", "岚县", "--draft")
    assert versions.in_force(2027, county=county.lanxian) is None
