"""The suite's shared de-identification results (tests/conftest.py, `_DeidOncePerRun`): computed
once per run, sealed on disk, refused under another key."""
import dataclasses

import numpy as np
import pytest

from quietroom.vault.errors import DecryptionError
from tests.conftest import _DeidOncePerRun


class _CountingPipeline:
    """Stands in for quietroom.deid.pipeline here only: the subject is the sharing, not the pipeline."""

    @dataclasses.dataclass(frozen=True)
    class DeidConfig:
        language: str = "en"

    def __init__(self):
        self.calls = 0

    def deidentify(self, samples, config, **kwargs):
        self.calls += 1
        return [{"hypothesis": "my number is [PHONE_NUMBER]", "audio": samples[::2].copy()}]


def test_a_recording_is_deidentified_once_per_run_and_sealed_on_disk(tmp_path):
    key = bytes(range(32)).hex()
    samples = np.linspace(-0.5, 0.5, 1600, dtype=np.float32)
    first, second = _CountingPipeline(), _CountingPipeline()
    made = _DeidOncePerRun(first, str(tmp_path), key).deidentify(samples)
    again = _DeidOncePerRun(second, str(tmp_path), key).deidentify(samples)  # another process of the run
    assert (first.calls, second.calls) == (1, 0)
    assert again[0]["hypothesis"] == made[0]["hypothesis"] and np.array_equal(again[0]["audio"], made[0]["audio"])
    (stored,) = tmp_path.iterdir()
    data = stored.read_bytes()
    assert b"PHONE_NUMBER" not in data and made[0]["audio"].tobytes()[:64] not in data
    with pytest.raises(DecryptionError):
        _DeidOncePerRun(_CountingPipeline(), str(tmp_path), bytes(32).hex()).deidentify(samples)
    other = samples.copy()
    other[0] = 0.25  # another recording is computed, not served from the share
    _DeidOncePerRun(second, str(tmp_path), key).deidentify(other)
    assert second.calls == 1


def test_without_a_share_each_process_keeps_its_own(tmp_path):
    pipeline = _CountingPipeline()
    share = _DeidOncePerRun(pipeline)
    samples = np.zeros(800, dtype=np.float32)
    share.deidentify(samples)
    share.deidentify(samples)
    assert pipeline.calls == 1 and not list(tmp_path.iterdir())
