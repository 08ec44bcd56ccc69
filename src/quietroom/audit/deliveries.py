"""Watermarked deliveries (issue 19): the audio of every play and every export carries its own
serial, so a leaked copy names the delivery it came from.

The gate calls `record` in the transaction of the audit event that releases the audio, and
`mark_wav` on the bytes it hands out. Serials count up per key; they are taken after the audit
append has locked the log's head, so two deliveries never take the same one. The watermark
key is a secret of the settings (QUIETROOM_WATERMARK_KEY, kept outside the database like the
audit keys): the database alone can neither read nor forge a mark.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import connection

from quietroom import watermark
from quietroom.deid import audio_io

from . import log
from .models import AuditEvent, Delivery


class KeyExhausted(RuntimeError):
    """Every serial of the current watermark key is taken: the operator starts a new key."""


def _key(secret: str) -> watermark.WatermarkKey:
    raw = secret.encode("utf-8")
    return watermark.WatermarkKey(hashlib.sha256(b"quietroom/watermark/secret\n" + raw).digest(),
                                  key_id=hashlib.sha256(b"quietroom/watermark/key-id\n" + raw).hexdigest()[:12])


def current_key() -> watermark.WatermarkKey:
    return _key(settings.WATERMARK_KEY)


def keys() -> list[watermark.WatermarkKey]:
    """The current key, then the retired ones (they still trace what they marked)."""
    return [current_key(), *(_key(secret) for secret in settings.WATERMARK_RETIRED_KEYS)]


def _key_by_id(key_id: str) -> watermark.WatermarkKey:
    for key in keys():
        if key.key_id == key_id:
            return key
    raise KeyError("the watermark key of this delivery is no longer configured")


_TABLE = connection.ops.quote_name(Delivery._meta.db_table)
# The next serial of the key and the row in one statement (every play takes one); no row comes
# back when the key's serials are used up (the HAVING), and then nothing was inserted.
_KEY, _SERIAL, _EVENT, _VIEW, _OBJECT = (connection.ops.quote_name(Delivery._meta.get_field(name).column)
                                        for name in ("key_id", "serial", "event", "view", "object_id"))


def _next_sql(event: str) -> str:
    """The delivery INSERT with the event's id given as `event` (a parameter, or the id of the
    event inserted beside it)."""
    return (f"INSERT INTO {_TABLE} ({_KEY}, {_SERIAL}, {_EVENT}, {_VIEW}, {_OBJECT}) "
            f"SELECT %s, COALESCE(MAX({_SERIAL}), 0) + 1, {event}, %s, %s FROM {_TABLE} WHERE {_KEY} = %s "
            f"HAVING COALESCE(MAX({_SERIAL}), 0) < %s RETURNING id, {_SERIAL}")


_NEXT = _next_sql("%s")
# The same, written by the play's own audit statement (PostgreSQL, `log.Rider`).
_NEXT_WITH_EVENT = _next_sql("(SELECT id FROM appended)")


def _stored(delivery: Delivery, row) -> Delivery:
    """`delivery` as the row (id, serial) its INSERT returned; no row: the key's serials are used up."""
    if row is None or row[0] is None:
        raise KeyExhausted("every watermark serial of QUIETROOM_WATERMARK_KEY is used: set a new key and move "
                           "the old one to QUIETROOM_WATERMARK_RETIRED_KEYS")
    delivery.id, delivery.serial = row
    delivery._state.adding, delivery._state.db = False, connection.alias
    return delivery


class Pending:
    """A delivery to be written with its audit event (PostgreSQL): `rider` goes to `log.record`,
    then `delivery(event)` is the row that statement wrote. The serial is taken under the head
    lock the append holds, as in `record`."""

    def __init__(self, view: str, object_id: str):
        self.key_id, self.view, self.object_id = current_key().key_id, view[:64], str(object_id)
        self.rider = log.Rider(_NEXT_WITH_EVENT, [self.key_id, self.view, self.object_id, self.key_id,
                                                  watermark.MAX_SERIAL], ("id", _SERIAL))

    def delivery(self, event: AuditEvent) -> Delivery:
        return _stored(Delivery(key_id=self.key_id, event=event, view=self.view, object_id=self.object_id),
                       getattr(event, "rider_row", None))


def pending(view: str, object_id) -> Pending | None:
    """A new delivery written by its audit event's statement, where the database allows it
    (PostgreSQL); None: call `record` after the event instead."""
    return Pending(view, object_id) if connection.vendor == "postgresql" else None


def record(event: AuditEvent, *, view: str = "") -> Delivery:
    """A new delivery for `event` (inside its transaction, after the append locked the head, so
    two deliveries never read the same last serial)."""
    key = current_key()
    delivery = Delivery(key_id=key.key_id, event=event, view=view[:64], object_id=event.object_id)
    with connection.cursor() as cursor:
        cursor.execute(_NEXT, [delivery.key_id, event.pk, delivery.view, delivery.object_id, delivery.key_id,
                               watermark.MAX_SERIAL])
        row = cursor.fetchone()
    return _stored(delivery, row)


def of_view(view: str, object_id: str) -> Delivery | None:
    """The delivery of a page view's play: its further requests get the same marked bytes."""
    if not view:
        return None
    return Delivery.objects.filter(view=view[:64], object_id=str(object_id)).order_by("id").first()


# The marked bytes of the last few deliveries: a page view's further requests (the player's
# range requests, the waveform) are the same delivery of the same audio, so they get the bytes
# marked for its first request instead of embedding the mark again. Only consulted with audio
# the gate has just decrypted for an allowed read, and used only where that audio is the one
# the bytes were marked in (kept beside them); kept briefly, in memory only.
_MARKED_SECONDS = 60.0
_MARKED_MAX = 16
_marked: OrderedDict = OrderedDict()
_marked_lock = threading.Lock()


def mark_wav(audio: bytes, delivery: Delivery) -> bytes:
    """The snippet's WAV with the delivery's serial in it (the same bytes for the same delivery)."""
    return _mark(audio, delivery.key_id, delivery.serial, _key_by_id(delivery.key_id))


def _mark(audio: bytes, key_id: str, serial: int, watermark_key: watermark.WatermarkKey) -> bytes:
    key = (key_id, serial)
    now = time.monotonic()
    with _marked_lock:
        hit = _marked.get(key)
    # A further request of the play gets its bytes only for the very audio they were marked in
    # (compared whole: cheaper than a digest of every play's audio, and a play never hits).
    if hit is not None and hit[0] > now and hit[1] == audio:
        with _marked_lock:
            if key in _marked:
                _marked.move_to_end(key)
        return hit[2]
    own = audio_io.own_wav_pcm16(audio)  # our own sealed snippet: trusted
    if own is not None and own[1] == audio_io.PIPELINE_RATE:  # every snippet QuietRoom seals
        wav = audio_io.wav_of_pcm16(watermark.embed_pcm16(own[0], watermark_key, serial))
    else:
        samples, rate = audio_io.decode_own_wav(audio)
        wav = audio_io.encode_wav(watermark.embed(audio_io.to_pipeline_format(samples, rate), watermark_key, serial))
    with _marked_lock:
        _marked[key] = (now + _MARKED_SECONDS, audio, wav)
        while len(_marked) > _MARKED_MAX or (_marked and next(iter(_marked.values()))[0] <= now):
            _marked.popitem(last=False)
    return wav


def start_marking(audio: bytes, delivery: Delivery) -> Future:
    """`mark_wav` on a marking thread of this process: the future's result is the marked WAV.

    The embedding is one compiled call that never holds the interpreter lock
    (watermark.embedding), so it runs on the second core while the request's own thread goes on
    with its database round trips. The key is looked up here, inside the play's transaction, so
    a delivery whose key is gone still fails there."""
    watermark_key = _key_by_id(delivery.key_id)
    return _pool().submit(_mark, audio, delivery.key_id, delivery.serial, watermark_key)


# The marking threads. Made on first use in the process that uses them (a pool made before
# gunicorn forks its workers would have no threads in them); two, as a worker serves two
# requests at once (ops/serving.py) and the machine has few cores.
_MARKING_THREADS = 2
_marking: tuple[int, ThreadPoolExecutor] | None = None
_marking_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _marking
    with _marking_lock:
        if _marking is None or _marking[0] != os.getpid():
            _marking = (os.getpid(), ThreadPoolExecutor(_MARKING_THREADS, thread_name_prefix="quietroom-mark"))
        return _marking[1]


def find(finding: watermark.Finding) -> Delivery | None:
    if not finding.found:
        return None
    return Delivery.objects.select_related("event").filter(key_id=finding.key_id, serial=finding.serial).first()
