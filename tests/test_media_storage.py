"""Uploads live wherever STORAGES["default"] says, so several app servers can share them.

With the storage swapped for Django's in-memory one, a photo declared on the month screen and a
roster file waiting between preview and confirm must land there (and nothing in MEDIA_ROOT):
any code that wrote or read the local path instead of going through the storage API would fail
here. The S3 case is checked through the real settings module in a subprocess, without network:
building the S3 backend opens no connection.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from members.models import Member
from scoring.models import Declaration

from .rules_helpers import load_default_rules
from .test_roster_import import confirm, good_rows, roster_file, upload
from .test_settings import _run

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_declared_photo_is_stored_and_served_through_the_storage_not_the_local_disk(
    county, memory_storage, settings
):
    load_default_rules(year=2026)
    response = county.client("secretary").post(
        reverse("declaration_create", args=[county.branch.pk, 2026, 3]),
        {
            "declaration-member": county.member.name,
            "declaration-item": "G03",
            "declaration-occurred_on": "2026-03-12",
            "declaration-description": "人居环境整治，清理村道垃圾",
            "declaration-points": "6",
            "declaration-photo": SimpleUploadedFile("现场.jpg", _jpeg(), "image/jpeg"),
        },
    )
    assert response.status_code == 302
    name = Declaration.objects.get().photo.name
    assert memory_storage.exists(name)
    assert not settings.MEDIA_ROOT.exists()

    with memory_storage.open(name, "rb") as stored:
        kept = stored.read()
    served = county.client("assessor").get(
        reverse("declaration_photo", args=[Declaration.objects.get().pk])
    )
    assert served.status_code == 200
    assert kept[:2] == b"\xff\xd8" and b"".join(served.streaming_content) == kept


def test_a_roster_file_waits_in_the_storage_between_preview_and_confirm(
    county, memory_storage, settings
):
    client = county.client("secretary")
    preview = upload(client, county.branch, roster_file(good_rows()))
    assert preview.status_code == 200
    assert len(memory_storage.listdir("roster-imports")[1]) == 1
    assert not settings.MEDIA_ROOT.exists()

    assert confirm(client, county.branch, preview).status_code == 302
    assert Member.objects.filter(name="刘桂花").exists()
    assert memory_storage.listdir("roster-imports")[1] == []


SHOW_STORAGE = (
    "import json, django\n"
    "django.setup()\n"
    "from django.core.files.storage import default_storage as s\n"
    "s._setup()\n"
    "w = s._wrapped\n"
    "print(json.dumps({'class': type(w).__module__ + '.' + type(w).__name__,\n"
    "  'bucket': getattr(w, 'bucket_name', None), 'endpoint': getattr(w, 'endpoint_url', None),\n"
    "  'region': getattr(w, 'region_name', None), 'location': str(getattr(w, 'location', '')),\n"
    "  'signed': getattr(w, 'querystring_auth', None),\n"
    "  'overwrite': getattr(w, 'file_overwrite', None)}))\n"
)


def _storage(**environment: str) -> dict:
    result = _run(
        ["-c", SHOW_STORAGE],
        SECRET_KEY="x" * 60,
        LEDGER_HMAC_KEY="y" * 60,
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_media_s3_bucket_chooses_the_s3_store_with_private_signed_files():
    storage = _storage(
        MEDIA_S3_BUCKET="lanxian-media",
        MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        MEDIA_S3_REGION="cn-north-1",
        MEDIA_S3_ACCESS_KEY_ID="key",
        MEDIA_S3_SECRET_ACCESS_KEY="secret",
        MEDIA_S3_PREFIX="lanxian",
    )
    assert storage == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "lanxian-media",
        "endpoint": "http://127.0.0.1:9000",
        "region": "cn-north-1",
        "location": "lanxian",
        "signed": True,
        "overwrite": False,
    }


def test_without_a_bucket_uploads_go_to_the_media_directory(tmp_path):
    storage = _storage(MEDIA_S3_BUCKET="", MEDIA_ROOT=str(tmp_path))
    assert storage["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert storage["location"] == str(tmp_path)
