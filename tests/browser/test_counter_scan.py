"""The counter's 「扫码」 (static/js/counter_scan.js) in Chromium with a fake camera that films the
member's card QR: the button is there when the browser has a camera API, the code read fills the
card field and sends it, and the member's name and balance come up — with no network beyond the
server (the decoder is the vendored jsQR). Without a camera API there is no button and typing
works as always."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import CardLink
from tests.rewards_helpers import credited_county, make_shop

from .conftest import launched_chromium

pytestmark = pytest.mark.browser

TOKEN = "scan-test-token-0123456789abcdefghijklmnopqrstu"
CARD_URL = f"http://127.0.0.1/c/{TOKEN}/"  # what the printed card's QR code holds


def write_y4m(path, text: str, width: int = 640, height: int = 480, frames: int = 3) -> None:
    """A few grey video frames of the QR code of ``text``, white around it, as Chromium's fake
    camera reads them (YUV4MPEG2, 4:2:0)."""
    import io

    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium whose camera films the card (replaces the plain browser for this module)."""
    video = tmp_path_factory.mktemp("camera") / "card.y4m"
    write_y4m(video, CARD_URL)
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",  # allow the camera without asking
        f"--use-file-for-fake-video-capture={video}",
    ]
    with launched_chromium(camera) as chromium:
        yield chromium


@pytest.fixture
def shop(county):
    credited_county(county)  # 王建国 has 6.00
    county.shop, county.keeper = make_shop(county)
    CardLink.objects.create(member=county.member, token=TOKEN, created_by=county.secretary_user)
    return county


def test_scanning_the_card_fills_the_field_and_shows_the_member(shop, open_page):
    page = open_page(shop.keeper)
    page.goto(reverse("shop_counter", args=[shop.shop.pk]))
    scan = page.get_by_role("button", name="用摄像头扫描积分卡二维码")
    assert scan.inner_text() == "扫码"
    scan.click()
    page.wait_for_url("**/counter/", wait_until="load")
    page.get_by_text("王建国").first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "东阳涧村" in body and "6.00" in body
    # The field held the token alone, as typed card numbers are.
    assert page.locator("input[name=card]").first.input_value() == TOKEN


def test_without_a_camera_there_is_no_scan_button_and_typing_works(shop, open_page):
    page = open_page(shop.keeper)
    page.context.add_init_script(
        "Object.defineProperty(navigator, 'mediaDevices', {value: undefined});"
    )
    page.goto(reverse("shop_counter", args=[shop.shop.pk]))
    assert page.get_by_role("button", name="查询").is_visible()
    assert page.get_by_text("扫码", exact=True).count() == 0
    page.fill("input[name=card]", shop.member.card_number)
    page.get_by_role("button", name="查询").click()
    page.get_by_text("王建国").first.wait_for()
