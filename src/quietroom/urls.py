from django.urls import include, path

from quietroom.accounts import home_views
from quietroom.ops import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("", home_views.home, name="home"),
    path("accounts/", include("quietroom.accounts.urls")),
    path("room/", include("quietroom.review.urls")),
    path("ingestion/", include("quietroom.recordings.urls")),
    path("privacy/", include("quietroom.privacy.urls")),
    path("escalation/", include("quietroom.escalation.urls")),
    path("audit/", include("quietroom.audit.urls")),
    path("api/v1/", include("quietroom.api.urls")),
]

# Refusals and missing pages in the layout, saying why and where to go (templates/403.html ...).
handler403 = "quietroom.ops.errors.permission_denied"
handler404 = "quietroom.ops.errors.page_not_found"
