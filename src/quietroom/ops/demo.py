"""The demo: a controller with its privacy officer, a vendor site on this machine, sample
speech, invitations for the reviewer and the officer.

Sample recordings are assembled at run time from public recorded prompts (Debian's
asterisk-core-sounds-en) or espeak-ng: no customer data, no committed audio. They are written
to a temporary folder outside the data folder only long enough to be ingested (they go in
through the same manifest path a real batch does), then removed.
"""
from __future__ import annotations

import csv
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from django.utils import timezone as dj_timezone

from quietroom import testspeech
from quietroom.accounts.invitations import create_invitation
from quietroom.accounts import services, vetting
from quietroom.accounts.models import Organisation, Site, User
from quietroom.audit.log import Actor
from quietroom.recordings.ingest import IngestReport, ingest_manifest

CONTROLLER = "Demo Voice Assistant Co"
VENDOR = "Demo Transcription Ltd"
SITE = "Demo site (this computer)"
LOCALE = "en-US"  # the Asterisk prompts are US English
FORMATS = ("wav", "flac", "ogg")
# The controller's escalation staff: new cases are notices on their Notices page and e-mails
# the demo prints to the console (`.invalid` is a domain that never receives mail).
OFFICER = services.NewStaff("demo-officer", User.Role.PRIVACY_OFFICER, "privacy-officer@demo.invalid")
DEMO_ACTOR = Actor(name="demo", role="controller_admin")


@dataclass
class DemoSetup:
    controller: Organisation
    site: Site
    report: IngestReport
    reviewer_username: str
    invitation_path: str
    officer_username: str = ""
    officer_invitation_path: str = ""  # "" once the officer has signed up
    # Everyone else, one per role: (role label, user name, organisation, invitation path or "").
    others: list = field(default_factory=list)


def organisations() -> tuple[Organisation, Site]:
    controller = Organisation.objects.filter(name=CONTROLLER).first()
    if controller is None:
        # The same set-up as a real controller's, so the demo keeps its rule: never without a
        # privacy officer who receives escalations.
        controller, _ = services.set_up_controller(CONTROLLER, [OFFICER], actor=DEMO_ACTOR)
    vendor, _ = Organisation.objects.get_or_create(
        name=VENDOR, defaults={"kind": Organisation.Kind.VENDOR, "controller": controller,
                               "approved_at": dj_timezone.now(), "approved_countries": ["GB"]}
    )
    site, _ = Site.objects.get_or_create(
        organisation=vendor, name=SITE, defaults={"country": "GB", "networks": ["127.0.0.0/8", "::1/128"]}
    )
    return controller, site


def escalation_officer(controller: Organisation) -> tuple[User, str]:
    """The demo's privacy officer, and a fresh invitation path while they have not signed up."""
    officer = User.objects.filter(username=OFFICER.username).first()
    if officer is None:  # a data folder from before the demo had an officer
        officer = services.add_staff(controller, OFFICER, actor=DEMO_ACTOR)
    if officer.has_second_factor:
        return officer, ""
    token = services.issue_invitation(DEMO_ACTOR, officer, hours=2)
    return officer, f"/accounts/invite/{token}/"


# The other roles, so a newcomer can see every page: the controller's own (admin, auditor) and
# the vendor's (vendor manager, QA lead at the site).
CONTROLLER_STAFF = (
    services.NewStaff("demo-admin", User.Role.CONTROLLER_ADMIN, "admin@demo.invalid"),
    services.NewStaff("demo-auditor", User.Role.AUDITOR, "auditor@demo.invalid"),
)
VENDOR_STAFF = (("demo-vendor-manager", User.Role.VENDOR_MANAGER), ("demo-qa-lead", User.Role.QA_LEAD))


def other_roles(controller: Organisation, site: Site) -> list[tuple[str, str, str, str]]:
    """One person per remaining role and a fresh invitation for each who has not signed up."""
    out = []
    for spec in CONTROLLER_STAFF:
        person = User.objects.filter(username=spec.username).first() or services.add_staff(controller, spec,
                                                                                          actor=DEMO_ACTOR)
        path = "" if person.has_second_factor else f"/accounts/invite/{services.issue_invitation(DEMO_ACTOR, person, hours=2)}/"
        out.append((person.get_role_display(), person.username, controller.name, path))
    for username, role in VENDOR_STAFF:
        person = User.objects.filter(username=username).first()
        if person is not None and person.has_second_factor:
            out.append((person.get_role_display(), username, site.organisation.name, ""))
            continue
        if role == User.Role.QA_LEAD:  # works at the site like reviewers, so vetted up front too
            vetted_person(username, site, role=role)
        _, token = create_invitation(organisation=site.organisation, username=username, role=role,
                                     site=site if role == User.Role.QA_LEAD else None, locales=[LOCALE], hours=2)
        out.append((User.Role(role).label, username, site.organisation.name, f"/accounts/invite/{token}/"))
    return out


def vetted_person(username: str, site: Site, *, role: str = User.Role.REVIEWER) -> User:
    """A pending reviewer (no password, no factor yet) with every vetting item recorded."""
    from quietroom.accounts.pseudonyms import user_pseudonym

    user, created = User.objects.get_or_create(
        username=username, defaults={"organisation": site.organisation, "site": site,
                                     "role": role, "locales": [LOCALE]})
    if created:
        user.set_unusable_password()
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
    vetting.record_all(user, now=dj_timezone.now(), performed_by="demo set-up")
    return user


def sample_recordings(folder: Path, count: int = 3, seed: int = 7, utterances: int = 4) -> Path:
    """Write `count` sample recordings of `utterances` spoken turns each and a manifest into
    `folder`; returns the manifest."""
    rows = []
    base = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    for i in range(count):
        samples, rate, _texts = testspeech.make_conversation(utterances, seed=seed + i)
        fmt = FORMATS[i % len(FORMATS)]
        name = f"demo-{i + 1}.{fmt}"
        testspeech.write_audio(folder / name, samples, rate, fmt)
        rows.append({
            "recording_id": f"demo-rec-{seed}-{i + 1}", "customer_id": f"demo-customer-{i % 2 + 1}",
            "audio_path": name, "locale": LOCALE, "region": "GB", "source": "assistant",
            "activation": "wake_word", "consent": "true",
            "captured_at": (base + timedelta(minutes=17 * i)).isoformat(),
        })
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def set_up(*, username: str = "demo-reviewer", recordings: int = 3, utterances: int = 4) -> DemoSetup:
    controller, site = organisations()
    with tempfile.TemporaryDirectory(prefix="quietroom-demo-audio-") as tmp:
        manifest = sample_recordings(Path(tmp), count=recordings, utterances=utterances)
        report = ingest_manifest(manifest, Path(tmp), controller, label="demo: sample speech")
    existing = User.objects.filter(username=username).first()
    if existing is not None and existing.has_second_factor:
        username = f"{username}-{secrets.token_hex(3)}"
    # The demo reviewer is vetted up front (identity, background check, NDA, training,
    # recertification all recorded) so the demo can show the work; real people are vetted by
    # their vendor manager on the People pages.
    vetted_person(username, site)
    _, token = create_invitation(
        organisation=site.organisation, username=username, role=User.Role.REVIEWER, site=site, locales=[LOCALE],
        hours=2,
    )
    officer, officer_path = escalation_officer(controller)
    return DemoSetup(controller, site, report, username, f"/accounts/invite/{token}/",
                     officer.username, officer_path, other_roles(controller, site))
