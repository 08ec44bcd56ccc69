from django.urls import path

from . import oversight_views, views

app_name = "review"
urlpatterns = [
    path("", views.room, name="room"),
    path("next/", views.next_snippet, name="next"),
    path("task/<uuid:task_id>/", views.task_view, name="task"),
    path("task/<uuid:task_id>/skip/", views.skip_view, name="skip"),
    path("task/<uuid:task_id>/draft/", views.draft_view, name="draft"),
    path("correct/<uuid:submission_id>/", views.correct_view, name="correct"),
    path("done/", views.done, name="done"),
    path("stream/<str:token>", views.stream, name="stream"),
    path("guidelines/", oversight_views.guidelines_view, name="guidelines"),
    path("oversight/eligibility/", oversight_views.eligibility_view, name="eligibility"),
    path("quality/", oversight_views.quality_view, name="quality"),
    path("quality/adjudicate/<int:agreement_id>/", oversight_views.adjudicate_view, name="adjudicate"),
]
