"""WebAuthn security keys and passkeys through the `webauthn` library (py_webauthn).

Ceremonies are two requests each: `*_options` stores a fresh random challenge in the session
and returns the options for `navigator.credentials.create/get`; `*_verify` checks the browser's
answer against that challenge, the relying-party id and the expected origin(s) (settings
QUIETROOM_WEBAUTHN_RP_ID / QUIETROOM_WEBAUTHN_ORIGINS). A challenge is used once.
"""
from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .models import User, WebAuthnCredential

REGISTER_CHALLENGE = "webauthn_register_challenge"
LOGIN_CHALLENGE = "webauthn_login_challenge"
RP_NAME = "QuietRoom"


class WebAuthnFailed(Exception):
    """The browser's answer did not verify (the reason is safe to show and to audit)."""


def rp_id() -> str:
    return settings.QUIETROOM_WEBAUTHN_RP_ID


def origins() -> list[str]:
    return list(settings.QUIETROOM_WEBAUTHN_ORIGINS)


def _handle(user: User) -> bytes:
    if not user.webauthn_handle:
        user.webauthn_handle = bytes_to_base64url(secrets.token_bytes(32))
        User.objects.filter(pk=user.pk).update(webauthn_handle=user.webauthn_handle)
    return base64url_to_bytes(user.webauthn_handle)


def registration_options(session, user: User) -> str:
    existing = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
                for c in WebAuthnCredential.objects.filter(user=user)]
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=RP_NAME, user_name=user.get_username(), user_id=_handle(user),
        exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    session[REGISTER_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def register(session, user: User, credential_json: str, name: str = "Security key") -> WebAuthnCredential:
    challenge = session.pop(REGISTER_CHALLENGE, None)
    if not challenge:
        raise WebAuthnFailed("no registration in progress")
    try:
        verified = verify_registration_response(
            credential=credential_json, expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(), expected_origin=origins(),
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed("the security key's answer did not verify") from exc
    transports = []
    try:
        transports = list(json.loads(credential_json).get("response", {}).get("transports", []))[:8]
    except (ValueError, AttributeError):
        pass
    with transaction.atomic():
        credential = WebAuthnCredential.objects.create(
            user=user, credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key, sign_count=verified.sign_count,
            name=(name or "Security key")[:100], transports=[str(t)[:20] for t in transports],
        )
        User.objects.filter(pk=user.pk).update(security_keys=F("security_keys") + 1)
        user.refresh_from_db(fields=["security_keys"])
    return credential


def authentication_options(session, user: User) -> str:
    allowed = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
               for c in WebAuthnCredential.objects.filter(user=user)]
    options = generate_authentication_options(
        rp_id=rp_id(), allow_credentials=allowed, user_verification=UserVerificationRequirement.PREFERRED,
    )
    session[LOGIN_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authenticate(session, user: User, credential_json: str) -> WebAuthnCredential:
    challenge = session.pop(LOGIN_CHALLENGE, None)
    if not challenge:
        raise WebAuthnFailed("no sign-in in progress")
    try:
        raw_id = json.loads(credential_json)["rawId"]
    except (ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed("malformed answer") from exc
    # Only this user's credentials: a key registered to someone else never signs this user in.
    stored = WebAuthnCredential.objects.filter(user=user, credential_id=raw_id).first()
    if stored is None:
        raise WebAuthnFailed("this security key is not registered to this account")
    try:
        verified = verify_authentication_response(
            credential=credential_json, expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(), expected_origin=origins(),
            credential_public_key=bytes(stored.public_key), credential_current_sign_count=stored.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed("the security key's answer did not verify") from exc
    WebAuthnCredential.objects.filter(pk=stored.pk).update(sign_count=verified.new_sign_count,
                                                            last_used_at=timezone.now())
    return stored


def remove(user: User, credential: WebAuthnCredential) -> None:
    with transaction.atomic():
        deleted, _ = WebAuthnCredential.objects.filter(pk=credential.pk, user=user).delete()
        if deleted:
            User.objects.filter(pk=user.pk, security_keys__gt=0).update(security_keys=F("security_keys") - 1)
            user.refresh_from_db(fields=["security_keys"])
