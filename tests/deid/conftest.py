"""Short clips shared by the de-identification tests (generated, never committed)."""
from __future__ import annotations

import numpy as np
import pytest

from quietroom import testspeech


@pytest.fixture(scope="session")
def prompt():
    """One real recorded asterisk prompt (16 kHz) with its transcript, a little silence around."""
    pool = [p for p in testspeech.conversation_prompts(min_seconds=1.5, max_seconds=3.0) if len(p.text.split()) >= 4]
    if not pool:
        pytest.skip("asterisk prompts not installed (scripts/system-deps.sh)")
    p = pool[0]
    x = testspeech.read_file_16k(p.path)
    pad = np.zeros(4000, dtype=np.float32)
    return np.concatenate([pad, x, pad]), p.text


@pytest.fixture(scope="session")
def phone_clip():
    """A synthetic voice saying a name and a phone number, with the words' known text."""
    text = "Hello my name is John Smith and my phone number is oh seven seven double oh nine one two three four five six."
    return testspeech.synthesize_flite(text, "slt"), text
