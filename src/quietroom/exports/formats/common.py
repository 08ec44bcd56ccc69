"""What every export format shares (kept out of the package's __init__, which imports the formats)."""
from __future__ import annotations


def audio_name(item) -> str:
    return f"audio/{item.utterance_id}.wav"
