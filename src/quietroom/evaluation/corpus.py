"""Evaluation speech, generated at run time (nothing committed, never customer data).

Real recorded speakers from Debian's asterisk prompt packages plus synthetic voices (flite,
festival, espeak-ng). Every speaker's utterances (any language) are used for speaker
re-identification; WER is measured on real recorded English only (`real_english`): the
synthetic voices' sentences hid most of what anonymisation costs a listener (issue 18).
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


def real_english(n: int = 200, seed: int = 0, min_seconds: float = 1.0, max_seconds: float = 10.0) -> list[Utterance]:
    """`n` real recorded en-US prompts of `min_seconds`..`max_seconds` that have a transcript,
    drawn at random (seeded), in prompt order.

    Debian's asterisk-core-sounds-en package has about 280 such prompts. They are all one
    speaker (Allison): the only real English voice with transcripts in the installed packages,
    so WER is measured on many utterances of one studio voice, not on many voices.
    """
    import soundfile as sf

    pool = []
    for p in testspeech.asterisk_prompts():
        info = sf.info(str(p.path))
        if min_seconds <= info.frames / info.samplerate <= max_seconds:
            pool.append(p)
    if not pool:
        raise RuntimeError("no real English prompts with transcripts: install asterisk-core-sounds-en-wav "
                           "(scripts/system-deps.sh)")
    picks = sorted(np.random.default_rng(seed).choice(len(pool), size=min(n, len(pool)), replace=False))
    return [Utterance("asterisk-allison", _trim(testspeech.read_file_16k(pool[int(i)].path)), pool[int(i)].text, True)
            for i in picks]
