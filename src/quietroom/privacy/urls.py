from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("access-report/", views.access_report_view, name="access_report"),
    path("trace/", views.trace_view, name="trace"),
]
