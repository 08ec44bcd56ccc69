"""Tracing a leaked copy of a snippet back to the delivery it came from (issue 19).

Any audio QuietRoom can decode (WAV, FLAC, OGG/Opus, MP3), a whole snippet or a piece of one,
re-encoded or re-recorded: the watermark detector looks for a serial under every configured
key and, when one is found with a false-alarm probability of at most 1e-9, the delivery table
names the audit event of that play or export: when, for what purpose, to which reviewer
pseudonym; the person's real identity only for those who may map pseudonyms back (PRIVACY).
Every trace is itself audited (`watermark.trace`), found or not; the file is held in memory
only and the audit entry keeps its SHA-256 and length, never its audio.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from quietroom import watermark
from quietroom.accounts.models import User
from quietroom.accounts.permissions import PRIVACY, VIEW_AUDIT, has_permission
from quietroom.audit import deliveries
from quietroom.audit.log import Actor, record
from quietroom.deid import audio_io
from quietroom.recordings.limits import decode_limits

TRACE = "watermark.trace"


class TraceRefused(ValueError):
    """The file cannot be traced (not audio, too large, empty); the message names why."""


@dataclass(frozen=True)
class Traced:
    found: bool
    score: float                  # z-score of the serial's verification pattern
    false_alarm: float            # bound on the chance that audio without this mark scores as high
    seconds: float                # length of the audio traced
    event_seq: int | None = None  # the audit event of the delivery
    at: datetime | None = None
    action: str = ""              # snippet.play, snippet.stream, snippet.read (export)
    purpose: str = ""
    recipient_pseudonym: str = ""
    recipient: str = ""           # real identity: only for PRIVACY holders, else ""
    organisation: str = ""
    site: str = ""
    snippet: str = ""

    def lines(self) -> list[str]:
        """The answer in words (the command prints these; the page shows the same facts)."""
        odds = f"score z = {self.score:.1f}, false-alarm probability <= {self.false_alarm:.1e}"
        if not self.found:
            return [f"no mark found ({self.seconds:.1f} s traced; best {odds}, above the 1e-09 needed)"]
        out = [f"delivery found: audit event #{self.event_seq} ({self.action}) at {self.at:%Y-%m-%d %H:%M:%S %Z}",
               f"purpose: {self.purpose}", f"snippet: {self.snippet}",
               f"recipient (pseudonym): {self.recipient_pseudonym or '-'}"
               + (f" ({self.organisation}{', ' + self.site if self.site else ''})" if self.organisation else "")]
        if self.recipient:
            out.append(f"recipient (identity): {self.recipient}")
        out.append(odds)
        return out


def may_trace(user) -> bool:
    return has_permission(user, PRIVACY) or has_permission(user, VIEW_AUDIT)


def trace_file(data: bytes, user, *, address: str = "", name: str = "") -> Traced:
    """Trace `data` for `user` (who must hold PRIVACY or VIEW_AUDIT); audited either way."""
    actor = Actor.for_user(user, address)
    facts = {"file_sha256": hashlib.sha256(data).hexdigest(), "file_bytes": len(data)}
    try:
        samples, rate = audio_io.decode_audio(data, decode_limits())
    except audio_io.AudioDecodeError as problem:
        record(actor, TRACE, outcome="failed", details={**facts, "reason": str(problem)})
        raise TraceRefused(f"{name or 'the file'}: {problem}") from None
    audio = audio_io.to_pipeline_format(samples, rate)
    finding = watermark.trace(audio, deliveries.keys())
    delivery = deliveries.find(finding)
    seconds = audio.size / audio_io.PIPELINE_RATE
    details = {**facts, "seconds": round(seconds, 2), "score": round(finding.score, 2),
               "false_alarm": float(f"{finding.false_alarm:.3g}"), "found": delivery is not None}
    if delivery is None:
        record(actor, TRACE, details=details)
        return Traced(False, finding.score, finding.false_alarm, seconds)
    event = delivery.event
    record(actor, TRACE, object_type="audit_event", object_id=str(event.seq), customer=event.customer,
           details={**details, "delivery_event": event.seq})
    return Traced(True, finding.score, finding.false_alarm, seconds, event.seq, event.at, event.action, event.purpose,
                  event.actor_pseudonym, _identity(event.actor) if has_permission(user, PRIVACY) else "",
                  event.organisation, event.site, event.object_id)


def _identity(username: str) -> str:
    person = User.objects.filter(username=username).first()
    if person is None:
        return username
    full = person.get_full_name()
    return f"{full} ({username})" if full else username
