from django.urls import path, re_path

from .views import assessments, elders, entitlements, home, imports, records, regions

app_name = "console"
urlpatterns = [
    path("", home.home, name="home"),
    path("regions/", regions.regions, name="regions"),
    re_path(r"^regions/(?P<code>\d{12})/$", regions.regions, name="regions"),
    path("elders/", elders.elder_list, name="elder_list"),
    path("elders/export.xlsx", elders.elder_export, name="elder_export"),
    path("elders/new/", records.elder_create, name="elder_create"),
    path("elders/import/", imports.elder_import, name="elder_import"),
    path("elders/import/template.xlsx", imports.elder_import_template, name="elder_import_template"),
    path("elders/<int:pk>/", elders.elder_detail, name="elder_detail"),
    path("elders/<int:pk>/edit/", records.elder_edit, name="elder_edit"),
    path("elders/<int:pk>/reveal-id/", elders.elder_reveal_id, name="elder_reveal_id"),
    path("elders/<int:pk>/groups/", elders.elder_group_add, name="elder_group_add"),
    path("elders/<int:pk>/contacts/", elders.elder_contact_add, name="elder_contact_add"),
    path("elders/<int:pk>/consents/", elders.elder_consent_add, name="elder_consent_add"),
    path("elders/<int:pk>/status/", elders.elder_status, name="elder_status"),
    path("elders/<int:pk>/assessments/new/", assessments.assessment_schedule, name="assessment_schedule"),
    path("elders/<int:pk>/entitlements/", entitlements.elder_entitlements, name="elder_entitlements"),
    path("entitlements/", entitlements.entitlements_home, name="entitlements"),
    path("entitlements/simulate/", entitlements.entitlements_simulate, name="entitlements_simulate"),
    path("entitlements/settlements/<int:pk>/", entitlements.settlement_detail, name="settlement_detail"),
    path("entitlements/settlements/<int:pk>/lock/", entitlements.settlement_lock, name="settlement_lock"),
    path("entitlements/settlements/<int:pk>/export.xlsx", entitlements.settlement_export, name="settlement_export"),
    path("assessments/", assessments.assessment_list, name="assessment_list"),
    path("assessments/<int:pk>/", assessments.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/answer/", assessments.assessment_answer, name="assessment_answer"),
    path("assessments/<int:pk>/review/", assessments.assessment_review, name="assessment_review"),
    path("assessments/<int:pk>/return/", assessments.assessment_return, name="assessment_return"),
    path("assessments/<int:pk>/make-effective/", assessments.assessment_make_effective, name="assessment_make_effective"),
    path("assessments/<int:pk>/cancel/", assessments.assessment_cancel, name="assessment_cancel"),
    path("assessments/<int:pk>/report/", assessments.assessment_report, name="assessment_report"),
    path("assessments/<int:pk>/report.pdf", assessments.assessment_report_pdf, name="assessment_report_pdf"),
]
