"""The county's configuration in the Django admin: rule sets (细则), and read-only views of the
branches' months, declarations and the points ledger.

A published rule set is never edited in place (DOMAIN.md §4 step 1): its change page is read-only
and a change is made by copying it into a new draft version. A county admin sees their own
county's rule sets and the templates (read-only; "copy" makes a draft of their own county), never
another county's: its pages answer 404, like every other page of another county. The ledger is
append-only: not even the admin may add, change or delete a line.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404

from members.models import Category
from scoring import services
from scoring.models import (
    BranchAdoption,
    BranchMonth,
    CategoryRule,
    Declaration,
    PointsEntry,
    RuleItem,
    RuleSet,
)

# --- Rule sets --------------------------------------------------------------------------------


class DraftOnlyInline(admin.TabularInline):
    """Rows of a rule set: editable while the rule set is a draft, read-only once published.

    `obj` in these permission methods is the parent rule set (None on the "add" page).
    """

    extra = 0

    @staticmethod
    def _editable(obj) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class CategoryRuleInline(DraftOnlyInline):
    model = CategoryRule
    fields = ["category", "base_score", "excellent_min", "qualified_min", "basic_min"]
    max_num = len(Category.choices)


class CountyItemFormSet(forms.BaseInlineFormSet):
    """County item codes are unique within a rule set. The database says so too, but its
    constraint has a condition on `branch` (not on the form), so the form checks it here."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            code = (form.cleaned_data.get("code") or "").strip()
            if not code:
                continue
            if code in seen:
                form.add_error("code", f"编号 {code} 重复。")
            seen.add(code)


class CountyItemInline(DraftOnlyInline):
    """The county's items only; a branch's own items are the branch's (see rule_views)."""

    model = RuleItem
    formset = CountyItemFormSet
    fk_name = "rule_set"
    fields = [
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
    verbose_name = verbose_name_plural = "县级积分项目"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(branch__isnull=True)


RULESET_ALWAYS_READONLY = ["status", "based_on", "published_at", "published_by", "created_at"]


def _county_official(request):
    """The county admin behind the request, if it is one (even with superuser rights, a county
    admin works on their own county's rules only)."""
    official = getattr(request.user, "official", None)
    return official if official is not None and official.is_county else None


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "county",
        "title",
        "status",
        "county_item_count",
        "adoption_count",
        "published_at",
    ]
    list_filter = ["year", "status"]
    actions = ["publish_drafts", "copy_as_new_version"]
    inlines = [CategoryRuleInline, CountyItemInline]
    fieldsets = [
        (None, {"fields": ["county", "year", "version", "title", "status", "based_on", "notes"]}),
        (
            "民主评议、优秀比例与公示",
            {
                "fields": [
                    "appraisal_max",
                    ("weight_excellent", "weight_qualified", "weight_basic", "weight_unqualified"),
                    ("excellent_quota_numerator", "excellent_quota_denominator"),
                    "notice_days",
                ]
            },
        ),
        ("发布", {"fields": ["published_at", "published_by", "created_at"]}),
    ]

    def get_queryset(self, request):
        rule_sets = super().get_queryset(request).select_related("county")
        official = _county_official(request)
        if official is not None:
            rule_sets = rule_sets.filter(Q(county=official.county_id) | Q(county__isnull=True))
        return rule_sets.annotate(
            _county_items=Count("items", filter=Q(items__branch__isnull=True), distinct=True),
            _adoptions=Count("adoptions", distinct=True),
        )

    @admin.display(description="县级项目数")
    def county_item_count(self, obj):
        return obj._county_items

    @admin.display(description="已采用的支部数")
    def adoption_count(self, obj):
        return obj._adoptions

    # A published rule set is read-only: every field, every inline row, and no delete.

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another county's rule set (left out by get_queryset) answers 404, on GET and POST.
        raise Http404

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return [
                field.name
                for field in RuleSet._meta.concrete_fields
                if field.name != RuleSet._meta.pk.name
            ]
        if _county_official(request) is not None:
            return [*RULESET_ALWAYS_READONLY, "county"]
        return RULESET_ALWAYS_READONLY

    def _editable(self, request, obj) -> bool:
        """Drafts only; a template only by a superuser who is not a county admin."""
        if obj is None:
            return True
        return obj.is_draft and not (obj.is_template and _county_official(request) is not None)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        official = _county_official(request)
        if not change and official is not None:
            obj.county = official.county  # a county admin adds to their own county's rules
        super().save_model(request, obj, form, change)

    def get_actions(self, request):
        # Bulk delete would not ask each row whether it is published.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and not obj.is_draft:
            messages.info(
                request,
                "已发布的细则不能修改。如需调整，请在列表中勾选它，执行“复制为新版本（草稿）”，"
                "修改草稿后再发布。",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="发布所选草稿", permissions=["change"])
    def publish_drafts(self, request, queryset):
        for rule_set in queryset.order_by("year", "version"):
            if not rule_set.is_draft:
                self.message_user(
                    request, f"{rule_set} 已经发布，不能重复发布。", level=messages.WARNING
                )
                continue
            categories = set(rule_set.category_rules.values_list("category", flat=True))
            missing = [c for c in Category.values if c not in categories]
            if missing:
                self.message_user(
                    request,
                    f"{rule_set} 缺少 {'、'.join(missing)} 类的基础积分和等次线，未发布。",
                    level=messages.ERROR,
                )
                continue
            try:
                services.ruleset_publish(rule_set=rule_set, by=request.user)
            except PermissionDenied as error:
                self.message_user(request, f"{rule_set}：{error}", messages.WARNING)
            except ValidationError as error:
                self.message_user(request, f"{rule_set}：{error.messages[0]}", messages.WARNING)
            else:
                self.message_user(
                    request,
                    f"已发布 {rule_set.year}年 第{rule_set.version}版，"
                    "此后新开的月份按此版本执行。",
                    level=messages.SUCCESS,
                )

    @admin.action(description="复制为新版本（草稿）", permissions=["add"])
    def copy_as_new_version(self, request, queryset):
        official = _county_official(request)
        for rule_set in queryset.order_by("year", "version"):
            try:
                if rule_set.is_template and official is not None:
                    copy = services.ruleset_copy(
                        rule_set=rule_set, county=official.county, by=request.user
                    )
                else:
                    copy = services.ruleset_new_version(rule_set=rule_set, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                text = error.messages[0] if isinstance(error, ValidationError) else error
                self.message_user(request, f"{rule_set}：{text}", messages.WARNING)
                continue
            self.message_user(
                request,
                f"已将 {rule_set} 复制为 {copy.county or '模板'} 第{copy.version}版（草稿），"
                "修改后请发布。",
                level=messages.SUCCESS,
            )


# --- Read-only views of what the branches recorded ---------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the branch pages and their services; the admin only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BranchAdoption)
class BranchAdoptionAdmin(ReadOnlyAdmin):
    list_display = ["branch", "rule_set", "adopted_on", "adopted_by", "created_at"]
    list_filter = ["rule_set__year", "branch__township"]
    search_fields = ["branch__name"]
    list_select_related = ["branch", "rule_set", "adopted_by"]


@admin.register(BranchMonth)
class BranchMonthAdmin(ReadOnlyAdmin):
    list_display = ["branch", "year", "month", "status", "meeting_date", "rule_set", "closed_by"]
    list_filter = ["year", "status", "branch__township"]
    search_fields = ["branch__name"]
    list_select_related = ["branch", "rule_set", "closed_by"]


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "branch",
        "year",
        "month",
        "item",
        "points_claimed",
        "points_approved",
        "status",
    ]
    list_filter = ["year", "status", "branch__township"]
    search_fields = ["member__name", "branch__name"]
    list_select_related = ["member", "branch", "item"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: no add, no change, no delete — for anyone."""

    list_display = [
        "member",
        "branch",
        "year",
        "month",
        "kind",
        "points",
        "item",
        "reason",
        "created_by",
        "created_at",
    ]
    list_filter = ["year", "kind", "branch__township"]
    search_fields = ["member__name"]
    list_select_related = ["member", "branch", "item", "created_by"]
