"""`manage.py backup` and `manage.py restore`: a round trip on the test database of whichever
backend runs the suite (SQLite: the backup API; PostgreSQL: pg_dump / pg_restore).

The round trip backs up, empties the database (`flush`) and MEDIA_ROOT, restores, and compares
every table's row count, the sum of the ledger's points and the photo's bytes. On PostgreSQL the
restore goes into the same test database with `pg_restore --clean --single-transaction`: the
dump was taken from that database moments before, so its schema is the one the migrations made,
and a failed restore changes nothing. The tests are transactional (no test transaction may hold
the tables pg_restore drops), and pytest-django flushes the database after each.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from PIL import Image

from core import backup
from scoring import services
from scoring.models import Declaration, PointsEntry, RuleItem
from tests.rules_helpers import load_default_rules

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2026
NAME = re.compile(r"^lanxian-backup-\d{4}-\d{2}-\d{2}T\d{4}(-\d+)?\.tar\.gz$")


def row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[f"{model._meta.app_label}.{model.__name__}"] = model._base_manager.count()
    return counts


def points_sum() -> Decimal:
    return PointsEntry.objects.aggregate(total=Sum("points"))["total"]


@pytest.fixture
def busy_county(county):
    """A month with an approved declaration (with a photo), a deduction, the month closed and a
    correction: ledger rows of every kind, and a file in MEDIA_ROOT."""
    load_default_rules(year=YEAR)
    stream = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 140, 60)).save(stream, "PNG")
    response = county.client("secretary").post(
        reverse("declaration_create", args=[county.branch.pk, YEAR, 3]),
        {
            "declaration-member": county.member.name,
            "declaration-item": "G03",
            "declaration-occurred_on": "2026-03-12",
            "declaration-description": "人居环境整治",
            "declaration-points": "6",
            "declaration-photo": SimpleUploadedFile("现场.png", stream.getvalue(), "image/png"),
        },
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    services.declaration_approve(declaration=declaration, by=county.secretary_user)
    services.deduction_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=3,
        item=RuleItem.objects.get(code="K04", branch__isnull=True, rule_set__county__name="岚县"),
        occurred_on=datetime.date(YEAR, 3, 5),
        reason="党费未按时交纳",
        by=county.secretary_user,
    )
    branch_month = services.month_get_or_open(branch=county.branch, year=YEAR, month=3)
    services.month_close(
        branch_month=branch_month,
        meeting_date=datetime.date(YEAR, 3, 28),
        by=county.secretary_user,
    )
    services.correction_record(
        member=county.member,
        branch=county.branch,
        year=YEAR,
        month=3,
        points=Decimal("-1.25"),
        reason="支委会复核",
        by=county.secretary_user,
    )
    # A roster file waiting for its confirm: never part of a backup.
    default_storage.save("roster-imports/pending.xlsx", io.BytesIO(b"ID numbers"))
    county.declaration = declaration
    return county


def run_backup(output: Path) -> Path:
    out = io.StringIO()
    call_command("backup", output=str(output), stdout=out)
    (archive,) = output.iterdir()
    assert str(archive) in out.getvalue()
    return archive


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    assert not PointsEntry.objects.exists()


def test_backup_then_restore_into_an_emptied_database_brings_everything_back(busy_county, tmp_path):
    counts, total = row_counts(), points_sum()
    assert total == Decimal("2.75")  # +6 − 2 − 1.25
    assert counts["members.Member"] == 4 and counts["scoring.PointsEntry"] == 3
    photo_name = busy_county.declaration.photo.name
    photo = (Path(settings.MEDIA_ROOT) / photo_name).read_bytes()

    archive = run_backup(tmp_path / "backups")
    assert NAME.match(archive.name), archive.name
    assert archive.stat().st_mode & 0o077 == 0  # readable by the owner only

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        root = archive.name.removesuffix(".tar.gz")
        manifest = json.load(tar.extractfile(f"{root}/manifest.json"))
    assert manifest["format_version"] == 1
    assert manifest["database"]["vendor"] == connection.vendor
    assert f"{root}/{manifest['database']['file']}" in names
    assert f"{root}/media/{photo_name}" in names
    assert not any("roster-imports" in name for name in names)
    assert manifest["row_counts"]["scoring.PointsEntry"] == 3
    assert manifest["row_counts"]["members.Member"] == 4
    assert "0001_initial" in manifest["migrations"]["members"]
    assert manifest["media"]["files"] == 1

    wipe()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "match the manifest" in out.getvalue()

    assert row_counts() == counts
    assert points_sum() == total
    assert (Path(settings.MEDIA_ROOT) / photo_name).read_bytes() == photo
    # The hash chains came back whole: verify_ledger passes on the restored database.
    verify = io.StringIO()
    call_command("verify_ledger", stdout=verify)
    assert "核验通过" in verify.getvalue()
    # The restored data works through the pages.
    declaration = Declaration.objects.get()
    page = busy_county.client("assessor").get(reverse("declaration_photo", args=[declaration.pk]))
    assert page.status_code == 200 and b"".join(page.streaming_content) == photo


@pytest.fixture
def media_in_a_bucket(settings):
    """Uploads in a store that is not a directory (as an S3 bucket is): Django's in-memory one."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_uploads_in_a_bucket_are_backed_up_and_restored_through_the_storage(
    media_in_a_bucket, busy_county, tmp_path
):
    photo_name = busy_county.declaration.photo.name
    with default_storage.open(photo_name, "rb") as stored:
        photo = stored.read()
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing went to the local directory

    archive = run_backup(tmp_path / "backups")
    root = archive.name.removesuffix(".tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        assert tar.extractfile(f"{root}/media/{photo_name}").read() == photo
    assert not any("roster-imports" in name for name in names)

    wipe()
    default_storage.delete(photo_name)
    call_command("restore", str(archive), stdout=io.StringIO())
    with default_storage.open(photo_name, "rb") as stored:
        assert stored.read() == photo
    served = busy_county.client("secretary").get(
        reverse("declaration_photo", args=[busy_county.declaration.pk])
    )
    assert b"".join(served.streaming_content) == photo


def test_restore_refuses_a_database_with_data_unless_forced(busy_county, tmp_path):
    archive = run_backup(tmp_path / "backups")
    counts, total = row_counts(), points_sum()
    with pytest.raises(CommandError, match="目标数据库中已有数据"):
        call_command("restore", str(archive))
    assert row_counts() == counts

    # Forced over changed data, the archive's state comes back exactly.
    services.correction_record(
        member=busy_county.member,
        branch=busy_county.branch,
        year=YEAR,
        month=3,
        points=Decimal("50"),
        reason="误登记",
        by=busy_county.secretary_user,
    )
    assert points_sum() == total + 50
    call_command("restore", str(archive), force=True, stdout=io.StringIO())
    assert points_sum() == total
    assert row_counts() == counts


def test_two_backups_in_the_same_minute_are_both_kept(county, tmp_path):
    output = tmp_path / "backups"
    call_command("backup", output=str(output), stdout=io.StringIO())
    call_command("backup", output=str(output), stdout=io.StringIO())
    names = sorted(path.name for path in output.iterdir())
    assert len(names) == 2 and all(NAME.match(name) for name in names)
    assert not any(name.endswith(".partial") for name in names)


# --- archives that must not be restored -------------------------------------------------------


def rewrite(archive: Path, target: Path, *, manifest=None, extra: dict | None = None) -> Path:
    """A copy of ``archive`` with its manifest changed and/or extra members added."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("/manifest.json") and manifest is not None:
                content = json.loads(data)
                manifest(content)
                data = json.dumps(content).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data) if data is not None else None)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def emptied_archive(county, tmp_path):
    archive = run_backup(tmp_path / "backups")
    wipe()
    return archive


def test_an_archive_that_would_write_outside_its_folder_is_refused(emptied_archive, tmp_path):
    root = emptied_archive.name.removesuffix(".tar.gz")
    bad = rewrite(emptied_archive, tmp_path / "bad.tar.gz", extra={f"{root}/../evil": b"x"})
    with pytest.raises(CommandError, match="不安全的条目"):
        call_command("restore", str(bad))
    assert not (tmp_path / "evil").exists()
    assert (
        not PointsEntry.objects.exists() and not apps.get_model("members.Member").objects.exists()
    )


def test_an_archive_of_the_other_database_vendor_is_refused(emptied_archive, tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def change(manifest):
        manifest["database"]["vendor"] = other

    bad = rewrite(emptied_archive, tmp_path / "other.tar.gz", manifest=change)
    with pytest.raises(CommandError, match="只能恢复到同一种数据库"):
        call_command("restore", str(bad))


def test_an_archive_from_a_newer_version_of_the_software_is_refused(emptied_archive, tmp_path):
    def change(manifest):
        manifest["migrations"]["members"].append("9999_from_the_future")

    bad = rewrite(emptied_archive, tmp_path / "newer.tar.gz", manifest=change)
    with pytest.raises(CommandError, match="较新版本"):
        call_command("restore", str(bad))


def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
    stray = tmp_path / "stray.tar.gz"
    with tarfile.open(stray, "w:gz") as tar:
        info = tarfile.TarInfo("something/readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(CommandError, match=r"manifest\.json"):
        call_command("restore", str(stray))


def test_the_backup_module_imports_no_project_app():
    source = Path(backup.__file__).read_text()
    for app in ("members", "scoring", "evaluations"):
        assert f"from {app}" not in source and f"import {app}" not in source
