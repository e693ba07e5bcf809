"""Setting up shops and their shopkeepers (county staff, in the admin); the entries themselves
are append-only and read-only here."""

from django.contrib import admin

from rewards.models import ExchangeLimit, Goods, Shop, Shopkeeper


class ShopkeeperInline(admin.TabularInline):
    model = Shopkeeper
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "township", "active"]
    list_filter = ["township"]
    filter_horizontal = ["branches"]
    inlines = [ShopkeeperInline]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Goods)
class GoodsAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "price", "shop", "active"]
    list_filter = ["shop"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeLimit)
class ExchangeLimitAdmin(admin.ModelAdmin):
    list_display = ["township", "max_per_bonus_point", "max_excellent", "max_qualified"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
