from django.urls import path

from evaluations import assessment_views, export_views, notice_views

A, N, E = assessment_views, notice_views, export_views

urlpatterns = [
    # The quarter and the year (step 4)
    path("branches/<int:pk>/assessments/<int:year>/", A.assessments, name="assessments"),
    path(
        "branches/<int:pk>/assessments/<int:year>/<str:period>/open/",
        A.assessment_open,
        name="assessment_open",
    ),
    path("assessments/<int:pk>/", A.assessment, name="assessment"),
    path("assessments/<int:pk>/confirm/", A.assessment_confirm, name="assessment_confirm"),
    path("assessments/<int:pk>/review/", A.assessment_review, name="assessment_review"),
    path("branches/<int:pk>/appraisal/<int:year>/", A.appraisal, name="appraisal"),
    path("townships/<int:pk>/queue/", A.township_queue, name="township_queue"),
    path("branches/<int:pk>/follow-ups/<int:year>/", A.follow_ups, name="follow_ups"),
    path("members/<int:pk>/appeals/new/", A.appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", A.appeal_decide, name="appeal_decide"),
    # The notice and the archive (step 5)
    path("assessments/<int:pk>/notice/new/", N.notice_create, name="notice_create"),
    path("notices/<int:pk>/", N.notice, name="notice"),
    path("notices/<int:pk>/approve/", N.notice_approve, name="notice_approve"),
    path("notices/<int:pk>/publish/", N.notice_publish, name="notice_publish"),
    path("notices/<int:pk>/archive/", N.notice_archive, name="notice_archive"),
    path("notices/<int:pk>/print/", N.notice_print, name="notice_print"),
    path("notices/<int:pk>/objections/new/", N.objection_create, name="objection_create"),
    path("objections/<int:pk>/", N.objection, name="objection"),
    path("archive/", N.archive_list, name="archive_list"),
    path("archive/<int:pk>/", N.archive_detail, name="archive_detail"),
    path("archive/<int:pk>/print/", N.archive_print, name="archive_print"),
    # Excel exports
    path("assessments/<int:pk>/export.xlsx", E.assessment_export, name="assessment_export"),
    path(
        "townships/<int:pk>/results/<int:year>/<str:period>.xlsx",
        E.township_results_export,
        name="township_results_export",
    ),
    path(
        "county/results/<int:year>/<str:period>.xlsx",
        E.county_results_export,
        name="county_results_export",
    ),
]
