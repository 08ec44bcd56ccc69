from django.urls import path

from . import views

app_name = "recordings"
urlpatterns = [path("batches/", views.batches_view, name="batches")]
