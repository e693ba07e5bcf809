"""manage.py backup [--output DIR]: one dated archive of the database and the uploaded files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, create_backup, read_manifest


class Command(BaseCommand):
    help = (
        "Write lanxian-backup-<date>T<time>.tar.gz: a consistent copy of the database "
        "(SQLite backup API or pg_dump -Fc), MEDIA_ROOT and a manifest with row counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=None,
            help="folder for the archive (default: BACKUP_DIR, or backups/ beside manage.py)",
        )
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, output, database, **options):
        folder = Path(output) if output else Path(settings.BACKUP_DIR)
        try:
            archive = create_backup(folder, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = read_manifest(archive)
        rows = sum(manifest["row_counts"].values())
        size = archive.stat().st_size / 1024 / 1024
        self.stdout.write(
            f"{archive}\n"
            f"  {manifest['database']['vendor']}, {len(manifest['row_counts'])} tables, "
            f"{rows} rows, {manifest['media']['files']} media files, {size:.1f} MB"
        )
