from django.urls import path

from . import controller_views, manage_views, security_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("logout/", views.logout_view, name="logout"),
    path("invite/<str:token>/", views.invitation_view, name="invitation"),
    path("enrol/", views.enrol_view, name="enrol"),
    # One's own security and obligations.
    path("security/", security_views.security_view, name="security"),
    path("security/recovery-codes/", security_views.recovery_codes_view, name="recovery_codes"),
    path("security/keys/<int:credential_id>/remove/", security_views.remove_key_view, name="remove_key"),
    path("webauthn/register/options/", security_views.webauthn_register_options, name="webauthn_register_options"),
    path("webauthn/register/verify/", security_views.webauthn_register_verify, name="webauthn_register_verify"),
    path("webauthn/login/options/", security_views.webauthn_login_options, name="webauthn_login_options"),
    path("webauthn/login/verify/", security_views.webauthn_login_verify, name="webauthn_login_verify"),
    path("notices/", security_views.notices_view, name="notices"),
    path("training/", security_views.training_view, name="training"),
    # Vendor managers: their own people only.
    path("manage/", manage_views.people_view, name="manage_people"),
    path("manage/people/new/", manage_views.add_person_view, name="manage_add_person"),
    path("manage/people/<int:person_id>/", manage_views.person_view, name="manage_person"),
    path("manage/people/<int:person_id>/vetting/", manage_views.person_vetting_view, name="manage_person_vetting"),
    path("manage/people/<int:person_id>/recertify/", manage_views.person_recertify_view, name="manage_person_recertify"),
    path("manage/people/<int:person_id>/languages/", manage_views.person_languages_view, name="manage_person_languages"),
    path("manage/people/<int:person_id>/invite/", manage_views.person_invite_view, name="manage_person_invite"),
    path("manage/people/<int:person_id>/offboard/", manage_views.person_offboard_view, name="manage_person_offboard"),
    path("manage/people/<int:person_id>/reset-factor/", manage_views.person_reset_factor_view, name="manage_person_reset_factor"),
    # The controller: its vendors and their sites.
    path("controller/", controller_views.vendors_view, name="controller_vendors"),
    path("controller/vendors/new/", controller_views.add_vendor_view, name="controller_add_vendor"),
    path("controller/vendors/<int:vendor_id>/", controller_views.vendor_view, name="controller_vendor"),
    path("controller/vendors/<int:vendor_id>/invite-manager/", controller_views.invite_manager_view, name="controller_invite_manager"),
    path("controller/sites/new/", controller_views.add_site_view, name="controller_add_site"),
    path("controller/sites/<int:site_id>/", controller_views.site_view, name="controller_site"),
]
