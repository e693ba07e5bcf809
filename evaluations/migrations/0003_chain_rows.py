"""Chain the status logs and the archive as they stand (core.chain). An archived notice's
content hash becomes the keyed hash of its snapshot. The hashed fields are listed here as they
were when the chains were added."""

from django.db import migrations

from core.chain import canonical_json, keyed_hash, rechain

LOG_FIELDS = ("from_status", "to_status", "action", "reason", "by", "at")
ARCHIVE_FIELDS = (
    "notice",
    "branch",
    "year",
    "period",
    "snapshot",
    "content_hash",
    "archived_at",
    "archived_by",
)


def forwards(apps, schema_editor):
    AssessmentLog = apps.get_model("evaluations", "AssessmentLog")
    rechain(
        AssessmentLog,
        AssessmentLog.objects.select_related("assessment").order_by("at", "pk").iterator(),
        chain=lambda row: f"evaluations.assessmentlog:{row.assessment.branch_id}",
        fields=("assessment", *LOG_FIELDS),
    )
    NoticeLog = apps.get_model("evaluations", "NoticeLog")
    rechain(
        NoticeLog,
        NoticeLog.objects.select_related("notice").order_by("at", "pk").iterator(),
        chain=lambda row: f"evaluations.noticelog:{row.notice.branch_id}",
        fields=("notice", *LOG_FIELDS),
    )
    ArchivedNotice = apps.get_model("evaluations", "ArchivedNotice")
    for archive in ArchivedNotice.objects.all():
        digest = keyed_hash(canonical_json(archive.snapshot))
        ArchivedNotice.objects.filter(pk=archive.pk).update(content_hash=digest)
    rechain(
        ArchivedNotice,
        ArchivedNotice.objects.order_by("archived_at", "pk").iterator(),
        chain=lambda row: f"evaluations.archivednotice:{row.branch_id}",
        fields=ARCHIVE_FIELDS,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("evaluations", "0002_chain_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
