"""Backing up and restoring the whole installation: the database and the uploaded files.

One archive, ``lanxian-backup-2026-11-28T2300.tar.gz``, holds under one folder of that name:

* ``manifest.json`` — format version, when, the database vendor, Django's migration state and the
  row count of every table, all read from the same snapshot as the copy itself;
* ``database/db.sqlite3`` (SQLite, copied with the online backup API, so a copy taken while the
  app writes is still consistent) or ``database/postgresql.dump`` (``pg_dump -Fc``, run on a
  snapshot exported from the transaction that counted the rows);
* ``media/…`` — the uploads (photos), read through the storage API (MEDIA_ROOT or the S3
  bucket), without ``roster-imports/``: files waiting two
  hours at most for a confirm, full of ID numbers and useless after a restore.

A restore goes into an empty database (refused if it has data, unless forced): SQLite through the
backup API again (copying the file over a live WAL database can be undone by a stale ``-wal``),
PostgreSQL with ``pg_restore --clean --if-exists --no-owner --single-transaction``. Then every
table's row count is compared with the manifest.

Infrastructure: no project app is imported; tables come from ``django.apps``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

__all__ = [
    "FORMAT_VERSION",
    "BackupError",
    "RestoreResult",
    "create_backup",
    "read_manifest",
    "restore_backup",
]

FORMAT_VERSION = 1
PREFIX = "lanxian-backup-"
SKIPPED_MEDIA = ("roster-imports",)
# Rows that `migrate` itself creates: a freshly migrated database still counts as empty.
CREATED_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}
SQLITE_FILE = "database/db.sqlite3"
POSTGRES_FILE = "database/postgresql.dump"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


# --- what is in the database ------------------------------------------------------------------


def _tables() -> dict[str, str]:
    """``"app_label.Model"`` → table name, for every concrete table Django manages."""
    tables: dict[str, str] = {}
    seen: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        tables[f"{meta.app_label}.{model.__name__}"] = meta.db_table
    return dict(sorted(tables.items()))


def _state(execute, quote, existing: set[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(row count per model, applied migrations per app) through ``execute(sql) -> rows``."""
    counts = {
        label: execute(f"SELECT COUNT(*) FROM {quote(table)}")[0][0]
        for label, table in _tables().items()
        if table in existing
    }
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in existing:
        for app, name in execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    return counts, migrations


def _sqlite_state(raw: sqlite3.Connection) -> tuple[dict[str, int], dict[str, list[str]]]:
    existing = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return _state(lambda sql: raw.execute(sql).fetchall(), lambda name: f'"{name}"', existing)


def _django_state(connection) -> tuple[dict[str, int], dict[str, list[str]]]:
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))

        def execute(sql):
            cursor.execute(sql)
            return cursor.fetchall()

        return _state(execute, connection.ops.quote_name, existing)


def has_data(alias: str = "default") -> dict[str, int]:
    """The tables with rows in the target database (migrate's own rows left out)."""
    counts, _migrations = _django_state(connections[alias])
    return {
        label: count for label, count in counts.items() if count and label not in CREATED_BY_MIGRATE
    }


# --- PostgreSQL client programs ---------------------------------------------------------------


def _pg_command(program: str, settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """The program with the connection's host, port, user and database, and an environment
    carrying the password (never on the command line, where `ps` shows it)."""
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"找不到 {program}：请安装 PostgreSQL 客户端"
            "（Debian：apt-get install postgresql-client）。"
        )
    command = [path, "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command += [option, str(settings_dict[key])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return command, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()[-2000:]
        raise BackupError(
            f"{what}失败（{Path(command[0]).name} 退出码 {completed.returncode}）：{detail}"
        )


# --- backup -----------------------------------------------------------------------------------


def _archive_path(output: Path, now: datetime.datetime) -> Path:
    stem = f"{PREFIX}{timezone.localtime(now):%Y-%m-%dT%H%M}"
    path = output / f"{stem}.tar.gz"
    number = 2
    while path.exists():  # two backups in one minute: keep both
        path = output / f"{stem}-{number}.tar.gz"
        number += 1
    return path


def _backup_sqlite(connection, target: Path) -> tuple[dict, dict]:
    connection.ensure_connection()
    source = connection.connection  # the sqlite3.Connection Django holds (a file or in memory)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # page by page, a consistent copy even while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _sqlite_state(copy)
    finally:
        copy.close()


def _backup_postgresql(connection, target: Path) -> tuple[dict, dict]:
    command, env = _pg_command("pg_dump", connection.settings_dict)
    # The counts and the dump see the same snapshot: the rows counted are the rows dumped.
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        state = _django_state(connection)
        _run(
            [
                *command,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            env,
            "导出 PostgreSQL 数据库",
        )
    return state


def _media_files(storage):
    """Every stored upload's name (``a/b.jpg``), read through the storage API so a bucket is
    backed up like a directory. Symbolic links in a local MEDIA_ROOT are skipped: the app
    never makes them, and following one could copy any file of the server into the archive."""
    local = isinstance(storage, FileSystemStorage)

    def walk(folder: str):
        try:
            directories, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in sorted(files):
            full = f"{folder}/{name}" if folder else name
            if local and Path(storage.path(full)).is_symlink():
                continue
            yield full
        for name in sorted(directories):
            full = f"{folder}/{name}" if folder else name
            if not folder and name in SKIPPED_MEDIA:
                continue
            if local and Path(storage.path(full)).is_symlink():
                continue
            yield from walk(full)

    yield from walk("")


def create_backup(output: Path, *, alias: str = "default") -> Path:
    """Write one archive into ``output`` (created if missing); return its path."""
    connection = connections[alias]
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库类型：{vendor}")
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份：请直接运行 manage.py backup。")
    output.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    archive = _archive_path(output, now)
    root = PurePosixPath(archive.name.removesuffix(".tar.gz"))
    with tempfile.TemporaryDirectory(prefix="lanxian-backup-") as work:
        if vendor == "sqlite":
            database_file = Path(work) / "db.sqlite3"
            counts, migrations = _backup_sqlite(connection, database_file)
            database_name = SQLITE_FILE
        else:
            database_file = Path(work) / "postgresql.dump"
            counts, migrations = _backup_postgresql(connection, database_file)
            database_name = POSTGRES_FILE
        media = [(name, default_storage.size(name)) for name in _media_files(default_storage)]
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": timezone.localtime(now).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "file": database_name},
            "django_version": django.get_version(),
            "migrations": migrations,
            "row_counts": counts,
            "media": {
                "files": len(media),
                "bytes": sum(size for _name, size in media),
            },
        }
        partial = archive.with_name(archive.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(str(root / "manifest.json"))
                info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(database_file, arcname=str(root / database_name), recursive=False)
                for name, size in media:
                    info = tarfile.TarInfo(str(root / "media" / name))
                    info.size, info.mtime, info.mode = size, int(now.timestamp()), 0o600
                    with default_storage.open(name, "rb") as stored:
                        tar.addfile(info, stored)
            os.chmod(partial, 0o600)  # ID numbers and phone numbers are inside
            partial.rename(archive)  # only a complete archive ever carries the final name
        finally:
            partial.unlink(missing_ok=True)
    return archive


# --- restore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    row_counts: dict[str, int]
    media_files: int
    pending_migrations: list[str]  # in the code but not in the archive: run `migrate`


def _safe_members(tar: tarfile.TarFile) -> tuple[str, list[tarfile.TarInfo]]:
    """The archive's root folder and its members, refusing anything that could write outside
    the extraction folder (absolute paths, "..", links, devices)."""
    members = tar.getmembers()
    roots = {PurePosixPath(member.name).parts[0] for member in members if member.name}
    if len(roots) != 1:
        raise BackupError("备份文件格式不正确：应只有一个顶层文件夹。")
    for member in members:
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"备份文件中有不安全的条目：{member.name}")
    return roots.pop(), members


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        root, _members = _safe_members(tar)
        try:
            handle = tar.extractfile(f"{root}/manifest.json")
        except KeyError:
            handle = None
        if handle is None:
            raise BackupError("备份文件中没有 manifest.json，不是本系统的备份。")
        manifest = json.load(handle)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"不认识的备份格式版本：{manifest.get('format_version')}")
    return manifest


def _check_migrations(connection, manifest: dict, *, force: bool) -> list[str]:
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_archive = {
        (app, name) for app, names in manifest.get("migrations", {}).items() for name in names
    }
    unknown = sorted(in_archive - on_disk)
    if unknown and not force:
        names = "、".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"备份来自较新版本的程序（本程序没有这些迁移：{names}）。请先升级程序再恢复，"
            "或加 --force 强行恢复。"
        )
    return sorted(f"{app}.{name}" for app, name in on_disk - in_archive)


def _restore_sqlite(connection, database_file: Path) -> None:
    connection.ensure_connection()
    target = connection.connection
    source = sqlite3.connect(database_file)
    try:
        source.backup(target)  # replaces every page of the live database, WAL and all
    finally:
        source.close()
    connection.close()  # Django reconnects: no cached state from before the restore


def _restore_postgresql(connection, dump: Path) -> None:
    settings_dict = dict(connection.settings_dict)
    command, env = _pg_command("pg_restore", settings_dict)
    connections.close_all()  # our own idle session must not hold anything the DROPs need
    _run(
        [
            *command,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        env,
        "恢复 PostgreSQL 数据库",
    )


def _restore_media(extracted: Path, storage) -> int:
    """Put the archive's files back under their own names, through the storage API."""
    count = 0
    if not extracted.is_dir():
        return 0
    for path in sorted(extracted.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(extracted).as_posix()
        if storage.exists(name):
            storage.delete(name)  # save() would otherwise pick a new name
        with path.open("rb") as handle:
            storage.save(name, File(handle))
        count += 1
    return count


def restore_backup(archive: Path, *, force: bool = False, alias: str = "default") -> RestoreResult:
    """Bring ``archive`` back into the (empty) database ``alias`` and the media storage."""
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复：请直接运行 manage.py restore。")
    manifest = read_manifest(archive)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"备份来自 {vendor} 数据库，当前配置的是 {connection.vendor}：只能恢复到同一种数据库。"
        )
    present = has_data(alias)
    if present and not force:
        sample = "、".join(f"{label}（{count} 行）" for label, count in list(present.items())[:3])
        raise BackupError(
            f"目标数据库中已有数据（{sample}…）。恢复只用于空数据库；"
            "确需覆盖现有数据，请加 --force。"
        )
    pending = _check_migrations(connection, manifest, force=force)
    with tempfile.TemporaryDirectory(prefix="lanxian-restore-") as work:
        with tarfile.open(archive, "r:gz") as tar:
            root, members = _safe_members(tar)
            tar.extractall(work, members=members, filter="data")
        base = Path(work) / root
        database_file = base / manifest["database"]["file"]
        if not database_file.is_file():
            raise BackupError("备份文件中没有数据库文件。")
        if vendor == "sqlite":
            _restore_sqlite(connection, database_file)
        else:
            _restore_postgresql(connection, database_file)
        media_files = _restore_media(base / "media", default_storage)
    counts, _migrations = _django_state(connections[alias])
    expected = manifest["row_counts"]
    wrong = {
        label: (expected[label], counts.get(label))
        for label in expected
        if counts.get(label) != expected[label]
    }
    if wrong:
        detail = "、".join(
            f"{label} 应为 {want} 行，实为 {got}" for label, (want, got) in wrong.items()
        )
        raise BackupError(f"恢复后的行数与备份不符：{detail}")
    return RestoreResult(
        manifest=manifest,
        row_counts=counts,
        media_files=media_files,
        pending_migrations=pending,
    )
