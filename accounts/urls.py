from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.annotations import collection_views as annotation_list_views
from accounts.annotations import views as annotation_views
from accounts.throttling import ThrottledPasswordResetView

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("plan/", views.plan, name="plan"),
    path("progress/<slug:slug>/<slug:key>/", views.progress, name="progress"),
    path("progress/<slug:slug>/<slug:key>/changes/", views.progress_changes, name="progress_changes"),
    path("export.json", views.export_json, name="export_json"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("delete/", views.delete_account, name="delete"),
    path("annotations/new/", annotation_views.annotation_new, name="annotation_new"),
    path("annotations/<uuid:annotation_id>/edit/", annotation_views.annotation_edit, name="annotation_edit"),
    path("annotations/<uuid:annotation_id>/delete/", annotation_views.annotation_delete_view, name="annotation_delete"),
    path(
        "annotations/<uuid:annotation_id>/reattach/",
        annotation_views.annotation_reattach_view,
        name="annotation_reattach",
    ),
    path("annotations/", annotation_list_views.annotation_list, name="annotations"),
    path("annotations/export.json", annotation_list_views.annotations_export_json, name="annotations_export_json"),
    path(
        "annotations/export.md", annotation_list_views.annotations_export_markdown, name="annotations_export_markdown"
    ),
    path("annotations/import/", annotation_list_views.annotations_import, name="annotations_import"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/",
        ThrottledPasswordResetView.as_view(
            success_url=reverse_lazy("accounts:password_reset_done"),
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password_reset",
    ),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("accounts:password_reset_complete")),
        name="password_reset_confirm",
    ),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
