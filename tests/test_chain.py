"""Tamper evidence (core.chain): every ledger entry, status log row and archived notice carries a
keyed hash chained to the previous row of its branch; ``manage.py verify_ledger`` walks the
chains and names the first broken link; a hash cannot be recomputed without the server's key."""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from core import chain
from core.models import LedgerCheck
from scoring import services as scoring
from scoring.models import DeclarationLog, PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

from .test_notice import archived_notice, members, q1, rules_2026  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def ledger(county):
    load_default_rules(year=YEAR)
    item = RuleItem.objects.get(code="K05", branch__isnull=True, rule_set__county__name="岚县")
    for day in range(1, 6):
        scoring.deduction_record(
            member=county.member,
            branch=county.branch,
            year=YEAR,
            month=5,
            item=item,
            occurred_on=datetime.date(YEAR, 5, day),
            reason=f"第{day}次缺学",
            by=county.secretary_user,
        )
    return county


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify() -> tuple[int, list]:
    return chain.verify()


def test_each_entry_is_chained_to_the_branch_s_previous_one(ledger):
    entries = list(PointsEntry.objects.order_by("chain_seq"))
    assert [e.chain_seq for e in entries] == [1, 2, 3, 4, 5]
    assert {e.chain for e in entries} == {f"scoring.pointsentry:{ledger.branch.pk}"}
    assert len({e.chain_hash for e in entries}) == 5
    rows, broken = verify()
    assert broken == [] and rows >= 5


def test_verify_ledger_passes_and_records_the_run(ledger, capsys):
    call_command("verify_ledger")
    assert "核验通过" in capsys.readouterr().out
    check = LedgerCheck.objects.get()
    assert check.ok and check.rows >= 5
    page = ledger.client("county").get(reverse("county")).content.decode()
    assert "积分台账最近一次核验" in page and "全部一致" in page


def test_a_points_value_edited_in_the_database_is_found(ledger, capsys):
    third = PointsEntry.objects.get(chain_seq=3)
    sql("UPDATE scoring_pointsentry SET points = %s WHERE id = %s", Decimal("-0.50"), third.pk)
    with pytest.raises(CommandError, match="核验未通过"):
        call_command("verify_ledger")
    err = capsys.readouterr().err
    assert f"第 3 条（id={third.pk}）" in err and "内容与哈希不符" in err
    assert not LedgerCheck.objects.get().ok
    page = ledger.client("county").get(reverse("county")).content.decode()
    assert "处不一致" in page


def test_an_edited_row_cannot_be_resealed_without_the_key(ledger):
    """Recomputing the hash with a guessed key (the old plain SHA-256, or the SECRET_KEY) does
    not make the chain hold again."""
    third = PointsEntry.objects.get(chain_seq=3)
    sql("UPDATE scoring_pointsentry SET points = %s WHERE id = %s", Decimal("-0.50"), third.pk)
    third = PointsEntry.objects.get(pk=third.pk)
    with override_settings(LEDGER_HMAC_KEY="a-guess"):
        previous = PointsEntry.objects.get(chain_seq=2).chain_hash
        forged = chain._link(previous, third.chain, 3, chain.payload(third))
    sql("UPDATE scoring_pointsentry SET chain_hash = %s WHERE id = %s", forged, third.pk)
    _, broken = verify()
    assert len(broken) == 1 and broken[0].seq == 3


def test_a_deleted_row_and_a_cut_off_tail_are_found(ledger):
    second = PointsEntry.objects.get(chain_seq=2)
    sql("DELETE FROM scoring_pointsentry WHERE id = %s", second.pk)
    _, broken = verify()
    assert broken[0].seq == 2 and "被删除" in broken[0].problem

    sql("DELETE FROM scoring_pointsentry")  # the whole chain gone: the head remembers it
    _, broken = verify()
    assert any("链末端" in b.problem for b in broken)


def test_log_rows_are_chained_too(ledger):
    scoring.declaration_create(
        member=ledger.member,
        branch=ledger.branch,
        year=YEAR,
        month=5,
        item=RuleItem.objects.get(code="G02", branch__isnull=True, rule_set__county__name="岚县"),
        occurred_on=datetime.date(YEAR, 5, 3),
        description="义务劳动",
        by=ledger.secretary_user,
    )
    log = DeclarationLog.objects.get()
    sql("UPDATE scoring_declarationlog SET reason = %s WHERE id = %s", "篡改", log.pk)
    _, broken = verify()
    assert [b.model for b in broken] == ["scoring.DeclarationLog"]


def test_the_ledger_refuses_edits_through_the_application(ledger):
    entry = PointsEntry.objects.first()
    with pytest.raises(TypeError):
        PointsEntry.objects.filter(pk=entry.pk).update(points=Decimal("-1"))
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()


def test_an_archived_notice_edited_and_rehashed_with_plain_sha256_reads_inconsistent(
    county,
    q1,  # noqa: F811
):
    archive = archived_notice(county, q1)
    url = reverse("archive_detail", args=[archive.pk])
    assert "与存档内容一致" in county.client("secretary").get(url).content.decode()

    snapshot = dict(archive.snapshot)
    snapshot["rows"][0]["name"] = "改过的名字"
    text = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    plain = hashlib.sha256(text.encode("utf-8")).hexdigest()
    sql(
        "UPDATE evaluations_archivednotice SET snapshot = %s, content_hash = %s WHERE id = %s",
        json.dumps(snapshot, ensure_ascii=False),
        plain,
        archive.pk,
    )
    page = county.client("secretary").get(url).content.decode()
    assert "与存档内容不一致" in page
    _, broken = verify()
    assert [b.model for b in broken] == ["evaluations.ArchivedNotice"]


def test_appending_costs_a_few_queries_whatever_the_ledger_s_length(
    ledger, django_assert_max_num_queries
):
    """The chain adds the head's lock and update to an entry: not a walk of the ledger."""
    item = RuleItem.objects.get(code="K05", branch__isnull=True, rule_set__county__name="岚县")
    # The month lock, the roll, the category, the item's checks, the duplicate check, the
    # chain head (lock + update) and the insert (16); then the member's stored standings for the
    # year, rewritten in the same transaction (scoring.standings: 8 reads, a delete, an insert).
    with django_assert_max_num_queries(26):
        scoring.deduction_record(
            member=ledger.member,
            branch=ledger.branch,
            year=YEAR,
            month=5,
            item=item,
            occurred_on=datetime.date(YEAR, 5, 20),
            reason="又缺学",
            by=ledger.secretary_user,
        )
