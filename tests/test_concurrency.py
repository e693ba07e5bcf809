"""Two people at once, on real separate database connections (threads; each has its own
connection), on SQLite (a file database in WAL mode, as deployed) and on PostgreSQL: closing a
month and writing into it cannot interleave, a step clicked twice happens once, and the hash
chain stays whole when entries are written together."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from core import chain
from members.permissions import system_user
from scoring import services as scoring
from scoring.models import BranchMonth, BranchMonthLog, Declaration, PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026


def at_once(*calls):
    """Run the calls in threads released together; each result is ("ok", value) or ("refused",
    the exception). Every thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = ("ok", call())
        except (ValidationError, Exception) as error:
            results[index] = ("refused", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def branch(county):
    load_default_rules(year=YEAR)
    return county


def item(code):
    return RuleItem.objects.get(code=code, branch__isnull=True, rule_set__county__name="岚县")


def test_a_declaration_posted_while_the_month_is_closed_never_lands_in_the_closed_month(branch):
    bonus = item("G02")
    for month in range(1, 9):
        branch_month = scoring.month_get_or_open(branch=branch.branch, year=YEAR, month=month)

        def declare(month=month):
            return scoring.declaration_create(
                member=branch.member,
                branch=branch.branch,
                year=YEAR,
                month=month,
                item=bonus,
                occurred_on=datetime.date(YEAR, month, 3),
                description="义务劳动",
                by=branch.assessor_user,
            )

        def close(branch_month=branch_month, month=month):
            return scoring.month_close(
                branch_month=branch_month,
                meeting_date=datetime.date(YEAR, month, 28),
                by=branch.secretary_user,
            )

        results = at_once(declare, close)
        outcomes = [kind for kind, _ in results]
        assert outcomes.count("ok") == 1, (month, results)
        for kind, value in results:
            if kind == "refused":
                assert isinstance(value, ValidationError), (month, value)
        closed = BranchMonth.objects.get(pk=branch_month.pk).status == "closed"
        waiting = Declaration.objects.filter(month=month, status="submitted").exists()
        assert not (closed and waiting), month


def test_approving_the_same_declaration_twice_at_once_writes_one_ledger_entry(branch):
    declaration = scoring.declaration_create(
        member=branch.member,
        branch=branch.branch,
        year=YEAR,
        month=5,
        item=item("G02"),
        occurred_on=datetime.date(YEAR, 5, 3),
        description="义务劳动",
        by=branch.assessor_user,
    )

    def approve(by):
        return lambda: scoring.declaration_approve(
            declaration=Declaration.objects.get(pk=declaration.pk), by=by
        )

    results = at_once(approve(branch.secretary_user), approve(branch.assessor_user))
    assert [kind for kind, _ in results].count("ok") == 1, results
    assert PointsEntry.objects.filter(declaration=declaration).count() == 1
    assert declaration.logs.filter(to_status="approved").count() == 1


def test_closing_the_same_month_twice_at_once_closes_it_once(branch):
    branch_month = scoring.month_get_or_open(branch=branch.branch, year=YEAR, month=6)

    def close():
        return scoring.month_close(
            branch_month=BranchMonth.objects.get(pk=branch_month.pk),
            meeting_date=datetime.date(YEAR, 6, 28),
            by=branch.secretary_user,
        )

    results = at_once(close, close)
    assert [kind for kind, _ in results].count("ok") == 1, results
    assert BranchMonthLog.objects.filter(branch_month=branch_month).count() == 1


def test_entries_written_at_once_keep_the_branch_s_chain_whole(branch):
    people = [make_member(branch.branch, f"党员{n}", by=system_user()) for n in range(5)]
    deduction = item("K05")

    def deduct(member):
        return lambda: scoring.deduction_record(
            member=member,
            branch=branch.branch,
            year=YEAR,
            month=7,
            item=deduction,
            occurred_on=datetime.date(YEAR, 7, 2),
            reason="缺学",
            by=branch.secretary_user,
        )

    results = at_once(*(deduct(person) for person in people))
    assert [kind for kind, _ in results] == ["ok"] * 5, results
    seqs = sorted(PointsEntry.objects.values_list("chain_seq", flat=True))
    assert seqs == [1, 2, 3, 4, 5]
    _, broken = chain.verify()
    assert broken == []
