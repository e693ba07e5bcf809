"""Services check who may act (members.permissions): a script or a future API cannot do what
the pages forbid. Each call below is made by someone the page would refuse, and is refused with
nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from evaluations import services as evaluations
from members import services as members
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import BranchMonth, PointsEntry, RuleItem, RuleSet
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR = 2026


def item(code):
    return RuleItem.objects.get(
        code=code, branch__isnull=True, rule_set__county__name="岚县", rule_set__year=YEAR
    )


@pytest.fixture
def ready(county):
    load_default_rules(year=YEAR)
    county.lanxian_draft = scoring.ruleset_load_defaults(
        year=YEAR + 1, county=county.lanxian, publish=False, by=system_user()
    )
    county.template_draft = scoring.ruleset_load_defaults(
        year=YEAR + 1, county=None, publish=False, by=system_user()
    )
    for month in (1, 2, 3):
        branch_month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=month)
        scoring.month_close(
            branch_month=branch_month,
            meeting_date=datetime.date(YEAR, month, 28),
            by=county.secretary_user,
        )
    county.q1 = evaluations.assessment_open(
        branch=county.branch, year=YEAR, period="Q1", by=county.secretary_user
    )
    evaluations.assessment_confirm(
        assessment=county.q1,
        meeting_date=datetime.date(YEAR, 4, 5),
        members_expected=1,
        members_present=1,
        by=county.secretary_user,
    )
    return county


def entry(kind):
    def call(c, by):
        common = {
            "member": c.member,
            "branch": c.branch,
            "year": YEAR,
            "month": 5,
            "occurred_on": datetime.date(YEAR, 5, 6),
            "reason": "x",
            "by": by,
        }
        if kind == "clearing":
            return scoring.clearing_record(**common, item=item("Q1"), confirmed=True)
        return scoring.deduction_record(**common, item=item("K01"))

    return call


CASES = {
    # who tries, what the page would refuse them
    "an assessor records a clearing item": ("assessor", entry("clearing")),
    "the neighbour's secretary records a deduction": ("secretary_y", entry("deduction")),
    "the township official records a deduction": ("township", entry("deduction")),
    "the county admin records a deduction": ("county", entry("deduction")),
    "an assessor closes the month": (
        "assessor",
        lambda c, by: scoring.month_close(
            branch_month=scoring.month_view(branch=c.branch, year=YEAR, month=4),
            meeting_date=datetime.date(YEAR, 4, 28),
            by=by,
        ),
    ),
    "an assessor records a correction": (
        "assessor",
        lambda c, by: scoring.correction_record(
            member=c.member,
            branch=c.branch,
            year=YEAR,
            month=1,
            points=Decimal("1"),
            reason="x",
            by=by,
        ),
    ),
    "a township official publishes rules": (
        "township",
        lambda c, by: scoring.ruleset_load_defaults(year=YEAR + 1, county=c.lanxian, by=by),
    ),
    # Each county publishes its own rules (DOMAIN §3.8): never another county's.
    "兴县's county admin loads rules for 岚县": (
        "county_x",
        lambda c, by: scoring.ruleset_load_defaults(year=YEAR + 1, county=c.lanxian, by=by),
    ),
    "兴县's county admin publishes a draft of 岚县": (
        "county_x",
        lambda c, by: scoring.ruleset_publish(rule_set=c.lanxian_draft, by=by),
    ),
    "兴县's county admin copies 岚县's rules into a new version": (
        "county_x",
        lambda c, by: scoring.ruleset_new_version(rule_set=c.lanxian_draft, by=by),
    ),
    "a county admin publishes a template (the city's or province's)": (
        "county",
        lambda c, by: scoring.ruleset_publish(rule_set=c.template_draft, by=by),
    ),
    "兴县's county admin copies 岚县's rules into 兴县's": (
        "county_x",
        lambda c, by: scoring.ruleset_copy(rule_set=c.lanxian_draft, county=c.xingxian, by=by),
    ),
    "a branch secretary adopts another county's rules": (
        "secretary",
        lambda c, by: scoring.branch_adopt(
            branch=c.branch,
            rule_set=scoring.versions.in_force(YEAR, county=c.xingxian),
            adopted_on=datetime.date(YEAR, 1, 10),
            disabled_items=[],
            by=by,
        ),
    ),
    "the branch secretary approves their own quarter": (
        "secretary",
        lambda c, by: evaluations.assessment_approve(assessment=c.q1, by=by),
    ),
    "another township's official approves the quarter": (
        "township_2",
        lambda c, by: evaluations.assessment_approve(assessment=c.q1, by=by),
    ),
    "an assessor changes a member's category": (
        "assessor",
        lambda c, by: members.category_change(
            member=c.member,
            by=by,
            category="D",
            effective_from=timezone.localdate().replace(day=1),
            reason="x",
        ),
    ),
    "a township official adds a member": (
        "township",
        lambda c, by: members.member_create(
            branch=c.branch,
            by=by,
            name="某人",
            gender="M",
            id_number="11010519491231002X",
            birth_date=datetime.date(1949, 12, 31),
            joined_party=datetime.date(1980, 7, 1),
            category="B",
            on_roll_from=timezone.localdate().replace(day=1),
        ),
    ),
    "nobody at all records a deduction": (None, entry("deduction")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_service_refuses_someone_the_page_would_refuse(ready, case):
    persona, call = CASES[case]
    by = getattr(ready, f"{persona}_user") if persona else None
    entries, months, rule_sets = (
        PointsEntry.objects.count(),
        BranchMonth.objects.filter(status="closed").count(),
        list(RuleSet.objects.order_by("pk").values_list("pk", "status")),
    )
    with pytest.raises(PermissionDenied):
        call(ready, by)
    assert PointsEntry.objects.count() == entries
    assert BranchMonth.objects.filter(status="closed").count() == months
    assert list(RuleSet.objects.order_by("pk").values_list("pk", "status")) == rule_sets
    ready.q1.refresh_from_db()
    assert ready.q1.status == "confirmed"
