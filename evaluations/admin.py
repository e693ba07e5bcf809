"""Read-only admin views of the assessment workflow: changes go through the pages, which keep
the history; the archive is immutable."""

from django.contrib import admin

from evaluations.models import Appeal, ArchivedNotice, Assessment, Notice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["branch", "year", "period", "status", "meeting_date", "approved_at"]
    list_filter = ["year", "period", "status", "branch__township"]
    search_fields = ["branch__name"]
    list_select_related = ["branch"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "start_date", "end_date"]
    list_filter = ["status", "branch__township"]
    search_fields = ["title"]
    exclude = ["rows"]


@admin.register(ArchivedNotice)
class ArchivedNoticeAdmin(ReadOnlyAdmin):
    list_display = ["branch", "year", "period", "archived_at", "content_hash"]
    list_filter = ["year", "period", "branch__township"]
    exclude = ["snapshot"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["member", "year", "received_on", "status", "decided_on"]
    list_filter = ["year", "status"]
