"""Decode limits for customer audio, read from settings (shared by ingestion and the pipeline)."""
from __future__ import annotations

from django.conf import settings

from quietroom.deid.audio_io import DecodeLimits


def decode_limits() -> DecodeLimits:
    """The configured decode limits (settings.QUIETROOM AUDIO_MAX_*), for every decode of
    customer audio: ingestion, and the pipeline's decode of the stored raw recording."""
    knobs = settings.QUIETROOM
    return DecodeLimits(
        max_seconds=float(knobs.get("AUDIO_MAX_MINUTES", 30)) * 60,
        max_channels=int(knobs.get("AUDIO_MAX_CHANNELS", 2)),
        max_rate=int(knobs.get("AUDIO_MAX_RATE", 48_000)),
        max_decoded_bytes=int(knobs.get("AUDIO_MAX_DECODED_MB", 256)) * 1024 * 1024,
    )
