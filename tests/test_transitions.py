"""Every step on the record, through one mechanism (core.transitions): each stateful model's
transition table allows exactly its moves, every other move is refused with nothing written, and
every allowed move writes one log row (who, when, from, to, why)."""

import datetime

import pytest
from django.utils import timezone

from core.transitions import StatusLog, TransitionRefused, transition
from evaluations import services as evaluations
from evaluations.models import Appeal, Assessment, Notice, Objection
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import BranchMonth, Declaration, RuleItem, RuleSet
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

YEAR = 2026
MODELS = [RuleSet, BranchMonth, Declaration, Assessment, Notice, Objection, Appeal]


@pytest.fixture
def objects(county):
    """One object of each stateful model, made by the services."""
    by = county.secretary_user
    rule_set = load_default_rules(year=YEAR, publish=False)
    scoring.ruleset_publish(rule_set=rule_set, by=system_user())
    for month in (1, 2, 3):
        branch_month = scoring.month_get_or_open(branch=county.branch, year=YEAR, month=month)
        scoring.month_close(
            branch_month=branch_month, meeting_date=datetime.date(YEAR, month, 28), by=by
        )
    declaration = scoring.declaration_create(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=4,
        item=RuleItem.objects.get(code="G02", branch__isnull=True, rule_set__county__name="岚县"),
        occurred_on=datetime.date(YEAR, 4, 3),
        description="义务劳动",
        by=by,
    )
    assessment = evaluations.assessment_open(branch=county.branch, year=YEAR, period="Q1", by=by)
    evaluations.assessment_confirm(
        assessment=assessment,
        meeting_date=datetime.date(YEAR, 4, 5),
        members_expected=1,
        members_present=1,
        by=by,
    )
    evaluations.assessment_approve(assessment=assessment, by=county.township_user)
    notice = evaluations.notice_create(assessment=assessment, objection_channel="支部", by=by)
    evaluations.notice_approve(notice=notice, by=by)
    evaluations.notice_publish(notice=notice, start_date=timezone.localdate(), by=by)
    objection = evaluations.objection_record(
        notice=notice, content="有误", received_on=timezone.localdate(), anonymous=True, by=by
    )
    appeal = evaluations.appeal_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        received_on=timezone.localdate(),
        content="申诉",
        by=by,
    )
    return {
        RuleSet: rule_set,
        BranchMonth: BranchMonth.objects.get(branch=county.branch, year=YEAR, month=1),
        Declaration: declaration,
        Assessment: assessment,
        Notice: notice,
        Objection: objection,
        Appeal: appeal,
    }


def required_fields(model, status) -> dict:
    """What the model's check constraints ask of an object in ``status``."""
    today, now = timezone.localdate(), timezone.now()
    return {
        (RuleSet, "published"): {"published_at": now},
        (BranchMonth, "closed"): {"meeting_date": today, "closed_at": now},
        (Objection, "answered"): {"answer": "已答复", "answered_on": today},
        (Objection, "resolved"): {"answer": "已答复", "answered_on": today, "resolved_on": today},
        (Appeal, "upheld"): {"decision": "维持", "decided_on": today},
        (Appeal, "changed"): {"decision": "更正", "decided_on": today},
    }.get((model, status), {})


def illegal_moves():
    for model in MODELS:
        statuses = model._meta.get_field("status").choices
        for action, move in model.workflow.moves.items():
            for status, _ in statuses:
                if status not in move.sources:
                    yield pytest.param(
                        model, action, status, id=f"{model.__name__}-{action}-{status}"
                    )


def legal_moves():
    for model in MODELS:
        for action, move in model.workflow.moves.items():
            for source in move.sources:
                yield pytest.param(model, action, source, id=f"{model.__name__}-{action}-{source}")


def _log_count(obj) -> int:
    return obj.workflow.log_model.objects.count()


@pytest.mark.parametrize(("model", "action", "status"), list(illegal_moves()))
def test_every_move_the_table_does_not_allow_is_refused(objects, model, action, status):
    obj = objects[model]
    # Put it there (a test may): with what the database asks of that status.
    model.objects.filter(pk=obj.pk).update(status=status, **required_fields(model, status))
    obj.refresh_from_db()
    logs = _log_count(obj)
    with pytest.raises(TransitionRefused):
        transition(obj, action, by=system_user(), reason="试图越级")
    obj.refresh_from_db()
    assert obj.status == status
    assert _log_count(obj) == logs


@pytest.mark.parametrize(("model", "action", "source"), list(legal_moves()))
def test_every_allowed_move_writes_one_log_row_with_who_when_from_to_and_why(
    objects, model, action, source
):
    obj = objects[model]
    model.objects.filter(pk=obj.pk).update(status=source, **required_fields(model, source))
    obj.refresh_from_db()
    before = timezone.now()
    target = model.workflow.moves[action].target
    log = transition(obj, action, by=system_user(), reason="核对", **required_fields(model, target))
    obj.refresh_from_db()
    assert obj.status == target
    assert isinstance(log, StatusLog)
    assert (log.from_status, log.to_status, log.action, log.reason) == (
        source,
        target,
        action,
        "核对",
    )
    assert log.by == system_user() and log.at >= before
    assert log.chain_seq >= 1 and len(log.chain_hash) == 64


def test_the_steps_that_had_no_record_now_have_one(objects, county):
    """Answering and resolving an objection, deciding an appeal and publishing a rule set."""
    by = county.secretary_user
    objection, appeal = objects[Objection], objects[Appeal]
    evaluations.objection_answer(objection=objection, answer="已核实", by=by)
    evaluations.objection_resolve(objection=objection, resolution="已认可", by=by)
    evaluations.appeal_decide(
        appeal=appeal, status=Appeal.Status.UPHELD, decision="维持", by=county.township_user
    )
    assert [(log.to_status, log.by) for log in objection.logs.order_by("at", "pk")] == [
        ("open", by),
        ("answered", by),
        ("resolved", by),
    ]
    assert [log.to_status for log in appeal.logs.order_by("at", "pk")] == ["open", "upheld"]
    assert appeal.logs.last().by == county.township_user
    assert objects[RuleSet].logs.get().to_status == "published"


def test_a_second_click_on_the_same_step_is_refused_and_says_so(objects, county):
    assessment = objects[Assessment]
    with pytest.raises(TransitionRefused, match="刚被他人处理"):
        evaluations.assessment_approve(assessment=assessment, by=county.township_user)
    assert assessment.logs.count() == 3  # opened, confirmed, approved: once
