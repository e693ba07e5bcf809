"""Chain the ledger and the status logs as they stand (core.chain), and record each branch's last
closed month (members.Branch.closed_through). The hashed fields are listed here as they were when
the chains were added, so that this migration keeps meaning the same thing later."""

from django.db import migrations
from django.db.models import Max

from core.chain import rechain

ENTRY_FIELDS = (
    "member",
    "branch",
    "year",
    "month",
    "kind",
    "points",
    "item",
    "rule_set",
    "declaration",
    "occurred_on",
    "reason",
    "created_by",
    "created_at",
)
LOG_FIELDS = ("from_status", "to_status", "action", "reason", "by", "at")


def forwards(apps, schema_editor):
    Branch = apps.get_model("members", "Branch")
    BranchMonth = apps.get_model("scoring", "BranchMonth")
    last_closed = (
        BranchMonth.objects.filter(status="closed")
        .values("branch_id")
        .annotate(year=Max("year"))
        .values_list("branch_id", "year")
    )
    for branch_id, year in last_closed:
        month = (
            BranchMonth.objects.filter(branch_id=branch_id, year=year, status="closed")
            .aggregate(m=Max("month"))["m"]
        )
        Branch.objects.filter(pk=branch_id).update(
            closed_through=f"{year:04d}-{month:02d}-01"
        )

    PointsEntry = apps.get_model("scoring", "PointsEntry")
    rechain(
        PointsEntry,
        PointsEntry.objects.order_by("created_at", "pk").iterator(chunk_size=2000),
        chain=lambda row: f"scoring.pointsentry:{row.branch_id}",
        fields=ENTRY_FIELDS,
    )
    BranchMonthLog = apps.get_model("scoring", "BranchMonthLog")
    rechain(
        BranchMonthLog,
        BranchMonthLog.objects.select_related("branch_month").order_by("at", "pk").iterator(),
        chain=lambda row: f"scoring.branchmonthlog:{row.branch_month.branch_id}",
        fields=("branch_month", *LOG_FIELDS),
    )
    DeclarationLog = apps.get_model("scoring", "DeclarationLog")
    rechain(
        DeclarationLog,
        DeclarationLog.objects.select_related("declaration")
        .order_by("at", "pk")
        .iterator(chunk_size=2000),
        chain=lambda row: f"scoring.declarationlog:{row.declaration.branch_id}",
        fields=("declaration", *LOG_FIELDS, "points"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("scoring", "0002_chain_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
