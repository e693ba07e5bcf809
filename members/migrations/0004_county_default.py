"""A database made before counties existed is one county: COUNTY_NAME (岚县 by default) gets
every township and every county admin. A fresh database gets nothing here."""

from django.conf import settings
from django.db import migrations


def assign_default_county(apps, schema_editor):
    County = apps.get_model("members", "County")
    Township = apps.get_model("members", "Township")
    Official = apps.get_model("members", "Official")
    county_admins = Official.objects.filter(role="county", county__isnull=True)
    if not Township.objects.filter(county__isnull=True).exists() and not county_admins.exists():
        return
    county, _ = County.objects.get_or_create(name=settings.COUNTY_NAME)
    Township.objects.filter(county__isnull=True).update(county=county)
    county_admins.update(county=county)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_county"),
    ]

    operations = [
        migrations.RunPython(assign_default_county, migrations.RunPython.noop),
    ]
