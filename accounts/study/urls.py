from django.urls import path

from accounts.study import views as study_views

app_name = "study"

urlpatterns = [
    path("", study_views.queue, name="queue"),
    path("<slug:slug>/<slug:key>/", study_views.study, name="derivation"),
    path("<slug:slug>/<slug:key>/grade/", study_views.grade, name="grade"),
]
