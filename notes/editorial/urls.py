from django.urls import path

from notes.editorial import job_views, views

app_name = "editor"

urlpatterns = [
    path("", views.editor_home, name="home"),
    path("new/", views.note_new, name="new"),
    path("preview/", views.preview, name="preview"),
    path("upload/", views.upload, name="upload"),
    path("<slug:slug>/", views.note_edit, name="edit"),
    path("<slug:slug>/review/", views.note_review, name="review"),
    path("<slug:slug>/submit/", views.note_submit, name="submit"),
    path("<slug:slug>/comment/", views.note_comment, name="comment"),
    path("<slug:slug>/request-changes/", views.note_request_changes, name="request_changes"),
    path("<slug:slug>/publish/", views.note_publish_view, name="publish"),
    path("<slug:slug>/rollback/<int:number>/", views.note_rollback_view, name="rollback"),
    path("<slug:slug>/retire/", views.note_retire_view, name="retire"),
    path("<slug:slug>/run-checks/", views.note_run_checks, name="run_checks"),
    path("<slug:slug>/jobs/<int:job_id>/retry/", job_views.job_retry, name="job_retry"),
]
