"""The shared notice downloaded as a PNG image and a PDF, made on the server by headless Chromium
(core.render): the PNG is the phone page, the PDF the A4 print, and neither carries anything the
printed notice does not. Revoked links are 404; a revisit is served from the cache; a missing
renderer gives a Chinese page, not a 500; the renderer reaches no network.

The tests that run Chromium follow tests/pdf.py: they skip without it (and without poppler),
and fail instead under REQUIRE_BROWSER=1."""

import http.server
import struct
import threading

import pytest
from django.test import Client
from django.urls import reverse

from core import render
from posts.models import NoticeShare

from .pdf import A4_PORTRAIT, page_sizes, page_texts, require_tools
from .test_posts_share import published  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _render_cache(settings, tmp_path):
    settings.RENDER_CACHE_DIR = tmp_path / "render-cache"


@pytest.fixture
def chromium(settings):
    settings.RENDER_CHROMIUM = require_tools()


@pytest.fixture
def token(county, published):  # noqa: F811
    # The member has a phone on the roster; the notice must not carry it.
    county.member.phone = "13912345678"
    county.member.save(update_fields=["phone"])
    county.client("secretary").post(reverse("notice_share", args=[published.pk]))
    return NoticeShare.objects.get(notice=published, revoked_at__isnull=True).token


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


def test_the_shared_page_links_its_downloads(token):
    html = Client().get(reverse("notice_shared", args=[token])).content.decode()
    assert "下载图片" in html and reverse("notice_shared_png", args=[token]) in html
    assert "下载PDF" in html and reverse("notice_shared_pdf", args=[token]) in html


def test_the_png_is_the_notice_at_a_phone_s_width(chromium, token):
    response = Client().get(reverse("notice_shared_png", args=[token]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "image/png"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "attachment" in response["Content-Disposition"]
    width, height = png_size(response.content)
    assert width == render.PHONE_WIDTH * render.PNG_SCALE
    assert height > width  # the whole sheet, top to bottom, not a window's worth


def test_the_pdf_is_the_printed_notice_and_nothing_more(
    chromium,
    county,
    published,  # noqa: F811
    token,
    tmp_path,
):
    response = Client().get(reverse("notice_shared_pdf", args=[token]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    assert set(page_sizes(path)) == {A4_PORTRAIT}
    text = "".join(page_texts(path))
    assert published.title in text.replace(" ", "")
    assert county.member.name in text.replace(" ", "")
    member = county.member
    for private in (member.id_number, member.masked_id_number, member.phone, "13912345678"):
        assert private not in text
    assert "下载图片" not in text and "下载PDF" not in text
    assert county.member_z.name not in text  # another branch's notice


def test_a_revisit_is_served_from_the_cache(chromium, token, monkeypatch):
    url = reverse("notice_shared_pdf", args=[token])
    first = Client().get(url).content
    runs = []
    monkeypatch.setattr(render._Run, "__call__", lambda self, *flags: runs.append(flags))
    assert Client().get(url).content == first
    assert runs == []


def test_revoked_and_unknown_links_are_404_for_both_files(county, published, token):  # noqa: F811
    county.client("secretary").post(
        reverse("notice_share", args=[published.pk]), {"action": "revoke"}
    )
    for name in ("notice_shared_png", "notice_shared_pdf"):
        assert Client().get(reverse(name, args=[token])).status_code == 404
        assert Client().get(reverse(name, args=["x" * 43])).status_code == 404


def test_without_the_renderer_the_visitor_gets_a_chinese_page(settings, token):
    settings.RENDER_CHROMIUM = "/nonexistent/chromium"
    response = Client().get(reverse("notice_shared_png", args=[token]))
    assert response.status_code == 503
    html = response.content.decode()
    assert "暂时不能下载" in html and "没有安装" in html
    assert reverse("notice_shared", args=[token]) in html  # the way back to the page


def test_the_renderer_reaches_no_network(chromium, tmp_path):
    """A page naming an image on a server (here one on this machine) renders without fetching it."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        html = (
            "<!doctype html><html><body><p>离线</p>"
            f'<img src="http://127.0.0.1:{port}/by-address.png">'
            f'<img src="http://localhost:{port}/by-name.png"></body></html>'
        )
        assert png_size(render.png(html))[0] == render.PHONE_WIDTH * render.PNG_SCALE
        assert render.pdf(html)[:5] == b"%PDF-"
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
