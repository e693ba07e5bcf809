"""What the keyed hash chain costs a ledger entry: N entries inserted one transaction each, as a
plain INSERT (chain columns filled by hand, no lock, no HMAC) and as a chained append (lock the
chain's head, HMAC of the row and the previous link, move the head). Prints ms per entry.

Everything is written inside a transaction that is rolled back: the database is left as it was.
"""

from __future__ import annotations

import datetime
import itertools
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import models, transaction

from members.idcard import make_id_number
from members.models import Branch, County, Township
from members.permissions import system_user
from members.services import member_create
from scoring.models import PointsEntry, RuleItem
from scoring.services import ruleset_load_defaults


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time a ledger entry with and without its hash chain (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=500)

    def handle(self, *args, entries: int, **options):
        try:
            with transaction.atomic():
                self._measure(entries)
                raise Rollback
        except Rollback:
            pass

    def _measure(self, n: int) -> None:
        by = system_user()
        year = datetime.date.today().year
        county = County.objects.create(name=f"计时县{time.time_ns()}", position=999)
        rule_set = ruleset_load_defaults(year=year, county=county, by=by)
        township = Township.objects.create(county=county, name="计时乡", position=1)
        branch = Branch.objects.create(township=township, name="计时村", position=1)
        birth = datetime.date(1970, 1, 1)
        member = member_create(
            branch=branch, by=by, name="计时", gender="M",
            id_number=make_id_number("141127", birth, 1, "M"), birth_date=birth,
            joined_party=datetime.date(1995, 7, 1), category="B",
            on_roll_from=datetime.date(year, 1, 1),
        )  # fmt: skip
        item = RuleItem.objects.get(code="G03", branch__isnull=True, rule_set=rule_set)
        seq = itertools.count()

        def entry():
            return PointsEntry(
                member=member, branch=branch, year=year, month=1, kind="bonus", item=item,
                rule_set=rule_set, points=Decimal("2"), reason="计时",
                occurred_on=datetime.date(year, 1, 5), created_by=by,
            )  # fmt: skip

        def plain(obj):
            obj.chain, obj.chain_seq, obj.chain_hash = "time:plain", next(seq), "0" * 64
            models.Model.save_base(obj, force_insert=True)

        for label, write in (
            ("plain INSERT, no chain", plain),
            ("chained append", PointsEntry.save),
        ):
            objs = [entry() for _ in range(n)]
            start = time.perf_counter()
            for obj in objs:
                with transaction.atomic():
                    write(obj)
            per_entry = (time.perf_counter() - start) / n * 1000
            self.stdout.write(f"{label}: {per_entry:.2f} ms per entry ({n} entries)")
