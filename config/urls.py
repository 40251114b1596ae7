from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

# The reading pages first: they are most requests, and patterns are tried in order (no
# pattern of notes.urls starts with the other prefixes).
urlpatterns = [
    path("", include("notes.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("study/", include("accounts.study.urls")),
    path("edit/", include("notes.editorial.urls")),
]
# A database that cannot answer is a 503 with Retry-After; anything else, the plain 500 page.
handler500 = "config.outages.server_error"
# Uploaded images in development; production serves MEDIA_ROOT from the web server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
