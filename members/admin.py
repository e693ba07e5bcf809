from django.contrib import admin

from members.models import (
    Branch,
    CardLink,
    CategoryChange,
    City,
    County,
    Member,
    Official,
    RollPeriod,
    Township,
)


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "position"]
    list_editable = ["position"]
    list_filter = ["city"]


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "county", "position"]
    list_editable = ["position"]
    list_filter = ["county"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "township", "kind", "position"]
    list_filter = ["township", "kind"]
    search_fields = ["name"]


class CategoryChangeInline(admin.TabularInline):
    model = CategoryChange
    extra = 0
    can_delete = False
    readonly_fields = ["category", "effective_from", "reason", "created_by", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class RollPeriodInline(admin.TabularInline):
    model = RollPeriod
    extra = 0
    can_delete = False
    readonly_fields = ["branch", "start", "end", "start_reason", "end_reason", "created_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Read-mostly: roster changes go through the branch pages, which keep the history."""

    list_display = ["name", "branch", "gender", "status", "card_number"]
    list_filter = ["status", "branch__township"]
    search_fields = ["name", "card_number"]
    list_select_related = ["branch"]
    readonly_fields = ["card_number", "branch", "status", "status_date"]
    inlines = [CategoryChangeInline, RollPeriodInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "city", "county", "township", "branch"]
    list_filter = ["role", "city", "county", "township"]
    search_fields = ["user__username", "user__first_name", "branch__name"]
    autocomplete_fields = ["branch"]


@admin.register(CardLink)
class CardLinkAdmin(admin.ModelAdmin):
    """Read-only: links are issued, reissued and revoked by the branch secretary."""

    list_display = ["member", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["member__name"]
    readonly_fields = ["member", "created_by", "created_at", "revoked_at", "revoked_by"]
    exclude = ["token"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
