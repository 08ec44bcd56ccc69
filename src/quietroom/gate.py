"""The one gate to content: decrypt and audit, after the policy of the purpose has agreed.

Every decryption of a recording, a snippet, a hypothesis, a draft, a transcript or an
escalation note happens in `open_audited`, in the same transaction as the audit event that
records it; a refusal is audited outside any transaction so the record survives the exception.
Nothing else in QuietRoom calls the vault's decrypt functions (tests/test_gate_is_the_only_reader.py
scans the source).

The gate knows no access rule itself. Each purpose has a policy, registered at start-up by the
app that owns the rule (`AppConfig.ready()`): the review app registers "transcription" (the
eligibility function, a live lease, the site of the request), the escalation app "escalation
review" (the controller's escalation staff), and the apps that read content for a machine or an
operator register theirs ("deidentification", "export", "quality", "adjudication"). A purpose
with no policy is refused (fail closed). So the gate imports no app that holds access policy,
and those apps never import the gate from below: it sits above them, with the views, the API
and the commands as its callers. What content is and where it lives is `quietroom.content`'s.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from quietroom import content, vault
from quietroom.audit import actions, deliveries
from quietroom.audit.log import Actor, record
from quietroom.audit.models import AuditEvent
from quietroom.content import ContentGone, SealedContent
from quietroom.decisions import ALLOWED, Decision, Reason, Refusal

__all__ = ["AccessDenied", "ContentGone", "Read", "StreamGrant", "open_audited", "register_policy"]


class AccessDenied(Exception):
    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class Read:
    """One request to read content, as a policy sees it."""

    purpose: str
    actor: Actor
    subject: object                 # the task, case, recording, submission ... being read
    user: object = None             # the person reading (None: QuietRoom itself)
    now: datetime | None = None
    address: str | None = None      # the request's address (None: no request involved)


Policy = Callable[[Read], Decision]
_POLICIES: dict[str, Policy] = {}


def register_policy(purpose: str, policy: Policy) -> None:
    """Called from an app's `ready()`: `policy` decides every read made for `purpose`.

    A purpose names a family: "export.download" is governed by the policy of "export".
    Registering a purpose twice with a different policy is a programming error.
    """
    existing = _POLICIES.get(purpose)
    if existing is not None and existing is not policy:
        raise RuntimeError(f"an access policy for {purpose!r} is already registered")
    _POLICIES[purpose] = policy


def allow_all(read: Read) -> Decision:
    """For purposes whose callers are decided elsewhere (a machine's read, an operator's export)."""
    return ALLOWED


def decide(read: Read) -> Decision:
    policy = _POLICIES.get(read.purpose) or _POLICIES.get(read.purpose.split(".", 1)[0])
    if policy is None:
        return Decision.of([Reason(Refusal.NO_POLICY, f"no access policy is registered for {read.purpose!r}")])
    return policy(read)


def open_audited(read: Read, action: str, sealed: SealedContent, decision: Decision, *,
                 details: dict | None = None, denied_details: dict | None = None,
                 deliver: _Marking | None = None,
                 _savepoint: bool = True) -> bytes | None:
    """The one decrypt: refused → audited "denied" and AccessDenied; destroyed → audited
    "failed" and ContentGone; else decrypted and audited in one transaction.

    `deliver(event, plaintext)` turns what was read into what is handed out, in the same
    transaction (audio to a person: its delivery recorded and the delivery's watermark embedded);
    `deliver.rider(action, object_id)` is what the event's own statement writes with it.
    An `empty` object (no hypothesis, an empty draft) gives None, after the decision, with
    nothing to audit. `_savepoint=False` is for the gate's own callers that already hold the
    transaction and let any failure of the decrypt roll all of it back (two round trips saved).
    """
    subject = {"object_type": sealed.object_type, "object_id": sealed.object_id,
               "customer": sealed.customer_pseudonym}
    if not decision:
        record(read.actor, action, outcome="denied", purpose=read.purpose,
               details={"reasons": list(decision.reasons), **(denied_details or {})}, **subject)
        raise AccessDenied(decision.reasons)
    if sealed.empty:
        return None
    # Outside the transaction below: the failure must stay in the log when ContentGone
    # propagates (an erased customer's key, a shredded snippet).
    try:
        if sealed.gone:
            raise ContentGone(f"the {sealed.object_type} has been destroyed")
        key = content.key_of(sealed.customer_key)
    except ContentGone:
        record(read.actor, action, outcome="failed", purpose=read.purpose,
               details={"reasons": ["erased"], **(denied_details or {})}, **subject)
        raise
    with transaction.atomic(savepoint=_savepoint):
        ciphertext = sealed.ciphertext if sealed.ciphertext is not None else content.blob_store().get(sealed.blob_key)
        plaintext = vault.decrypt_object(ciphertext, sealed.wrapped_dek, sealed.aad, key)
        event = record(read.actor, action, purpose=read.purpose, details=details or {}, **subject,
                       rider=deliver.rider(action, sealed.object_id) if deliver is not None else None)
        if deliver is not None:
            plaintext = deliver(event, plaintext)
    return plaintext


def _read(read: Read, action: str, sealed: SealedContent, **kwargs) -> bytes | None:
    return open_audited(read, action, sealed, decide(read), **kwargs)


def _text(data: bytes | None) -> str:
    return "" if data is None else data.decode("utf-8")


def _range(byte_range: str) -> dict:
    return {"range": byte_range[:64]} if byte_range else {}


def _play_or_stream(read: Read, sealed: SealedContent, view: str, *, details: dict,
                    denied_details: dict | None = None) -> bytes | None:
    """Audio for one request of one page view: audited as `snippet.play` when it is the view's
    first released request, as `snippet.stream` (further bytes of that play) after it.

    A browser fetches one page's audio in several requests (the player's first request, its
    range requests, the waveform), often at the same moment; each is decrypted, so each is
    audited, but one page view is one play (docs/audit.md). `view` names the page view (minted
    with the page, carried by the audio link); without one every request is a play. A refused
    or failed request releases nothing, so it is never "further bytes": it stays a `snippet.play`
    attempt with its outcome. Requests of one view are taken one at a time (a lock on the view,
    held to the commit) so that two concurrent first requests cannot both find no play and both
    log one.
    """
    decision = decide(read)
    if not view:
        return open_audited(read, actions.SNIPPET_PLAY, sealed, decision, details=details,
                            denied_details=denied_details, deliver=_marked_delivery(view, later=True))
    details, denied_details = {**details, "view": view}, {**(denied_details or {}), "view": view}
    with transaction.atomic():
        _lock_view(view)
        # object_type leads the (object_type, object_id, seq) index: the object's few events,
        # not every play of the customer's.
        played = bool(decision) and not sealed.gone and AuditEvent.objects.filter(
            object_type=sealed.object_type, object_id=str(sealed.object_id), action=actions.SNIPPET_PLAY,
            outcome="ok", customer=sealed.customer_pseudonym, actor=read.actor.name, details__view=view,
        ).exists()
        action = actions.SNIPPET_STREAM if played else actions.SNIPPET_PLAY
        try:
            # This transaction is the read's: a failed decrypt rolls it back whole (and is
            # raised), a refusal or destroyed content is raised before it and commits here.
            return open_audited(read, action, sealed, decision, details=details, denied_details=denied_details,
                                deliver=_marked_delivery(view, later=True), _savepoint=False)
        except (AccessDenied, ContentGone) as exc:
            # Leave the block normally so the "denied"/"failed" event commits, then raise.
            refused = exc
    raise refused


class _Marking:
    """Audio to a person carries its delivery's watermark (issue 19): a play is a new delivery;
    a further request of the same page view (range requests, the waveform) finds the play's
    delivery and gets the same bytes, so ranges of one play fit together.

    `rider` is asked before the play's audit event is written: on PostgreSQL the new delivery's
    row is written by the event's own statement (`deliveries.Pending`); `__call__` then marks
    the audio with that delivery's serial: at once, or with `later` on a marking thread
    (`deliveries.start_marking`) while the request commits the play and goes on (`StreamGrant`)."""

    def __init__(self, view: str, later: bool = False):
        self.view, self.later, self.pending = view, later, None

    def rider(self, action: str, object_id):
        if action == actions.SNIPPET_STREAM:  # further bytes of a play: its delivery exists
            return None
        self.pending = deliveries.pending(self.view, object_id)
        return self.pending.rider if self.pending is not None else None

    def __call__(self, event: AuditEvent, audio: bytes) -> bytes | Future:
        delivery = None
        if event.action == actions.SNIPPET_STREAM:
            delivery = deliveries.of_view(self.view, event.object_id)
        if delivery is None:
            pending, self.pending = self.pending, None
            delivery = pending.delivery(event) if pending is not None else deliveries.record(event, view=self.view)
        if self.later:
            return deliveries.start_marking(audio, delivery)
        return deliveries.mark_wav(audio, delivery)


def _marked_delivery(view: str, later: bool = False) -> _Marking:
    return _Marking(view, later)


def _lock_view(view: str) -> None:
    """Serialise the requests of one page view until this transaction ends. PostgreSQL: an
    advisory lock on the view's hash; SQLite takes its single write lock at BEGIN already."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"quietroom/audio-view\n{view}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


class StreamGrant:
    """The audio of one request of a page view, marked with its delivery's watermark.

    A play's mark is still being embedded when the gate returns: on a marking thread, while the
    request commits the play's audit event and records the reviewer's exposure (database round
    trips the mark would otherwise wait behind: 0.35 ms of the stream's p50, bench/README.md).
    `audio` waits for the marked bytes; the unmarked plaintext is never in the grant. A mark
    that failed (nothing expected: the key was looked up inside the transaction) raises there,
    after the play's event committed: the log then holds a play whose bytes never left, never
    the other way round."""

    def __init__(self, audio: bytes | Future | None, content_type: str = "audio/wav"):
        self._audio, self.content_type = audio, content_type

    @property
    def audio(self) -> bytes | None:
        if isinstance(self._audio, Future):
            self._audio = self._audio.result()
        return self._audio


# --- QuietRoom's own reads ---------------------------------------------------------------


def read_raw_for_pipeline(recording) -> bytes:
    """The de-identification pipeline's read of a raw recording (a machine, not a person)."""
    read = Read("deidentification", Actor.system(), recording)
    return _read(read, "recording.read", content.raw_audio_of(recording))


# --- a reviewer's reads, under a live lease ----------------------------------------------


def snippet_audio_for_reviewer(user, task, *, now, address: str | None = None, byte_range: str = "",
                               view: str = "") -> StreamGrant:
    """The audio of the snippet a reviewer holds a lease on, for one request of one page view
    (`view`, from the stream token): the view's first request is its play. Denials are audited too."""
    read = Read("transcription", Actor.for_user(user, address or ""), task, user, now, address)
    return StreamGrant(audio=_play_or_stream(read, content.snippet_audio_of(task.snippet), view,
                                             details=_range(byte_range)))


def snippet_hypothesis_for_reviewer(user, task, *, now, address: str | None = None) -> str:
    """The redacted ASR hypothesis, for the reviewer holding the lease (audited view)."""
    read = Read("transcription", Actor.for_user(user, address or ""), task, user, now, address)
    return _text(_read(read, "hypothesis.view", content.hypothesis_of(task.snippet)))


def draft_for_reviewer(user, task, draft, *, now, address: str | None = None) -> str:
    """The reviewer's own autosaved draft, only while they hold the lease (audited)."""
    read = Read("transcription", Actor.for_user(user, address or ""), draft, user, now, address)
    return _text(_read(read, "draft.read", content.draft_of(draft, task.snippet)))


def own_transcript_for_reviewer(user, submission, *, now, address: str | None = None) -> str:
    """A reviewer's own just-submitted transcript, reopened to correct it (purpose "correction":
    their latest submission, within the correction window; audited)."""
    read = Read("correction", Actor.for_user(user, address or ""), submission, user, now, address)
    return _text(_read(read, actions.TRANSCRIPT_REOPEN, content.transcript_of(submission)))


# --- an operator's reads (exports, quality) ----------------------------------------------


def transcripts_for_export(actor: Actor, submissions, *, purpose: str = "export", user=None):
    """Yield (submission, text) for an export; one audit event per transcript read.

    Destroyed transcripts (accidental activation) and erased customers are left out.
    """
    for submission in submissions:
        sealed = content.transcript_of(submission)
        if sealed.empty or sealed.gone:
            continue
        try:
            data = _read(Read(purpose, actor, submission, user), "transcript.read", sealed)
        except ContentGone:
            continue
        yield submission, _text(data)


def snippet_audio_for_export(actor: Actor, snippet, *, purpose: str = "export", user=None) -> bytes | None:
    """The anonymized snippet audio for an export the operator asked for; one audit event, and
    one watermarked delivery (the exported copy names this read of this export).

    None when the snippet or its customer has been erased (the export simply leaves it out).
    """
    sealed = content.snippet_audio_of(snippet)
    if sealed.gone:
        return None
    try:
        return _read(Read(purpose, actor, snippet, user), "snippet.read", sealed, deliver=_marked_delivery(""))
    except ContentGone:
        return None


# --- the controller's escalation staff ---------------------------------------------------


def escalation_note_for_staff(user, case, *, address: str | None = None) -> str:
    """The reviewer's note, for the controller's escalation staff only (audited, with purpose)."""
    read = Read("escalation review", Actor.for_user(user, address or ""), case, user, None, address)
    return _text(_read(read, "escalation_note.read", content.escalation_note_of(case)))


def snippet_audio_for_escalation(user, case, *, address: str | None = None, byte_range: str = "",
                                 view: str = "") -> StreamGrant:
    """An escalation officer's play of a flagged snippet: only there, only for them, audited;
    one play per page view of the case (`view`), as for reviewers."""
    read = Read("escalation review", Actor.for_user(user, address or ""), case, user, None, address)
    # held=True: a snippet a legal hold kept from its customer's erasure opens here, and only here.
    sealed = content.snippet_audio_of(case.snippet, object_id=case.snippet_id,
                                      customer_pseudonym=case.customer_pseudonym, held=True)
    case_ref = {"case": str(case.id)}
    return StreamGrant(audio=_play_or_stream(read, sealed, view, details={**case_ref, **_range(byte_range)},
                                             denied_details=case_ref))
