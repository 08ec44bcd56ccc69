from django.urls import path

from .docs import docs_page
from .endpoints import api

urlpatterns = [
    path("docs", docs_page, name="api-docs"),
    path("", api.urls),
]
