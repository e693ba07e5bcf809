"""The entries that wait for the committee: declarations (typed, the member's own), proposed
deductions (from a meeting's attendance or a post's rating), and what a waiting entry allows —
editing and withdrawing, each on the record."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from members.permissions import system_user
from scoring import services
from scoring.models import Declaration, PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 3


@pytest.fixture
def rules(county):
    return load_default_rules(year=YEAR)


def item(code):
    return RuleItem.objects.get(code=code, branch__isnull=True, rule_set__county__name="岚县")


def propose(county, code="K02", source=Declaration.Source.ATTENDANCE, member=None):
    return services.declaration_create(
        member=member or county.member,
        branch=county.branch,
        year=YEAR,
        month=MONTH,
        item=item(code),
        occurred_on=datetime.date(YEAR, MONTH, 6),
        description="3月主题党日无故缺席",
        source=source,
        by=county.secretary_user,
    )


def test_a_proposed_deduction_waits_and_its_approval_writes_the_deduction(county, rules):
    proposal = propose(county)
    assert (proposal.status, proposal.signed_points) == ("submitted", Decimal("-2.00"))
    assert not PointsEntry.objects.exists()
    entry = services.declaration_approve(declaration=proposal, by=county.assessor_user)
    assert (entry.kind, entry.points, entry.item.code) == ("deduction", Decimal("-2.00"), "K02")


def test_a_deduction_cannot_be_declared_only_proposed_by_a_meeting_or_a_rating(county, rules):
    with pytest.raises(ValidationError, match="不能申报"):
        propose(county, source=Declaration.Source.CLERK)
    with pytest.raises(ValidationError, match="不能申报"):
        propose(county, source=Declaration.Source.IMPORT)


def test_a_deduction_proposed_for_a_member_it_does_not_apply_to_is_refused(county, rules):
    from .conftest import make_member

    old = make_member(county.branch, "高龄党员", category="D")
    with pytest.raises(ValidationError, match="不适用于D类"):
        propose(county, member=old)


def test_a_member_s_own_declaration_needs_the_card_page_not_a_login(county, rules):
    kwargs = {
        "member": county.member,
        "branch": county.branch,
        "year": YEAR,
        "month": MONTH,
        "item": item("G02"),
        "occurred_on": datetime.date(YEAR, MONTH, 6),
        "description": "义务劳动",
        "source": Declaration.Source.SELF,
    }
    with pytest.raises(PermissionDenied):
        services.declaration_create(**kwargs, by=county.secretary_user)
    declaration = services.declaration_create(**kwargs, by=system_user())
    assert declaration.get_source_display() == "本人申报"


def test_a_waiting_declaration_can_be_withdrawn_and_the_month_then_closes(county, rules):
    proposal = propose(county)
    services.declaration_withdraw(declaration=proposal, by=county.assessor_user, reason="已请假")
    assert proposal.status == "withdrawn"
    assert proposal.logs.last().action == "withdraw"
    branch_month = services.month_get_or_open(branch=county.branch, year=YEAR, month=MONTH)
    services.month_close(
        branch_month=branch_month,
        meeting_date=datetime.date(YEAR, MONTH, 30),
        by=county.secretary_user,
    )
    with pytest.raises(ValidationError):
        services.declaration_approve(declaration=proposal, by=county.assessor_user)


def test_editing_a_waiting_declaration_keeps_what_it_said_on_the_record(county, rules):
    declaration = services.declaration_create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=MONTH,
        item=item("G03"),
        occurred_on=datetime.date(YEAR, MONTH, 6),
        description="清理村道",
        points=Decimal("4"),
        by=county.secretary_user,
    )
    services.declaration_edit(
        declaration=declaration,
        by=county.assessor_user,
        description="清理村道垃圾两车",
        occurred_on=datetime.date(YEAR, MONTH, 7),
        points=Decimal("6"),
    )
    declaration.refresh_from_db()
    assert (declaration.description, declaration.points_claimed) == ("清理村道垃圾两车", 6)
    log = declaration.logs.last()
    assert (log.action, log.from_status, log.to_status) == ("edit", "submitted", "submitted")
    assert "清理村道 4" in log.reason
    with pytest.raises(ValidationError, match="2～10"):
        services.declaration_edit(
            declaration=declaration,
            by=county.assessor_user,
            description="x",
            occurred_on=datetime.date(YEAR, MONTH, 7),
            points=Decimal("50"),
        )
