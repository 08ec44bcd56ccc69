"""Evaluation speech, generated at run time (nothing committed, never customer data).

Real recorded speakers from Debian's asterisk prompt packages plus synthetic voices (flite,
festival, espeak-ng). English utterances with known text are used for WER; every speaker's
utterances (any language) for speaker re-identification.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quietroom import testspeech

# Neutral sentences for synthetic voices (no personal data; numbers kept out so WER is about
# words, not number formatting).
SENTENCES = (
    "thank you for calling how can i help you today",
    "i would like to change the delivery address on my order",
    "could you please hold the line for a moment",
    "the parcel arrived yesterday but the box was damaged",
    "i have already tried restarting the device twice",
    "let me check that for you right away",
    "is there anything else i can help you with",
    "the weather has been lovely this week",
    "please turn the kitchen lights off",
    "what time does the pharmacy close tonight",
    "remind me to water the plants after work",
    "play some quiet music in the living room",
    "how long will it take to drive to the station",
    "add milk and bread to my shopping list",
    "the meeting has been moved to the afternoon",
    "set a timer for twenty minutes",
)


@dataclass(frozen=True)
class Utterance:
    speaker: str
    audio: np.ndarray  # 16 kHz mono float32
    text: str | None  # reference transcript when known (English only)
    real: bool  # recorded human speech, not synthesised


def _trim(x: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > 1e-3)
    return x[max(0, idx[0] - 800) : idx[-1] + 800] if idx.size else x


def build(speakers: int | None = None, per_speaker: int = 8, seed: int = 0) -> list[Utterance]:
    """`per_speaker` utterances for up to `speakers` speakers (real speakers first)."""
    rng = np.random.default_rng(seed)
    out: list[Utterance] = []
    labels: list[str] = []
    english = {p.path.name: p.text for p in testspeech.asterisk_prompts()}
    for folder, label in testspeech.ASTERISK_SPEAKERS.items():
        files = testspeech.asterisk_speaker_files(folder)
        if len(files) < per_speaker:
            continue
        labels.append(label)
        for i in rng.choice(len(files), size=per_speaker, replace=False):
            path = files[int(i)]
            text = english.get(path.name) if folder.startswith("en_") else None
            out.append(Utterance(label, _trim(testspeech.read_file_16k(path)), text, True))
        if speakers and len(labels) >= speakers:
            return out
    for label, speak in testspeech.synthetic_voices():
        labels.append(label)
        for i in rng.choice(len(SENTENCES), size=min(per_speaker, len(SENTENCES)), replace=False):
            out.append(Utterance(label, _trim(speak(SENTENCES[int(i)])), SENTENCES[int(i)], False))
        if speakers and len(labels) >= speakers:
            break
    return out
