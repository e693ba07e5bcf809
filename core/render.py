"""A page of ours turned into a file on the server: a PDF (the print stylesheet, A4, exactly what
the browser's "Print" gives) or a PNG (the screen layout at a phone's width), by Debian's headless
Chromium — the browser the print and browser tests already run, with the Chinese fonts
(fonts-noto-cjk) the county's servers have anyway; WeasyPrint would add Pango and still make no
PNG. See README "Shared notices as PNG and PDF".

* Local files only: the page's /static/ links are rewritten to the files on disk, and Chromium
  runs with every host name unresolvable and every connection sent to a dead proxy, so a page
  that names anything else renders without it (an offline county server loses nothing).
* Bounded: each Chromium run is killed, with its helper processes, after RENDER_TIMEOUT seconds.
* Cached: the file is kept under RENDER_CACHE_DIR, named by a hash of the page (and the
  stylesheets it uses), so a revisit costs a file read and a changed notice renders anew.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

__all__ = ["PHONE_WIDTH", "PNG_SCALE", "RenderError", "RendererMissing", "pdf", "png"]

PHONE_WIDTH = 390  # CSS pixels: an ordinary phone held upright
PNG_SCALE = 2  # device pixels per CSS pixel: sharp on a phone's screen, still < 1 MB
MAX_PNG_HEIGHT = 16000  # CSS pixels; longer pages are cut (a notice of 150 members is ~6000)
# Part of the cache key: a new version of this module never serves files made the old way.
RENDER_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

_STATIC = re.compile(r'(?P<attr>href|src)="(?P<url>' + re.escape(settings.STATIC_URL) + r'[^"?#]*)')
_SIZE = re.compile(r'data-render-size="(\d+)x(\d+)"')
# The measuring pass: headless Chromium will not make a window narrower than 500 px, so the page
# itself is held to the wanted width; a script at its end (after the stylesheets, which block
# scripts) writes the width its content needs and its height into the DOM.
_MEASURE = (
    "<style>html{{width:{width}px}}</style><script>"
    "var b=document.body,r=document.documentElement.getBoundingClientRect();"
    "b.setAttribute('data-render-size',b.scrollWidth+'x'+Math.ceil(r.height));</script>"
)


class RenderError(Exception):
    """The file could not be made; ``str()`` is the message for the person who asked."""


class RendererMissing(RenderError):
    pass


def pdf(html: str) -> bytes:
    """The page as printed: the print stylesheet's page size and margins, no header or footer."""
    return _cached("pdf", html, _print_pdf)


def png(html: str, width: int = PHONE_WIDTH) -> bytes:
    """The page on a screen ``width`` CSS pixels wide, whole length, at PNG_SCALE."""
    return _cached(f"png{width}", html, lambda page, out: _screenshot(page, out, width))


# --- the cache ---------------------------------------------------------------------------------


def _cached(kind: str, html: str, make) -> bytes:
    page, files = _local_page(html)
    digest = hashlib.sha256(f"{RENDER_VERSION}\0{kind}\0{page}".encode())
    for path in files:
        digest.update(path.read_bytes())
    directory = Path(settings.RENDER_CACHE_DIR)
    target = directory / f"{digest.hexdigest()}.{kind[:3]}"
    if target.exists():
        return target.read_bytes()
    chromium = _chromium()  # only now: a cached file is served even without the renderer
    with tempfile.TemporaryDirectory(prefix="lanxian-render-") as tmp:
        work = Path(tmp)
        (work / "page.html").write_text(page, encoding="utf-8")
        out = work / f"out.{kind[:3]}"
        make(_Run(chromium, work), out)
        if not out.exists() or out.stat().st_size == 0:
            raise RenderError("生成文件失败，请稍后再试；如一直失败，请联系县委组织部。")
        data = out.read_bytes()
        directory.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: two visitors at once never read half a file.
        partial = directory / f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial"
        partial.write_bytes(data)
        os.replace(partial, target)
    return data


def _local_page(html: str) -> tuple[str, list[Path]]:
    """The page with its static links pointing at the files on disk, and those files."""
    files: list[Path] = []

    def local(match: re.Match) -> str:
        path = _static_file(match.group("url")[len(settings.STATIC_URL) :].lstrip("/"))
        if path is None:
            return f'{match.group("attr")}="about:blank'
        files.append(path)
        return f'{match.group("attr")}="{path.as_uri()}'

    return _STATIC.sub(local, html), files


def _static_file(name: str) -> Path | None:
    # Collected (production, with hashed names) first, then the apps' own folders (DEBUG).
    if settings.STATIC_ROOT:
        collected = Path(settings.STATIC_ROOT) / name
        if collected.is_file():
            return collected.resolve()
    found = finders.find(name)
    return Path(found).resolve() if found else None


# --- Chromium ----------------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which(settings.RENDER_CHROMIUM)
    if not found:
        raise RendererMissing(
            "服务器上没有安装生成图片和PDF所需的浏览器（chromium），暂时不能下载；"
            "可以直接打开本页查看或截图。请联系县委组织部的系统管理员安装。"
        )
    return found


class _Run:
    """One headless Chromium invocation on the saved page, offline, in a throwaway profile."""

    def __init__(self, chromium: str, work: Path):
        self.chromium, self.work = chromium, work

    def __call__(self, *flags: str) -> str:
        profile = self.work / "profile"
        command = [
            self.chromium,
            "--headless",
            "--no-sandbox",  # a server account in a container has no user namespaces
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            # No network: names resolve to nothing, and connections (even to an address, even
            # to this machine) go to a proxy port where nothing listens.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}",
            *flags,
            (self.work / "page.html").as_uri(),
        ]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(profile)}
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=self.work,
            start_new_session=True,  # its own process group, killed whole on timeout
        )
        try:
            out, _ = process.communicate(timeout=settings.RENDER_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise RenderError(
                f"生成文件超过 {settings.RENDER_TIMEOUT} 秒仍未完成，请稍后再试。"
            ) from None
        return out.decode("utf-8", "replace")


def _print_pdf(run: _Run, out: Path) -> None:
    run("--no-pdf-header-footer", f"--print-to-pdf={out}")


def _screenshot(run: _Run, out: Path, width: int) -> None:
    # A screenshot is the window: measure the page first (a script at its end writes its size
    # into the DOM that --dump-dom prints), then shoot a window that size. A page wider than the
    # phone (it should not be) widens the image rather than losing what sticks out.
    page = run.work / "page.html"
    html = page.read_text(encoding="utf-8")
    measuring = html.replace("</body>", _MEASURE.format(width=width) + "</body>", 1)
    page.write_text(measuring, encoding="utf-8")
    dom = run(f"--window-size={width},800", "--dump-dom")
    page.write_text(html, encoding="utf-8")
    found = _SIZE.search(dom)
    if found is None:
        raise RenderError("生成图片失败（无法测量页面），请稍后再试。")
    width = max(width, int(found.group(1)))
    height = min(max(int(found.group(2)), 1), MAX_PNG_HEIGHT)
    run(
        f"--window-size={width},{height}",
        f"--force-device-scale-factor={PNG_SCALE}",
        f"--screenshot={out}",
    )
