"""manage.py restore ARCHIVE [--force]: bring a backup back into an empty database."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup` into an EMPTY database (refused if it "
        "has data, unless --force) and MEDIA_ROOT, then check every table's row count."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="lanxian-backup-….tar.gz")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite a database that has data (everything in it is replaced)",
        )
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, archive, force, database, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"找不到备份文件：{path}")
        try:
            result = restore_backup(path, force=force, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        rows = sum(result.row_counts.values())
        self.stdout.write(
            f"restored {path.name} (made {manifest['created_at']}, "
            f"{manifest['database']['vendor']}): {len(result.row_counts)} tables, {rows} rows "
            f"match the manifest; {result.media_files} media files"
        )
        if result.pending_migrations:
            self.stdout.write(
                "the archive predates these migrations; run `manage.py migrate` now: "
                + ", ".join(result.pending_migrations)
            )
