"""Stored standings (scoring.standings): the dashboards add up rows the engine wrote, kept in the
transaction of every change they depend on — so after any step a user takes, the stored rows are
exactly what the ledger gives, and `manage.py rebuild_standings` proves it (and repairs a row
changed behind the services' back).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members import services as members
from members.models import Member
from oversight import clock
from scoring import engine, standings
from scoring import services as scoring
from scoring.models import CategoryRule, MonthStanding, PointsEntry, RuleItem

from .conftest import make_member
from .rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def rules(county):
    return load_default_rules(year=YEAR)  # 岚县's (the other county gets its own)


def in_step(*member_sets) -> None:
    """The stored rows of these members are the ledger's, to the unit, and none is left over."""
    ids = {m.pk for group in member_sets for m in group}
    rows, wrong, stale = standings.differences(ids, YEAR)
    assert rows, "the members have stored standings"
    assert wrong == [] and stale == 0


def item(code: str) -> RuleItem:
    return RuleItem.objects.get(
        code=code, rule_set__year=YEAR, rule_set__county__name="岚县", branch__isnull=True
    )


def approve(county, member, month, code="G02", points=None):
    bonus = item(code)
    declaration = scoring.declaration_create(
        member=member,
        branch=member.branch,
        year=YEAR,
        month=month,
        item=bonus,
        occurred_on=datetime.date(YEAR, month, 10),
        description="帮助邻居抢收玉米",
        points=points or bonus.points_min,
        by=county.secretary_user,
    )
    return scoring.declaration_approve(declaration=declaration, by=county.secretary_user)


def test_every_step_of_the_month_keeps_the_stored_standings_exact(county, rules):
    people = [county.member, county.member_y]
    in_step(people)

    approve(county, county.member, 3)
    in_step(people)

    deduction = RuleItem.objects.filter(
        rule_set=rules, kind=RuleItem.Kind.DEDUCTION, branch__isnull=True
    ).first()
    scoring.deduction_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=4,
        item=deduction,
        occurred_on=datetime.date(YEAR, 4, 12),
        reason="无故缺席党员大会",
        by=county.secretary_user,
    )
    # A correction is for a closed month.
    for month in (1, 2):
        scoring.month_close(
            branch_month=scoring.month_get_or_open(branch=county.branch, year=YEAR, month=month),
            meeting_date=datetime.date(YEAR, month, 28),
            by=county.secretary_user,
        )
    scoring.correction_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=2,
        points=Decimal("1.5"),
        reason="二月漏记志愿服务",
        by=county.secretary_user,
    )
    in_step(people)

    stored = MonthStanding.objects.get(member=county.member, year=YEAR, month=4)
    entries = PointsEntry.objects.filter(member=county.member, year=YEAR, month__lte=4)
    assert stored.bonus + stored.deductions + stored.corrections == 1200 * sum(
        e.points for e in entries
    )
    assert stored.running == stored.base + 1200 * sum(e.points for e in entries)


def test_roll_and_category_changes_rewrite_the_months_they_touch(county, rules):
    newcomer = make_member(
        county.branch, "刘新民", category="C", on_roll_from=datetime.date(2026, 5, 1)
    )
    assert not MonthStanding.objects.get(member=newcomer, year=YEAR, month=4).branch_id
    assert MonthStanding.objects.get(member=newcomer, year=YEAR, month=5).branch == county.branch

    members.category_change(
        member=county.member,
        by=county.secretary_user,
        category="D",
        effective_from=datetime.date(2026, 9, 1),
        reason="年满七十周岁",
    )
    members.member_transfer(
        member=county.member_y,
        by=county.secretary_y_user,
        to_branch=county.branch,
        date=datetime.date(2026, 6, 15),
        reason="随子女迁居",
    )
    members.member_leave(
        member=newcomer,
        by=county.secretary_user,
        status=Member.Status.DECEASED,
        date=datetime.date(2026, 8, 3),
        reason="病故",
    )
    in_step([county.member, county.member_y, newcomer])
    assert MonthStanding.objects.get(member=county.member, year=YEAR, month=9).category == "D"
    assert MonthStanding.objects.get(member=county.member_y, year=YEAR, month=7).branch == (
        county.branch
    )
    assert MonthStanding.objects.get(member=newcomer, year=YEAR, month=9).branch_id is None


def test_a_new_version_changes_the_months_not_opened_yet_and_the_dashboard_follows(county, rules):
    # March is opened (and so keeps version 1); April on is scored with whatever is in force.
    scoring.month_get_or_open(branch=county.branch, year=YEAR, month=3)
    draft = scoring.ruleset_new_version(rule_set=rules, by=county.county_user)
    CategoryRule.objects.filter(rule_set=draft, category="A").update(base_score=Decimal("100"))
    scoring.ruleset_publish(rule_set=draft, by=county.county_user)

    in_step([county.member, county.member_y, county.member_z])
    rows = MonthStanding.objects.filter(member=county.member, year=YEAR).order_by("month")
    running = [0, *rows.values_list("base", flat=True)]
    month_base = {m: running[m] - running[m - 1] for m in range(1, 13)}
    # A month's base share is base/12 points = base × 100 units (of 1/1200 point): March keeps
    # version 1's A base, the months not opened take version 2's 100.
    first = CategoryRule.objects.get(rule_set=rules, category="A").base_score
    assert month_base[3] == int(first * 100)
    assert month_base[2] == month_base[4] == month_base[12] == 100 * 100


def test_rebuild_finds_a_row_changed_behind_the_services_and_repairs_it(county, rules, capsys):
    approve(county, county.member, 5)
    call_command("rebuild_standings", "--check", "--year", str(YEAR))
    assert "不同 0 行" in capsys.readouterr().out

    # Someone edits the table by hand: 10 points more in May (the sum constraint still holds).
    MonthStanding.objects.filter(member=county.member, year=YEAR, month=5).update(
        bonus=F("bonus") + 12000, running=F("running") + 12000
    )
    with pytest.raises(CommandError, match="不一致：1 行"):
        call_command("rebuild_standings", "--check", "--year", str(YEAR))

    call_command("rebuild_standings", "--year", str(YEAR))
    assert "已修复" in capsys.readouterr().out
    call_command("rebuild_standings", "--check")
    in_step([county.member])


def test_the_rebuild_refuses_an_unknown_county():
    with pytest.raises(CommandError, match="没有编号为 999 的县"):
        call_command("rebuild_standings", "--county", "999")


def test_a_refused_step_leaves_the_stored_standings_as_they_were(county, rules):
    approve(county, county.member, 3)
    before = list(MonthStanding.objects.filter(member=county.member).values_list("running"))
    with pytest.raises(Exception):  # noqa: B017 - whatever the refusal, nothing may change
        scoring.correction_record(
            member=county.member,
            branch=county.branch,
            year=YEAR,
            month=3,
            points=Decimal("1000"),
            reason="多打了一个零",
            by=county.secretary_user,
        )
    assert list(MonthStanding.objects.filter(member=county.member).values_list("running")) == (
        before
    )


def test_approving_a_whole_month_writes_the_standings_once(county, rules):
    people = [county.member] + [make_member(county.branch, f"党员{i}") for i in range(8)]
    bonus = item("G02")
    month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=6)
    for person in people:
        scoring.declaration_create(
            member=person,
            branch=county.branch,
            year=YEAR,
            month=6,
            item=bonus,
            occurred_on=datetime.date(YEAR, 6, 3),
            description="清扫村道",
            points=bonus.points_min,
            by=county.secretary_user,
        )
    with CaptureQueriesContext(connection) as queries:
        scoring.declarations_approve_all(branch_month=month, by=county.secretary_user)
    rewrites = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('DELETE FROM "scoring_monthstanding"')
    ]
    # Nine members' years rewritten once for the batch, not once per entry.
    assert len(rewrites) == 1
    in_step(people)


def test_the_county_list_shows_the_stored_figure_the_card_shows(county, rules):
    approve(county, county.member, 2)
    month = clock.reference_month(YEAR, clock.today())
    stored = MonthStanding.objects.get(member=county.member, year=YEAR, month=month)
    shown = f"{engine.from_units(stored.running)}"
    assert shown != "0.00"
    page = county.client("county").get(reverse("county_members"), {"year": YEAR})
    card = county.client("secretary").get(reverse("points_card", args=[county.member.pk, YEAR]))
    assert shown in page.content.decode()
    assert shown in card.content.decode()
