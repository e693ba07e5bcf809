"""`manage.py bench`: latency and query counts of the main pages (see devtools.bench)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devtools import bench


class Command(BaseCommand):
    help = (
        "Build fresh demo databases (county scale on SQLite and PostgreSQL, or province scale on "
        "PostgreSQL), measure the main pages warm (median, p95, queries) and write "
        "docs/benchmarks.md. Recreates and drops only databases whose name contains 'bench'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database-url",
            action="append",
            dest="urls",
            metavar="URL",
            help="a database to build and measure (repeatable; default: a SQLite file under /tmp "
            "and PostgreSQL on 127.0.0.1 for the county scale, PostgreSQL for the province)",
        )
        parser.add_argument(
            "--scale",
            choices=["county", "province", "all"],
            default="county",
            help="county: 1 county; province: --counties counties; all: both (default targets)",
        )
        parser.add_argument(
            "--counties", type=int, default=100, help="counties at province scale (default 100)"
        )
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
        parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
        parser.add_argument(
            "--budget",
            type=float,
            default=60.0,
            help="seconds of timed requests per page before stopping early (at least 3 runs)",
        )
        parser.add_argument("--output", default="docs/benchmarks.md", help="'-' to write nothing")
        parser.add_argument(
            "--skip-build",
            action="store_true",
            help="measure the database(s) built earlier with --keep (only new migrations applied)",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="measure a database kept by an earlier --keep run as it is, build the others",
        )
        parser.add_argument("--keep", action="store_true", help="do not drop the databases")
        parser.add_argument("--only", action="append", metavar="PAGE", help="measure only PAGE")
        # Internal: the subprocess that builds and measures one database.
        parser.add_argument("--worker", action="store_true", help="(internal)")
        parser.add_argument("--result-file", help="(internal)")

    def handle(self, *args, **options):
        if options["worker"]:
            return self._worker(options)
        scale = options["scale"]
        if options["urls"]:
            if scale == "all":
                raise CommandError("--scale all uses the default databases: drop --database-url")
            counties = options["counties"] if scale == "province" else 1
            targets = [bench.Target(url, scale, counties) for url in options["urls"]]
        else:
            targets = bench.default_targets(scale, options["counties"])
        if any(t.scale == "province" and t.vendor == "sqlite" for t in targets):
            raise CommandError("the province scale is measured on PostgreSQL only")
        try:
            table = bench.run_bench(targets, options, self._log)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(table)

    def _log(self, message: str) -> None:
        self.stderr.write(message)
        self.stderr.flush()

    def _worker(self, options):
        result = bench.run_worker(
            scale=options["scale"],
            counties=options["counties"] if options["scale"] == "province" else 1,
            repeat=options["repeat"],
            warmup=options["warmup"],
            budget=options["budget"],
            skip_build=options["skip_build"],
            only=options["only"],
            log=self._log,
        )
        Path(options["result_file"]).write_text(json.dumps(result, default=str))
