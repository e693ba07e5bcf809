"""`manage.py bench`: its measuring code runs on a tiny demo (not a timed test: only that every
page answers and a row comes out with numbers and a query count)."""

from __future__ import annotations

import datetime
import random

import pytest

from demo import county as demo
from demo.year import seed_year_activity
from devtools import bench


@pytest.fixture
def tiny_demo(db):
    today = datetime.date.today()
    result = demo.seed_demo(today=today, rural_members=300, community_members=(0, 1))
    for county in result.counties:
        seed_year_activity(county, rng=random.Random(1), today=today)
    return today


def test_measure_gives_numbers_for_every_page(tiny_demo):
    fx = bench.prepare(big_branch_size=12)
    rows = bench.measure(fx, repeat=2, warmup=1, roster_rows=20, import_repeat=1)

    by_key = {row.key: row for row in rows}
    assert list(by_key) == [page.key for page in bench.pages(fx)]
    for row in rows:
        if row.verdict == "n/a":  # e.g. Q3 before October: its months are not closed yet
            assert row.note
            continue
        assert row.status == (302 if row.key == "counter_redeem" else 200), (row.key, row.note)
        assert row.median_ms > 0 and row.p95_ms >= row.median_ms, row.key
        assert row.runs >= 1 and row.queries is not None, row.key
    assert by_key["baseline"].queries == 0  # the login form needs no database
    assert by_key["month"].queries > 0
    assert by_key["roster_import"].queries > 0
    assert fx.members[fx.large_branch.pk] <= 12

    # The same database again: prepare() finds what it made instead of making it twice.
    again = bench.prepare(big_branch_size=12)
    assert again.large_branch == fx.large_branch
    assert again.assessments == fx.assessments


@pytest.fixture
def tiny_demo_with_shops(db):
    from demo.assessments import seed_assessments
    from demo.rewards import seed_rewards

    today = datetime.date.today()
    county = demo.seed_demo(today=today, rural_members=300, community_members=(0, 1)).counties[0]
    seed_year_activity(county, rng=random.Random(1), today=today)
    seed_assessments(county, rng=random.Random(1), today=today)
    seed_rewards(county, rng=random.Random(1), today=today)
    return today


def test_the_counter_and_the_statements_are_measured_and_the_redemption_leaves_no_trace(
    tiny_demo_with_shops,
):
    from rewards import services
    from rewards.models import Redemption

    fx = bench.prepare(big_branch_size=12)
    if fx.shop_goods is None:
        pytest.skip("no customer of the demo shop has a balance yet this early in the year")
    before = (services.balance_of(fx.shop_member), Redemption.objects.count())
    keys = ["baseline", "counter_lookup", "counter_redeem", "shop_statement", "fund_statement",
            "county_rewards"]  # fmt: skip
    rows = {r.key: r for r in bench.measure(fx, repeat=2, warmup=1, only=keys)}
    assert rows["counter_lookup"].status == 200 and rows["counter_lookup"].queries > 0
    assert rows["counter_redeem"].status == 302, rows["counter_redeem"].note
    assert rows["counter_redeem"].target_ms == 10 * rows["baseline"].median_ms
    assert rows["counter_redeem"].verdict in {"PASS", "MISS"}
    for key in ("shop_statement", "fund_statement", "county_rewards"):
        assert rows[key].status == 200 and rows[key].target_ms == 1000, key
    # Every timed redemption was rolled back: the balance and the redemptions are as before.
    assert (services.balance_of(fx.shop_member), Redemption.objects.count()) == before


def test_report_marks_targets_and_compares_query_counts(tmp_path):
    def rows(month_queries: int, large_queries: int, dashboard_ms: float):
        return [
            {"key": "baseline", "label": "Baseline", "kind": "baseline", "who": "",
             "median_ms": 2.0, "p95_ms": 3.0, "queries": 0, "verdict": "", "note": ""},
            {"key": "month", "label": "Month", "kind": "branch", "who": "secretary",
             "median_ms": 40.0, "p95_ms": 50.0, "queries": month_queries, "verdict": "PASS",
             "note": "", "compare": "month"},
            {"key": "month_large", "label": "Month (big)", "kind": "branch", "who": "x",
             "median_ms": 140.0, "p95_ms": 150.0, "queries": large_queries, "verdict": "MISS",
             "note": "", "compare": "month"},
            {"key": "county_dashboard", "label": "County", "kind": "county", "who": "county",
             "median_ms": dashboard_ms, "p95_ms": dashboard_ms, "queries": 9, "verdict": "PASS",
             "note": ""},
        ]  # fmt: skip

    def result(scale, month_queries, large_queries, ms):
        return {
            "database": "PostgreSQL 15",
            "counts": {"members": 1, "ledger_entries": 2, "declarations": 3, "database_bytes": 0},
            "build": {"prepare_s": 1.0, "seed_s": 20.0, "seed_per_county_s": [20.0]},
            "load_before": [1.0, 1.0, 1.0],
            "measure_s": 10.0,
            "rows": rows(month_queries, large_queries, ms),
        }

    county = bench.Target("postgres://h/lanxian_bench_county", "county", 1)
    province = bench.Target("postgres://h/lanxian_bench_province", "province", 10)
    info = {**bench.machine(), "load_end": (1.0, 1.0, 1.0)}
    text = bench.report(
        [(county, result("county", 16, 16, 250.0)), (province, result("province", 16, 17, 450.0))],
        info,
        started=datetime.datetime(2026, 11, 25, 12, 0),
        options={"repeat": 20, "warmup": 2},
    )
    assert "40 / 50 · 16 q · ×20.0 · PASS" in text
    assert "**MISS**" in text and "Missed targets:" in text
    assert "county, month: `month` 16, `month_large` 16 queries — same" in text
    assert "month: `month` 16, `month_large` 17 queries — **differs**" in text
    assert "`month_large` 16 → 17" in text

    # Written between markers: what is outside them (notes by hand) survives a new run.
    path = tmp_path / "benchmarks.md"
    bench.write_report(path, text)
    path.write_text(path.read_text() + "\n## Notes by hand\n\nkept\n")
    bench.write_report(path, text.replace("PASS", "PASSED"))
    written = path.read_text()
    assert written.startswith("# Benchmarks")
    assert "PASSED" in written and "## Notes by hand\n\nkept" in written
    assert written.count(bench.MARK_BEGIN) == 1


def test_refuses_to_recreate_a_database_not_named_for_the_bench():
    with pytest.raises(ValueError, match="bench"):
        bench.recreate_database("postgres://postgres@127.0.0.1:5432/lanxian")
    with pytest.raises(ValueError, match="bench"):
        bench.drop_database("sqlite:////work/main/db.sqlite3")
