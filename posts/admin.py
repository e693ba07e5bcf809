"""The county edits the starter list of posts that branches copy (岗位参考清单). Everything else
of the posts app is the branches' work, done on its pages, not in the admin."""

from __future__ import annotations

from django.contrib import admin

from posts.models import PostTemplate


@admin.register(PostTemplate)
class PostTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "duties", "position", "active")
    list_editable = ("position", "active")
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        # A post that branches copied keeps its own name and duties, so nothing depends on a
        # template row; still, a county switches a template off rather than losing it.
        return False
