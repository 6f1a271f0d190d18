from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from config.api.ping import Ping

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("gridapp.api.urls")),
    path("api/v1/", include("payroll.api.urls")),
    path("console/", include("console.urls")),
    path("open311/v2/", include("open311.urls")),
    path("api/v1/ping", Ping.as_view(), name="ping"),  # the load benchmark's baseline
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
# Local photo storage in the embedded default (an empty list unless DEBUG is on).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "config.api.errors.json_404"
handler500 = "config.api.errors.json_500"
