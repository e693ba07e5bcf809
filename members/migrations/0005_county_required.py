"""Every township belongs to a county; a county admin is scoped to one."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_county_default"),
    ]

    operations = [
        migrations.AlterField(
            model_name="township",
            name="county",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="townships",
                to="members.county",
                verbose_name="县（市、区）",
            ),
        ),
        migrations.AlterField(
            model_name="township",
            name="name",
            field=models.CharField(max_length=40, verbose_name="乡镇"),
        ),
        migrations.AddConstraint(
            model_name="township",
            constraint=models.UniqueConstraint(
                fields=("county", "name"), name="township_unique_name"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="official",
            name="official_scope_matches_role",
        ),
        migrations.AddConstraint(
            model_name="official",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("branch__isnull", True),
                        ("county__isnull", False),
                        ("role", "county"),
                        ("township__isnull", True),
                    ),
                    models.Q(
                        ("branch__isnull", True),
                        ("county__isnull", True),
                        ("role", "township"),
                        ("township__isnull", False),
                    ),
                    models.Q(
                        ("branch__isnull", False),
                        ("county__isnull", True),
                        ("role__in", ["secretary", "assessor"]),
                        ("township__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="official_scope_matches_role",
            ),
        ),
    ]
