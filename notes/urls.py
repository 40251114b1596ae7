from django.urls import path

from notes import views
from notes.feeds import NoteChangesFeed, SiteChangesFeed
from notes.graph import views as graph_views
from notes.search import views as search_views

app_name = "notes"

# Django tries patterns in order on every request: the note page, most of the site's traffic,
# comes first.
urlpatterns = [
    path("notes/<slug:slug>/", views.note_detail, name="note"),
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("guide/", views.guide, name="guide"),
    path("changes/feed/", SiteChangesFeed(), name="feed"),
    path("search/", search_views.search, name="search"),
    path("search.json", search_views.search_json, name="search_json"),
    path("graph/", graph_views.site_graph, name="graph"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("notes/<slug:slug>/history/", views.note_history, name="history"),
    path("notes/<slug:slug>/graph/", graph_views.note_graph, name="note_graph"),
    path("notes/<slug:slug>/preview/", views.link_preview, name="preview"),
    path("notes/<slug:slug>/uses/<str:anchor>/", views.note_uses, name="uses"),
    path("notes/<slug:slug>/diff/", views.revision_diff, name="diff"),
    path("notes/<slug:slug>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("notes/<slug:slug>/feed/", NoteChangesFeed(), name="note_feed"),
]
