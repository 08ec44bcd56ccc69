from django.urls import include, path
from django.views.generic import RedirectView

from quietroom.ops import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("", RedirectView.as_view(pattern_name="review:room"), name="home"),
    path("accounts/", include("quietroom.accounts.urls")),
    path("room/", include("quietroom.review.urls")),
    path("ingestion/", include("quietroom.recordings.urls")),
    path("privacy/", include("quietroom.privacy.urls")),
    path("escalation/", include("quietroom.escalation.urls")),
    path("audit/", include("quietroom.audit.urls")),
    path("api/v1/", include("quietroom.api.urls")),
]
