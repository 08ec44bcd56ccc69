from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="review:room"), name="home"),
    path("accounts/", include("quietroom.accounts.urls")),
    path("room/", include("quietroom.review.urls")),
]
