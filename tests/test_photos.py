"""Declaration photos are decoded and encoded again, through the month screen's declaration form.

What is stored is a JPEG drawn from the decoded pixels: no EXIF (so no GPS position of the
member's house), at most 2,000 px on its longest side, under a random name. Anything that does
not decode, or declares more pixels than a camera makes, is refused.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from scoring.models import Declaration
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = "无法识别的图片文件，请上传 JPEG 或 PNG 照片。"


@pytest.fixture
def rules_2026(county):
    return load_default_rules(year=2026)


def declare(county, photo):
    data = {
        "declaration-member": county.member.name,
        "declaration-item": "G03",
        "declaration-occurred_on": "2026-03-12",
        "declaration-description": "人居环境整治，清理村道垃圾",
        "declaration-points": "6",
        "declaration-photo": photo,
    }
    url = reverse("declaration_create", args=[county.branch.pk, 2026, 3])
    return county.client("secretary").post(url, data)


def photo_errors(response) -> list[str]:
    assert response.status_code == 200
    return list(response.context["forms"]["declaration"].errors.get("photo", []))


def image_bytes(image: Image.Image, fmt: str, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps(size=(640, 480), orientation=1) -> bytes:
    """A phone photo: EXIF with the camera, the orientation and a GPS position in 岚县."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (38.0, 16.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (111.0, 34.0, 12.0)
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # a blue top-left block
    return image_bytes(image, "JPEG", exif=exif.tobytes(), icc_profile=b"\x00" * 128)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims ``width`` × ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def stored(declaration: Declaration) -> Image.Image:
    with declaration.photo.open("rb") as stored_file:
        data = stored_file.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


# --- refused ----------------------------------------------------------------------------------


def test_a_jpeg_header_followed_by_html_is_refused(county, rules_2026):
    fake = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"<html><script>alert(1)</script></html>"
    response = declare(county, SimpleUploadedFile("photo.jpg", fake, "image/jpeg"))
    assert photo_errors(response) == [NOT_AN_IMAGE]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 not an image",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and nothing else
        b"GIF89a" + b"\x00" * 64,
    ],
)
def test_files_that_do_not_decode_are_refused(county, rules_2026, content):
    response = declare(county, SimpleUploadedFile("photo.png", content, "image/png"))
    assert photo_errors(response) == [NOT_AN_IMAGE]


def test_a_truncated_jpeg_is_refused(county, rules_2026):
    data = jpeg_with_gps()
    response = declare(county, SimpleUploadedFile("a.jpg", data[: len(data) // 2], "image/jpeg"))
    assert photo_errors(response) == [NOT_AN_IMAGE]


def test_formats_other_than_jpeg_and_png_are_refused_even_when_they_decode(county, rules_2026):
    gif = image_bytes(Image.new("RGB", (40, 30)), "GIF")
    response = declare(county, SimpleUploadedFile("a.gif", gif, "image/gif"))
    assert photo_errors(response) == [NOT_AN_IMAGE]


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (8_000, 6_000), (1, 50_000_000)])
def test_a_decompression_bomb_is_refused(county, rules_2026, width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 1024
    response = declare(county, SimpleUploadedFile("bomb.png", bomb, "image/png"))
    (message,) = photo_errors(response)
    assert "图片尺寸过大" in message
    assert not Declaration.objects.exists()


def test_the_5_mb_upload_limit_is_kept(county, rules_2026):
    big = jpeg_with_gps() + b"\x00" * (5 * 1024 * 1024)
    response = declare(county, SimpleUploadedFile("big.jpg", big, "image/jpeg"))
    assert photo_errors(response) == ["照片不能超过 5 MB，请压缩后再上传。"]


# --- stored clean -----------------------------------------------------------------------------


def test_a_real_jpeg_with_gps_is_stored_without_any_metadata(county, rules_2026):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    response = declare(county, SimpleUploadedFile("我家门口.jpg", original, "image/jpeg"))
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    image, data = stored(declaration)
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (640, 480)
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in data and b"TestPhone" not in data
    assert "exif" not in image.info and "icc_profile" not in image.info


def test_the_exif_orientation_is_applied_before_it_is_dropped(county, rules_2026):
    # Orientation 6: the camera was turned; viewers rotate the 640×480 picture to 480×640.
    response = declare(county, SimpleUploadedFile("a.jpg", jpeg_with_gps(orientation=6)))
    assert response.status_code == 302
    image, _ = stored(Declaration.objects.get())
    assert image.size == (480, 640)
    red, _green, blue = image.getpixel((image.width - 10, 10))  # the blue block, now top-right
    assert blue > 150 and red < 100


def test_a_large_png_is_stored_as_a_jpeg_of_at_most_2000_px(county, rules_2026):
    png = image_bytes(Image.new("RGB", (4000, 3000), (10, 120, 40)), "PNG")
    response = declare(county, SimpleUploadedFile("现场.png", png, "image/png"))
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    image, _ = stored(declaration)
    assert image.format == "JPEG" and image.size == (2000, 1500)


def test_a_transparent_png_gets_a_white_background(county, rules_2026):
    png = image_bytes(Image.new("RGBA", (100, 80), (0, 0, 0, 0)), "PNG")
    assert declare(county, SimpleUploadedFile("a.png", png, "image/png")).status_code == 302
    image, _ = stored(Declaration.objects.get())
    assert all(channel > 240 for channel in image.getpixel((50, 40)))


def test_the_stored_name_is_random_with_jpg_and_the_photo_is_served_in_scope_only(
    county, rules_2026
):
    png = image_bytes(Image.new("RGB", (64, 48), (1, 2, 3)), "PNG")
    upload = SimpleUploadedFile("<script>现场.png", png, "image/png")
    assert declare(county, upload).status_code == 302
    declaration = Declaration.objects.get()
    name = declaration.photo.name
    assert name.startswith("declarations/") and name.endswith(".jpg")
    assert "script" not in name and "现场" not in name
    assert len(name.rsplit("/", 1)[1]) == len("0123456789abcdef0123456789abcdef.jpg")
    photo = county.client("assessor").get(reverse("declaration_photo", args=[declaration.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    other = county.client("secretary_y").get(reverse("declaration_photo", args=[declaration.pk]))
    assert other.status_code == 404
