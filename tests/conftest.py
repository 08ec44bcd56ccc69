"""Shared fixtures: organisations, a site on loopback, reviewers with TOTP, ingested audio."""
from __future__ import annotations

import csv
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pyotp
import pytest

from quietroom import testspeech

PASSWORD = "a long enough passphrase for tests"

# The tiers (scripts/run-tests.sh runs each where it belongs):
#   unit   - touches no database: runs once;
#   db     - uses the database: runs on SQLite and on PostgreSQL;
#   system - browser, infrastructure faults, subprocess smoke, evaluation, schemathesis: runs
#            once, on PostgreSQL (the production database).
# A test's tier follows from what it uses, so nobody marks tests by hand; a module that drives
# whole processes says `pytestmark = pytest.mark.system`.
SYSTEM_MARKERS = ("system", "browser", "infrastructure")


def tier_of(item) -> str:
    if any(item.get_closest_marker(name) for name in SYSTEM_MARKERS):
        return "system"
    if item.get_closest_marker("django_db") or "_django_db_helper" in getattr(item, "fixturenames", ()):
        return "db"
    return "unit"


# Slowest tiers first: pytest-xdist hands out files in this order, so the long system files
# start at once and the many short db files fill the gaps, instead of one long file starting
# last while the other worker sits idle.
TIER_ORDER = {"system": 0, "unit": 1, "db": 2}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    tiers = {}
    for item in items:
        tiers[item.nodeid] = tier_of(item)
        item.add_marker(tiers[item.nodeid])
    items.sort(key=lambda item: TIER_ORDER[tiers[item.nodeid]])  # stable: file order kept within a tier


@pytest.fixture
def controller(db):
    from quietroom.accounts.models import Organisation

    return Organisation.objects.create(name="Acme Voice", kind="controller")


@pytest.fixture
def vendor(controller):
    from quietroom.accounts.models import Organisation

    from django.utils import timezone as dj_timezone

    # Approved by the controller to work in GB (accounts: unapproved vendors cannot sign in).
    return Organisation.objects.create(name="Vendor A", kind="vendor", controller=controller,
                                       approved_at=dj_timezone.now(), approved_countries=["GB"])


@pytest.fixture
def site(vendor):
    from quietroom.accounts.models import Site

    return Site.objects.create(organisation=vendor, name="Leeds", country="GB", networks=["127.0.0.0/8", "::1/128"])


@pytest.fixture
def make_reviewer(vendor, site):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    def make(username="rita", locales=("en-US",), vetted=True, **extra):
        user = User.objects.create(
            username=username, organisation=vendor, site=site, role="reviewer", locales=list(locales),
            totp_secret=pyotp.random_base32(), totp_confirmed=True, **extra,
        )
        user.set_password(PASSWORD)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        if vetted:  # identity, background check, NDA, training, recertification all recorded
            from django.utils import timezone as dj_timezone

            from quietroom.accounts import vetting

            vetting.record_all(user, now=dj_timezone.now(), performed_by="test fixture")
        return user

    return make


def totp_code(user, offset_steps: int = 0) -> str:
    return pyotp.TOTP(user.totp_secret).at(time.time() + 30 * offset_steps)


MANIFEST_FIELDS = ["recording_id", "customer_id", "audio_path", "locale", "region", "source",
                   "activation", "consent", "captured_at"]


def manifest_row(rec_id, audio, *, customer="cust-0001", consent="true", **over):
    row = {
        "recording_id": rec_id, "customer_id": customer, "audio_path": audio, "locale": "en-US",
        "region": "GB", "source": "assistant", "activation": "wake_word", "consent": consent,
        "captured_at": datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc).isoformat(),
    }
    row.update(over)
    return row


def write_manifest(folder: Path, rows: list[dict], name="manifest.csv") -> Path:
    path = folder / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return path


PRODUCTION_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """argon2id at its cheapest for the whole suite (tests/hashers.py says why)."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.hashers.CheapArgon2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _no_guidelines_remembered():
    """Each test starts without the room's per-process memory of which organisations have
    guidelines (review/views.py): a rolled-back test's organisation id can come back."""
    from quietroom.review import views

    views._guidelines.clear()
    yield


class _DeidOncePerRun:
    """`quietroom.deid.pipeline` with `deidentify` run once per distinct recording and settings.

    The suite ingests the same generated recordings in many tests; each distinct one goes
    through the real pipeline (VAD, Whisper, PII, voice, bleeps) once, seeded, and every later
    ingestion stores those results through the gate as production would. The pipeline itself
    is tested end to end in tests/deid and tests/recordings.

    "Once" is per test run when scripts/run-tests.sh says where to share: its SQLite and
    PostgreSQL passes and their xdist workers hear the same recordings, and recomputing them
    was most of the database tier's time (27 distinct recordings, ~60 % of it). The shared
    results are sealed with AES-GCM under a key that lives only in the run's environment
    (de-identified test speech, but the house rule is no plaintext audio or transcript on
    disk), in a folder the script removes. Without those variables: once per test process.
    """

    def __init__(self, module, folder: str = "", key: str = ""):
        self._module = module
        self._results: dict = {}
        self._folder = Path(folder) if folder and key else None
        self._key = bytes.fromhex(key) if self._folder else b""

    def __getattr__(self, name):
        return getattr(self._module, name)

    def deidentify(self, samples, config=None, **kwargs):
        import hashlib

        import numpy as np

        config = config if config is not None else self._module.DeidConfig()
        audio = hashlib.sha256(np.ascontiguousarray(samples, dtype=np.float32).tobytes()).hexdigest()
        key = (audio, config)
        if key not in self._results:
            name = hashlib.sha256(f"{audio}|{config!r}".encode()).hexdigest()
            found = self._load(name)
            if found is None:
                kwargs["rng"] = np.random.default_rng(0)
                found = self._module.deidentify(samples, config, **kwargs)
                self._store(name, found)
            self._results[key] = found
        return self._results[key]

    def _load(self, name: str):
        import pickle

        from quietroom.vault import crypto

        if self._folder is None or not (self._folder / name).is_file():
            return None
        # our own run's file, authenticated by the run's key before it is unpickled
        return pickle.loads(crypto.open_sealed(self._key, (self._folder / name).read_bytes(), name.encode()))  # noqa: S301

    def _store(self, name: str, results) -> None:
        import os
        import pickle

        from quietroom.vault import crypto

        if self._folder is None:
            return
        part = self._folder / f"{name}.{os.getpid()}.part"
        part.write_bytes(crypto.seal(self._key, pickle.dumps(results), name.encode()))
        os.replace(part, self._folder / name)  # whole or absent: a reader never sees half


@pytest.fixture(autouse=True, scope="session")
def _deid_once_per_run():
    import os

    from quietroom.recordings import pipeline

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "deid", _DeidOncePerRun(pipeline.deid, os.environ.get("QUIETROOM_TEST_DEID_SHARE", ""),
                                                    os.environ.get("QUIETROOM_TEST_DEID_SHARE_KEY", "")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def speech():
    """Two short conversations of real recorded prompts (16 kHz) with their texts."""
    return [testspeech.make_conversation(3, seed=s) for s in (11, 12)]


@pytest.fixture
def audio_dir(tmp_path, speech):
    folder = tmp_path / "audio"
    folder.mkdir()
    for i, (samples, rate, _texts) in enumerate(speech):
        testspeech.write_audio(folder / f"rec{i}.wav", samples, rate, "wav")
    return folder


@pytest.fixture
def ingested(controller, audio_dir, django_capture_on_commit_callbacks):
    """Two recordings ingested and processed into snippets with review tasks.

    The test's transaction never commits, so the work the pipeline leaves for after its commit
    (deleting the raw recording's ciphertext) is run here, as a commit would run it.
    """
    from quietroom.recordings.ingest import ingest_manifest

    manifest = write_manifest(audio_dir, [
        manifest_row("r-1", "rec0.wav", customer="cust-0001"),
        manifest_row("r-2", "rec1.wav", customer="cust-0002"),
    ])
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest_manifest(manifest, audio_dir, controller)
    assert report.count("accepted") == 2, report.lines()
    return report


@pytest.fixture
def reviewer_client(client, make_reviewer):
    """A logged-in reviewer (session established through the real two-step login)."""
    def login(user):
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        response = client.post("/accounts/login/verify/", {"code": totp_code(user)})
        assert response.status_code == 302 and response["Location"].endswith("/room/")
        return client

    return login


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto in server mode) on loopback, for the whole session.

    Also serves KMS. Credentials are dummies set for this process only.
    """
    import os

    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server._server.server_port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket on the loopback S3 server; yields its name."""
    import uuid

    import boto3

    name = f"qr-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name
