from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("study/", include("accounts.study.urls")),
    path("edit/", include("notes.editorial.urls")),
    path("", include("notes.urls")),
]
# A database that cannot answer is a 503 with Retry-After; anything else, the plain 500 page.
handler500 = "config.outages.server_error"
# Uploaded images in development; production serves MEDIA_ROOT from the web server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
