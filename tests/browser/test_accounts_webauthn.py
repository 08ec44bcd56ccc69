"""Security keys end to end in Chromium, with a CDP virtual authenticator (no real hardware).

WebAuthn needs a secure context: http://localhost is one, so the live server is reached by
that name and the relying party id is 'localhost'.
"""
import re

import pytest

from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import User, WebAuthnCredential
from quietroom.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def base_url(live_server, settings):
    url = live_server.url.replace("127.0.0.1", "localhost")
    settings.QUIETROOM_WEBAUTHN_RP_ID = "localhost"
    settings.QUIETROOM_WEBAUTHN_ORIGINS = [url]
    return url


def add_virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp, result["authenticatorId"]


def test_security_key_registration_at_onboarding_then_sign_in_with_it(base_url, page, site):
    _, token = create_invitation(organisation=site.organisation, username="keyholder", role="reviewer",
                                 site=site, locales=["en-US"])
    cdp, authenticator = add_virtual_authenticator(page)
    page.goto(f"{base_url}/accounts/invite/{token}/")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#webauthn-register")
    page.click("#webauthn-register")
    page.wait_for_url(re.compile(r".*/room/$"))
    user = User.objects.get(username="keyholder")
    credential = WebAuthnCredential.objects.get(user=user)
    assert user.security_keys == 1 and user.has_second_factor and not user.totp_confirmed
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1

    # Sign out, then sign in with password + the key.
    page.click("header button[type=submit]")
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", "keyholder")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#webauthn-login")
    page.click("#webauthn-login")
    page.wait_for_url(re.compile(r".*/room/$"))
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    assert AuditEvent.objects.filter(action="login", actor="keyholder", details__factor="webauthn").count() == 1
    assert AuditEvent.objects.filter(action="second_factor.enrolled", details__factor="webauthn").count() == 1


def test_a_key_registered_to_someone_else_does_not_sign_this_user_in(base_url, page, make_reviewer, site):
    # Mallory registers her own key; then tries it on Rita's account after Rita's password.
    mallory = make_reviewer("mallory")
    rita = make_reviewer("rita-key")
    cdp, authenticator = add_virtual_authenticator(page)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", "mallory")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    from tests.conftest import totp_code

    page.fill("input[name=code]", totp_code(mallory))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/room/$"))
    page.goto(f"{base_url}/accounts/security/")
    page.click("#webauthn-register")
    page.wait_for_selector("#keys >> text=Security key")
    assert WebAuthnCredential.objects.filter(user=mallory).count() == 1
    # Rita has a key too (so the page offers it), but Mallory's authenticator holds only hers.
    WebAuthnCredential.objects.create(user=rita, credential_id="cml0YXMta2V5", public_key=b"\x00")
    User.objects.filter(pk=rita.pk).update(security_keys=1)
    page.click("header button[type=submit]")
    page.fill("input[name=username]", "rita-key")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#webauthn-login")
    page.click("#webauthn-login")
    page.wait_for_selector("#webauthn-error:not(.hidden)")
    assert "/accounts/login/verify/" in page.url
    assert not AuditEvent.objects.filter(action="login", actor="rita-key").exists()
