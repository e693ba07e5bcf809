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

pytestmark = pytest.mark.django_db

YEAR = 2026


def item(code):
    return RuleItem.objects.get(code=code, branch__isnull=True)


@pytest.fixture
def ready(county):
    scoring.ruleset_load_defaults(year=YEAR, by=system_user())
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
        lambda c, by: scoring.ruleset_load_defaults(year=YEAR + 1, by=by),
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
        RuleSet.objects.count(),
    )
    with pytest.raises(PermissionDenied):
        call(ready, by)
    assert PointsEntry.objects.count() == entries
    assert BranchMonth.objects.filter(status="closed").count() == months
    assert RuleSet.objects.count() == rule_sets
    ready.q1.refresh_from_db()
    assert ready.q1.status == "confirmed"
