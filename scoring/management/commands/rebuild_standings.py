"""Recompute the stored standings (scoring.standings) from the ledger and say whether they agreed.

    manage.py rebuild_standings                 # every year with data, every county
    manage.py rebuild_standings --year 2026 --county 3
    manage.py rebuild_standings --check         # only compare; exit status 1 if any row differs

The rows are kept in the transaction of every change, so a rebuild should find nothing to do; a
difference means a write went round the services (a hand edit, a restored backup of one table)
and is repaired, unless --check.
"""

from django.core.management.base import BaseCommand, CommandError

from members.models import County
from scoring import standings


class Command(BaseCommand):
    help = "从积分台账重算积分汇总，并核对与已存数据是否一致。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="只处理这一年（默认：有数据的每一年）")
        parser.add_argument("--county", type=int, help="只处理这个县（编号）")
        parser.add_argument("--check", action="store_true", help="只核对，不写入")

    def handle(self, *args, year=None, county=None, check=False, **options):
        if county is not None and not County.objects.filter(pk=county).exists():
            raise CommandError(f"没有编号为 {county} 的县。")
        years = [year] if year else standings.years_with_data()
        bad = 0
        for y in years:
            computed, differing, extra = standings.rebuild(y, county, write=not check)
            bad += differing + extra
            state = "一致" if not (differing or extra) else ("不一致" if check else "已修复")
            self.stdout.write(
                f"{y}年：重算 {computed} 行，与已存不同 {differing} 行，多余 {extra} 行 —— {state}"
            )
        if check and bad:
            raise CommandError(f"积分汇总与台账不一致：{bad} 行。请运行 rebuild_standings 修复。")
