"""`manage.py load_default_rules 2026`: a county's default rule set for a year.

A thin wrapper around `services.ruleset_load_defaults` (fixtures/default_rules.json). Safe to
re-run with `--if-missing` (used by `make run`): it then does nothing when the year has rules.

Whose rules: `--county NAME`; without it the database's only county, or — in a database with no
county yet — a template (the county admin copies it into a draft of their own county). A
database with several counties must say which (or `--template`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from members.models import County
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
        whose = parser.add_mutually_exclusive_group()
        whose.add_argument("--county", help="the county's name (default: the only county)")
        whose.add_argument(
            "--template",
            action="store_true",
            help="a template for every county to copy (as a city or province issues it)",
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

    def _county(self, name: str | None, template: bool) -> County | None:
        if template:
            return None
        if name:
            county = County.objects.filter(name=name).first()
            if county is None:
                raise CommandError(f"没有名为“{name}”的县。")
            return county
        counties = list(County.objects.all()[:2])
        if len(counties) > 1:
            raise CommandError("数据库中有多个县，请用 --county 指明县名，或用 --template 建模板。")
        return counties[0] if counties else None

    def handle(self, *args, year, draft, new_version, if_missing, county, template, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(f"年度应为四位数的年份，如 2026，而不是 {year}。")
        county = self._county(county, template)
        existing = RuleSet.objects.filter(county=county, year=year).order_by("-version").first()
        if existing is not None:
            if if_missing:
                self.stdout.write(f"{year}年已有积分细则（{existing}），未作改动。")
                return
            if not new_version:
                raise CommandError(
                    f"{year}年已有积分细则（{existing}）。如需按默认细则新建一个版本，"
                    "请加 --new-version；修改现有细则请在系统配置中复制为新版本。"
                )
        rule_set = services.ruleset_load_defaults(
            year=year, county=county, publish=not draft, by=system_user()
        )
        counts = dict(rule_set.items.values_list("kind").annotate(n=Count("pk")).order_by())
        kinds = "，".join(
            f"{label} {counts.get(kind, 0)} 项" for kind, label in RuleItem.Kind.choices
        )
        whose = f"{county.name} " if county else ""
        categories = rule_set.category_rules.count()
        self.stdout.write(
            self.style.SUCCESS(f"已创建 {whose}{rule_set}：类别 {categories} 个，{kinds}。")
        )
