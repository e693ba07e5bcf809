"""`make loadtest` rewrites only its own section of docs/benchmarks.md, and its table says when
entries were lost or duplicated. (The load run itself needs PostgreSQL, Redis, nginx and minutes:
it is run by hand, see docs/operations.md.)"""

from __future__ import annotations

import argparse

from devtools import loadtest


def result(name: str, **overrides) -> dict:
    return {
        "name": name,
        "servers": 1,
        "requests": 1200,
        "failures": 0,
        "rps": 20.0,
        "p50": 400.0,
        "p95": 1500.0,
        "p99": 2500.0,
        "posts": 60,
        "posts_saved": 60,
        "rows": 60,
        "lost": 0,
        "duplicated": 0,
        "extra": 0,
        "load": (0.5, 0.5, 0.5),
        "pages": {"month screen": (700, 450.0, 1600.0)},
        **overrides,
    }


def test_each_run_replaces_its_section_and_keeps_the_hand_written_notes(tmp_path, monkeypatch):
    page = tmp_path / "benchmarks.md"
    page.write_text(
        f"# Benchmarks\n\nbench table\n\n{loadtest.BEGIN}\nold figures\n"
        f"{loadtest.END}\n\nNotes written by hand.\n"
    )
    monkeypatch.setattr(loadtest, "BENCHMARKS", page)
    args = argparse.Namespace(users=20, seconds=60)
    text = loadtest.report(
        [result("before", rps=10.0), result("one", rps=25.0), result("two", rps=31.0)],
        args,
        {"this code": "abc1234", "before": "98634cc"},
        "2026-11-29 07:00",
    )
    loadtest.write_report(text)

    written = page.read_text()
    assert "old figures" not in written
    assert written.startswith("# Benchmarks\n\nbench table\n")
    assert written.rstrip().endswith("Notes written by hand.")
    assert "| this code, 2 servers behind nginx | 1,200 | 31.0 | 400 | 1500 | 2500 | 0 |" in written
    assert "this code, 1 server: ×2.50 the requests/s of the code before" in written
    assert "before = `98634cc`" in written


def test_lost_and_duplicated_entries_show_in_the_table():
    text = loadtest.report(
        [result("one", posts_saved=60, rows=61, lost=1, duplicated=2)],
        argparse.Namespace(users=20, seconds=60),
        {"this code": "abc1234"},
        "2026-11-29 07:00",
    )
    assert "| 60 | 61 | 1 | 2 |" in text
