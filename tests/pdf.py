"""Print an HTML page to PDF with Debian's headless Chromium and read the PDF back with poppler
(pdfinfo, pdftotext) — what a secretary gets from the browser's "Print" on the village PC.

Without Chromium or poppler-utils the tests that use this skip, saying why; with
REQUIRE_BROWSER=1 (set by .ci/run) they fail instead, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

CHROMIUM = ("chromium", "chromium-browser")
TIMEOUT = 120  # seconds; a cold Chromium start on a slow CI machine takes a few

# Points per millimetre: A4 is 210 × 297 mm = 595.3 × 841.9 pt.
A4_PORTRAIT = (595, 842)
A4_LANDSCAPE = (842, 595)

_STATIC = re.compile(r'(?P<attr>href|src)="(?P<url>' + re.escape(settings.STATIC_URL) + r'[^"?#]+)')


def _chromium() -> str | None:
    return next((path for name in CHROMIUM if (path := shutil.which(name))), None)


def require_tools() -> str:
    """The Chromium executable; skip (or fail under REQUIRE_BROWSER=1) if a tool is missing."""
    chromium = _chromium()
    missing = [name for name, found in (("chromium", chromium),) if not found]
    missing += [name for name in ("pdfinfo", "pdftotext") if not shutil.which(name)]
    if missing:
        reason = (
            f"PDF print test needs {', '.join(missing)} "
            "(apt-get install chromium fonts-noto-cjk poppler-utils)"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; REQUIRE_BROWSER=1 forbids skipping")
        pytest.skip(reason)
    return chromium


def save_page(html: str, directory: Path, name: str = "page.html") -> Path:
    """Write the page with the stylesheets it links copied next to it (relative links), so the
    browser needs no server and no network."""
    directory.mkdir(parents=True, exist_ok=True)

    def local(match: re.Match) -> str:
        relative = match.group("url")[len(settings.STATIC_URL) :].lstrip("/")
        source = finders.find(relative)
        if source is None:
            raise FileNotFoundError(f"static file not found: {relative}")
        target = directory / "static" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return f'{match.group("attr")}="static/{relative}'

    page = directory / name
    page.write_text(_STATIC.sub(local, html), encoding="utf-8")
    return page


def print_to_pdf(page: Path, pdf: Path) -> Path:
    chromium = require_tools()
    profile = pdf.parent / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        page.resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(profile)}
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish printing within {TIMEOUT} s")
    if not pdf.exists() or pdf.stat().st_size == 0:
        pytest.fail(f"chromium wrote no PDF (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return pdf


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    """Each page's size in whole points (width, height)."""
    out = _run("pdfinfo", "-f", "1", "-l", "9999", str(pdf))
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    return [(round(float(w)), round(float(h))) for w, h in sizes]


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed (pdftotext -layout)."""
    pages = _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, timeout=60, check=True)
    return result.stdout.decode("utf-8")
