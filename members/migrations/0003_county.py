"""Counties above the townships: the tables and nullable links (filled by 0004)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_card_link"),
    ]

    operations = [
        migrations.CreateModel(
            name="County",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40, unique=True, verbose_name="县（市、区）")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
            ],
            options={
                "verbose_name": "县（市、区）",
                "verbose_name_plural": "县（市、区）",
                "ordering": ["position", "name"],
            },
        ),
        migrations.AddField(
            model_name="township",
            name="county",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="townships",
                to="members.county",
                verbose_name="县（市、区）",
            ),
        ),
        migrations.AddField(
            model_name="official",
            name="county",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="members.county",
                verbose_name="县（市、区）",
            ),
        ),
    ]
