from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.log_view, name="log"),
    path("verify/", views.verify_view, name="verify"),
    path("checkpoints/", views.checkpoints_view, name="checkpoints"),
    path("checkpoints/download", views.checkpoints_file_view, name="checkpoints_file"),
]
