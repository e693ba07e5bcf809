"""`manage.py seed_demo`: build the Lan County demo (see demo.county)."""

from __future__ import annotations

import datetime
import random

from django.core.management.base import BaseCommand, CommandError

from demo import county as demo
from demo.assessments import seed_assessments
from demo.data import TOTAL_RURAL_MEMBERS
from demo.posts import DEMO_PIN, seed_posts
from demo.rewards import seed_rewards
from demo.year import seed_year_activity
from members.models import Township
from scoring import standings


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date like 2026-11-25, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Build the Lan County demo: 9 townships, 136 villages, 8 communities, 4,538 rural "
        "members with their roll and category history, and the demo logins "
        f"(password {demo.DEMO_PASSWORD})."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (default 2026)"
        )
        parser.add_argument(
            "--counties",
            type=int,
            default=1,
            help="build N counties (load tests); county k>1 has townships named “东村镇（k）”",
        )
        parser.add_argument(
            "--rural-members",
            type=int,
            default=TOTAL_RURAL_MEMBERS,
            help=f"rural members per county (default {TOTAL_RURAL_MEMBERS})",
        )
        parser.add_argument(
            "--today", type=_date, default=None, help="the demo's today (default: today)"
        )
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="build only the organisation: no months, declarations, ledger entries, "
            "assessments or notices (load tests that want an empty year)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already has a township (used by `make run`)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="add the demo to a database that already has data (after the existing "
            "demo counties; nothing is deleted)",
        )

    def handle(self, *args, **options):
        if options["counties"] < 1 or options["counties"] > demo.MAX_COUNTIES:
            raise CommandError(f"--counties must be between 1 and {demo.MAX_COUNTIES}")
        if options["rural_members"] < 0:
            raise CommandError("--rural-members must not be negative")

        first_county = 1
        if Township.objects.exists():
            if options["if_empty"]:
                self.stdout.write("seed_demo: the database already has data; nothing to do.")
                return
            if not options["force"]:
                raise CommandError(
                    "The database already has townships; refusing to add the demo to it. "
                    "Use --if-empty to skip quietly, or --force to add demo counties anyway."
                )
            first_county = demo.next_free_county()
            if first_county + options["counties"] - 1 > demo.MAX_COUNTIES:
                raise CommandError("Too many demo counties in this database already.")

        # Each member's stored standings are computed once, at the end, not at every step.
        with standings.batch():
            try:
                result = demo.seed_demo(
                    seed=options["seed"],
                    counties=options["counties"],
                    first_county=first_county,
                    today=options["today"],
                    rural_members=options["rural_members"],
                )
            except ValueError as error:
                raise CommandError(str(error)) from error

            counties = result.counties
            activity = []
            assessed = []
            posted = []
            rewarded = []
            if not options["no_activity"]:
                for county in counties:
                    rng = random.Random(f"lanxian-activity:{options['seed']}:{county.plan.county}")
                    activity.append(seed_year_activity(county, rng=rng, today=county.plan.today))
                    # Quarterly meetings, notices and archives; last year's annual results.
                    rng = random.Random(
                        f"lanxian-assessments:{options['seed']}:{county.plan.county}"
                    )
                    assessed.append(seed_assessments(county, rng=rng, today=county.plan.today))
                    # Posts, pledges, ratings, PINs, own declarations, migrants' report-in.
                    rng = random.Random(f"lanxian-posts:{options['seed']}:{county.plan.county}")
                    posted.append(seed_posts(county, rng=rng, today=county.plan.today))
                    # Village shops, balances credited from the approvals, red funds (demo.rewards).
                    rng = random.Random(f"lanxian-rewards:{options['seed']}:{county.plan.county}")
                    rewarded.append(seed_rewards(county, rng=rng, today=county.plan.today))
        numbers = ", ".join(str(c.plan.county) for c in counties)
        self.stdout.write(
            f"Built {len(counties)} demo {'county' if len(counties) == 1 else 'counties'} "
            f"(no. {numbers}; seed {options['seed']}; demo year {counties[0].plan.year}, "
            f"today {counties[0].plan.today}):"
        )
        rural = [m for c in counties for m in c.plan.rural_members]
        left = sum(1 for m in rural if m.leave)
        joined = sum(1 for m in rural if m.start_reason == demo.TRANSFERRED_IN)
        changed = sum(1 for m in rural if len(m.categories) > 1)
        lines = [
            ("townships", f"{result.township_count:,}"),
            (
                "branches",
                f"{result.village_count + result.community_count:,} "
                f"({result.village_count:,} villages + {result.community_count:,} communities)",
            ),
            (
                "rural members",
                f"{result.rural_member_count:,} in the villages "
                f"({joined:,} transferred in during the year, {left:,} left, "
                f"{changed:,} changed category)",
            ),
            ("community members", f"{result.community_member_count:,} (not rural members)"),
            ("seconds", f"{result.seconds:.1f}"),
        ]
        for label, value in lines:
            self.stdout.write(f"  {label:<18} {value}")
        for county, year in zip(counties, activity, strict=False):
            self.stdout.write(f"Year activity, county {county.plan.county}: {year.summary()}")
        for county, evaluated in zip(counties, assessed, strict=False):
            self.stdout.write(f"Assessments, county {county.plan.county}: {evaluated.summary()}")
        for county, seeded in zip(counties, posted, strict=False):
            self.stdout.write(f"Posts, county {county.plan.county}: {seeded.summary()}")

        for county, rewards in zip(counties, rewarded, strict=False):
            self.stdout.write(f"Rewards, county {county.plan.county}: {rewards.summary()}")

        if result.users:
            self.stdout.write(f"Demo logins (demo only, password {demo.DEMO_PASSWORD}):")
            for user in result.users:
                official = user.official
                where = official.branch or official.township or official.city or "岚县"
                self.stdout.write(f"  {user.username:<11} {official.get_role_display()}（{where}）")
            member = next((p.demo_member for p in posted if p.demo_member), None)
            if member is not None:
                self.stdout.write(
                    f"  member PIN {DEMO_PIN} for {member.name}（{member.branch}）: "
                    "open the card link on the member's page, then 本人申报"
                )
        if result.skipped_users:
            self.stdout.write(
                "Existing users left unchanged: " + ", ".join(result.skipped_users) + "."
            )
