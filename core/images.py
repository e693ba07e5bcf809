"""Uploaded photos: decoded and drawn again, never stored as they came.

Looking at the first bytes proves nothing: a JPEG header followed by an HTML page passes such a
check, and a real photo from a phone carries EXIF with the GPS position of the member's house.
So a photo is decoded by Pillow (JPEG and PNG decoders only), refused if it does not decode
completely or declares more pixels than a camera makes (a "decompression bomb": a few KB that
decode to gigabytes), turned upright by its EXIF orientation, converted to RGB, reduced to at
most 2,000 px on its longest side, and encoded again as a JPEG that carries no metadata at all
(no EXIF, GPS, ICC profile, XMP or comment). The stored name is random: nothing the uploader
typed reaches the disk.
"""

from __future__ import annotations

import io
import secrets
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

__all__ = [
    "JPEG_QUALITY",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MSG_NOT_AN_IMAGE",
    "MSG_TOO_MANY_PIXELS",
    "reencode_photo",
]

MAX_PIXELS = 40_000_000  # a 40-megapixel camera; anything larger is refused before decoding
MAX_SIDE = 2_000  # px on the longest side of the stored photo: plenty for a declaration
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG")  # the only decoders an upload reaches

MSG_NOT_AN_IMAGE = "无法识别的图片文件，请上传 JPEG 或 PNG 照片。"
MSG_TOO_MANY_PIXELS = (
    "图片尺寸过大（超过 4000 万像素），可能是异常文件。请用手机或相机重新拍摄，或缩小后再上传。"
)

# Pillow's own guard, process-wide: warns above this many pixels and refuses above twice as
# many. The warning is made an error below, so MAX_PIXELS is the limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ValidationError(MSG_NOT_AN_IMAGE, code="not_an_image")
    if width * height > MAX_PIXELS:
        raise ValidationError(MSG_TOO_MANY_PIXELS, code="too_many_pixels")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB; transparency (a PNG screenshot) becomes white, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _decode(data: bytes) -> bytes:
    # 1. The header and the structure, without decoding pixels (verify() leaves the image
    #    unusable, so it is opened again).
    with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
        _check_pixels(probe)
        probe.verify()
    # 2. Every pixel: a truncated or corrupt file fails here.
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        _check_pixels(image)
        image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = _flatten(upright)
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # 3. A new image holding only the pixels: no info dict (comment, ICC, EXIF) comes along.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def reencode_photo(upload) -> ContentFile:
    """The uploaded file as a clean JPEG named ``<random>.jpg``, or ValidationError.

    ``upload`` is any file object (an UploadedFile); the caller has already limited its size.
    """
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            jpeg = _decode(data)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ValidationError(MSG_TOO_MANY_PIXELS, code="too_many_pixels") from error
        except Exception as error:  # untrusted input: any decoder failure means "not a photo"
            raise ValidationError(MSG_NOT_AN_IMAGE, code="not_an_image") from error
    return ContentFile(jpeg, name=f"{secrets.token_hex(16)}.jpg")
