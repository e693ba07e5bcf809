"""`manage.py load_default_rules 2026`: the county's default rule set for a year.

A thin wrapper around `services.ruleset_load_defaults` (fixtures/default_rules.json). Safe to
re-run with `--if-missing` (used by `make run`): it then does nothing when the year has rules.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from members.permissions import system_user
from scoring import services
from scoring.models import RuleItem, RuleSet


class Command(BaseCommand):
    help = (
        "Load the county's default rules (fixtures/default_rules.json) for YEAR, published "
        "unless --draft. Refuses when the year already has a rule set, unless --new-version."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="the year the rules are for, e.g. 2026")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="leave it as a draft (the county publishes it in the admin)",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--new-version",
            action="store_true",
            help="if the year already has rules, add the defaults as the next version",
        )
        existing.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing if the year already has a rule set (used by `make run`)",
        )

    def handle(self, *args, year, draft, new_version, if_missing, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(f"年度应为四位数的年份，如 2026，而不是 {year}。")
        existing = RuleSet.objects.filter(year=year).order_by("-version").first()
        if existing is not None:
            if if_missing:
                self.stdout.write(f"{year}年已有积分细则（{existing}），未作改动。")
                return
            if not new_version:
                raise CommandError(
                    f"{year}年已有积分细则（{existing}）。如需按默认细则新建一个版本，"
                    "请加 --new-version；修改现有细则请在系统配置中复制为新版本。"
                )
        rule_set = services.ruleset_load_defaults(year=year, publish=not draft, by=system_user())
        counts = dict(rule_set.items.values_list("kind").annotate(n=Count("pk")).order_by())
        kinds = "，".join(
            f"{label} {counts.get(kind, 0)} 项" for kind, label in RuleItem.Kind.choices
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建 {rule_set}：类别 {rule_set.category_rules.count()} 个，{kinds}。"
            )
        )
