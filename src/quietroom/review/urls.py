from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.room, name="room"),
    path("next/", views.next_snippet, name="next"),
    path("task/<uuid:task_id>/", views.task_view, name="task"),
    path("done/", views.done, name="done"),
    path("stream/<str:token>", views.stream, name="stream"),
]
