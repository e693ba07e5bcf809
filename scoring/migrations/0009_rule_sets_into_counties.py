"""Rule sets made while they were database-wide become the county's (DOMAIN §3.8).

* No county in the database: the rule sets stay without one — templates.
* One county: they are all that county's.
* Several: the first county (lowest id) keeps the rows; every other county gets a copy of each
  version (its categories and county items) and its branches' months, adoptions (with the items
  they switch off), own items, declarations and assessments are pointed at the copy.

Ledger lines (PointsEntry) are append-only and their keyed hash covers `rule_set` and `item`, so
they keep pointing at the rows they were written with; the copy has the same numbers, and the
figures read the version from the month (BranchMonth.rule_set), which is repointed. A copy has no
log rows of its own (the log is a hash chain too): its publication is its original's.
"""

from django.db import migrations

RULESET_FIELDS = [
    "year",
    "version",
    "title",
    "status",
    "appraisal_max",
    "weight_excellent",
    "weight_qualified",
    "weight_basic",
    "weight_unqualified",
    "excellent_quota_numerator",
    "excellent_quota_denominator",
    "notice_days",
    "notes",
    "created_at",
    "published_at",
    "published_by_id",
]
CATEGORY_FIELDS = ["category", "base_score", "excellent_min", "qualified_min", "basic_min"]
ITEM_FIELDS = [
    "kind",
    "code",
    "name",
    "deduction_class",
    "points_min",
    "points_max",
    "unit",
    "not_for_categories",
    "position",
]


def _copy(row, fields, **extra):
    return type(row)(**{field: getattr(row, field) for field in fields}, **extra)


def put_rule_sets_into_counties(apps, schema_editor):
    County = apps.get_model("members", "County")
    Branch = apps.get_model("members", "Branch")
    RuleSet = apps.get_model("scoring", "RuleSet")
    CategoryRule = apps.get_model("scoring", "CategoryRule")
    RuleItem = apps.get_model("scoring", "RuleItem")
    BranchAdoption = apps.get_model("scoring", "BranchAdoption")
    BranchMonth = apps.get_model("scoring", "BranchMonth")
    Declaration = apps.get_model("scoring", "Declaration")
    Assessment = apps.get_model("evaluations", "Assessment")
    Disabled = BranchAdoption.disabled_items.through

    counties = list(County.objects.order_by("pk").values_list("pk", flat=True))
    originals = list(RuleSet.objects.filter(county__isnull=True).order_by("year", "version"))
    if not counties or not originals:
        return
    first, others = counties[0], counties[1:]
    for county_id in others:
        copies: dict[int, int] = {}  # original rule set → its copy
        items: dict[int, int] = {}  # original county item → its copy
        for original in originals:
            copy = _copy(original, RULESET_FIELDS, county_id=county_id)
            copy.save()
            copies[original.pk] = copy.pk
            CategoryRule.objects.bulk_create(
                _copy(rule, CATEGORY_FIELDS, rule_set_id=copy.pk)
                for rule in CategoryRule.objects.filter(rule_set=original)
            )
            county_items = list(RuleItem.objects.filter(rule_set=original, branch__isnull=True))
            made = RuleItem.objects.bulk_create(
                _copy(item, ITEM_FIELDS, rule_set_id=copy.pk) for item in county_items
            )
            if any(item.pk is None for item in made):  # backends that return no ids
                made = list(RuleItem.objects.filter(rule_set_id=copy.pk).order_by("pk"))
            items.update(zip((item.pk for item in county_items), (m.pk for m in made)))
        for original in originals:
            if original.based_on_id in copies:
                RuleSet.objects.filter(pk=copies[original.pk]).update(
                    based_on_id=copies[original.based_on_id]
                )

        branches = Branch.objects.filter(township__county_id=county_id)
        # The branches' own items move to the copy (the ledger refers to them by id only).
        for item in RuleItem.objects.filter(rule_set__in=copies, branch__in=branches):
            item.rule_set_id = copies[item.rule_set_id]
            item.parent_id = items.get(item.parent_id, item.parent_id)
            item.save(update_fields=["rule_set", "parent"])
        for original_id, copy_id in copies.items():
            here = {"branch__in": branches, "rule_set_id": original_id}
            BranchMonth.objects.filter(**here).update(rule_set_id=copy_id)
            BranchAdoption.objects.filter(**here).update(rule_set_id=copy_id)
            Assessment.objects.filter(**here).update(rule_set_id=copy_id)
        adoptions = BranchAdoption.objects.filter(branch__in=branches)
        for row in Disabled.objects.filter(branchadoption__in=adoptions, ruleitem_id__in=items):
            row.ruleitem_id = items[row.ruleitem_id]
            row.save(update_fields=["ruleitem"])
        declared = Declaration.objects.filter(branch__in=branches, item_id__in=items)
        for item_id in set(declared.values_list("item_id", flat=True)):
            declared.filter(item_id=item_id).update(item_id=items[item_id])
    RuleSet.objects.filter(pk__in=[r.pk for r in originals]).update(county_id=first)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0008_rule_sets_per_county"),
        ("evaluations", "0005_bounds_and_lengths"),
    ]

    operations = [
        migrations.RunPython(put_rule_sets_into_counties, migrations.RunPython.noop),
    ]
