from django.urls import path

from . import views

app_name = "escalation"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("on-call/", views.on_call_view, name="on_call"),
    path("case/<uuid:case_id>/", views.case_view, name="case"),
    path("case/<uuid:case_id>/audio", views.audio_view, name="audio"),
    path("case/<uuid:case_id>/propose/", views.propose_view, name="propose"),
    path("case/<uuid:case_id>/timeline/", views.timeline_view, name="timeline"),
    path("proposal/<int:proposal_id>/confirm/", views.confirm_view, name="confirm"),
    path("proposal/<int:proposal_id>/reject/", views.reject_view, name="reject"),
    path("hold/<int:hold_id>/release/", views.release_view, name="release"),
    path("support/", views.support_view, name="support"),
]
