from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
    path("enrol/", views.enrol_view, name="enrol"),
]
