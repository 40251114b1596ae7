from django.urls import path

from . import views

app_name = "notes"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("guide/", views.guide, name="guide"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("notes/<slug:slug>/", views.note_detail, name="note"),
]
