"""The evaluation's per-utterance steps as module-level functions of one picklable argument,
so `parallel.Workers` can run them in worker processes. Each step draws from its own seed: the
figures do not depend on how many workers there are or which one took an item."""
from __future__ import annotations

import numpy as np

from quietroom.deid import anonymize, asr

from . import speaker


def embed(audio: np.ndarray) -> np.ndarray:
    return speaker.embed(audio)


def anonymise(args) -> np.ndarray:
    """(profile name, audio, seed) -> the audio anonymised once."""
    profile_name, audio, seed = args
    return anonymize.anonymize(audio, anonymize.get_profile(profile_name), np.random.default_rng(seed))[0]


def anonymise_and_embed(args) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(profile name, audio, seed) -> (enrolment embedding, trial embedding, trial audio): two
    independent anonymisations of one utterance, as the lazy- and semi-informed attackers see it."""
    profile_name, audio, seed = args
    profile, rng = anonymize.get_profile(profile_name), np.random.default_rng(seed)
    enrol, _ = anonymize.anonymize(audio, profile, rng)
    trial, _ = anonymize.anonymize(audio, profile, rng)
    return speaker.embed(enrol), speaker.embed(trial), trial


def transcribe(args) -> str:
    """(bundled Whisper model name, audio) -> the hypothesis text."""
    model, audio = args
    return asr.get_engine(model=model).transcribe(audio).text
