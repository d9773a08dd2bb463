from django.contrib import admin

from eldercare.core.admin import ReadOnlyAdmin

from .models import Assessment, AssessorQualification


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "elder", "standard", "reason", "status", "scheduled_for", "assessed_on", "level", "effective_from"]
    list_filter = ["status", "standard", "reason", "level"]
    search_fields = ["=id", "elder__name"]
    list_select_related = ["elder"]


@admin.register(AssessorQualification)
class AssessorQualificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "certificate_number", "issuer", "valid_from", "valid_to", "created_at"]
    search_fields = ["user__username", "user__display_name", "certificate_number"]
    list_select_related = ["user"]
