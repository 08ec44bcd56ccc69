"""The embedder's numba kernels compute what its numpy code computed (issue 20): the marked audio
within 1e-6 of the numpy reference below, on speech, at the edges of the kernels' chunks, for
both formats, and the mark still traces. Where numba can cache nowhere, they compile quietly.

The reference is the numpy embedder as it was written until the kernels replaced it (7124922),
kept here as the specification: short, array-at-a-time, every step as the docstrings say.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

from quietroom import watermark
from quietroom.deid import audio_io
from quietroom.watermark import embedding, features, keys, layout

from tests.numba_cache import run_with_nowhere_to_cache

from .test_watermark import KEY, _snippet

#: Max abs difference allowed, on audio in [-1, 1]. The mark itself moves samples by more than
#: 1e-3 at its largest: a wrong gain, clip or window shows far above this.
TOLERANCE = 1e-6


def reference_embed(x: np.ndarray, pattern: np.ndarray, strength: float, host_cancel: float, fmt: int) -> np.ndarray:
    hop, n = layout.EMBED_HOP, layout.N_FFT
    window = np.sqrt(np.hanning(n + 1)[:-1]).astype(np.float32)
    band = slice(layout.FIRST_BIN, layout.FIRST_BIN + layout.BANDS * layout.BAND_BINS)
    frames_per_cell = layout.CELL_SAMPLES // hop
    count = -(-x.size // hop) + 1
    padded = np.zeros((count + 1) * hop, dtype=np.float32)
    padded[hop:hop + x.size] = x  # frame f is centred on sample f * hop
    frames = np.lib.stride_tricks.sliding_window_view(padded, n)[::hop][:count] * window
    spectrum = scipy.fft.rfft(frames, axis=1, workers=1)[:, band]
    cell = np.arange(count) // frames_per_cell
    power = spectrum.real ** 2 + spectrum.imag ** 2

    def per_cell(values):  # frame values summed per cell, float64
        summed = np.zeros(((cell[-1] + 1) * frames_per_cell, *values.shape[1:]))
        summed[:count] = values
        return summed.reshape(cell[-1] + 1, frames_per_cell, *values.shape[1:]).sum(axis=1)

    chips = strength * pattern[cell % layout.PERIOD_CELLS]  # (frames, BANDS)
    if fmt == 1:
        if host_cancel:
            energy = per_cell(power.reshape(count, layout.BANDS, layout.BAND_BINS).sum(axis=2))
            contrast = features.whiten(np.log(energy + max(float(energy.max()), 1e-20) * 1e-7))
            chips = chips - host_cancel / 2 * contrast[cell]
        gain = np.exp(np.repeat(chips, layout.BAND_BINS, axis=1))
    else:
        halves = features.half_band_energy(power)
        if host_cancel:
            chips = chips - host_cancel / 4 * features.whiten_tilt(features.tilt(per_cell(halves)))[cell]
        lower, upper = np.exp(2 * chips), np.exp(-2 * chips)
        halves = halves + 1e-20
        keep = (halves[..., 0] + halves[..., 1]) / (lower * halves[..., 0] + upper * halves[..., 1])
        amplitude = np.sqrt(np.clip(np.stack([lower * keep, upper * keep], axis=2), 0.05, 20.0))
        gain = np.repeat(amplitude, layout.BAND_BINS // 2, axis=2).reshape(count, -1)
    change = np.zeros((count, n // 2 + 1), dtype=np.complex64)
    change[:, band] = spectrum * (gain.astype(np.float32) - np.float32(1.0))
    delta = scipy.fft.irfft(change, n=n, axis=1, workers=1) * window
    added = np.zeros((count + 1, hop), dtype=np.float32)  # overlap-add at hop = n / 2
    added[:-1] += delta[:, :hop]
    added[1:] += delta[:, hop:]
    out = x + added.reshape(-1)[hop:hop + x.size]
    peak = float(np.abs(out).max())
    return out / peak if peak > 1.0 else out


def reference(x, serial, fmt, strength=None, host_cancel=None):
    if fmt == 1:
        settings = (embedding.STRENGTH if strength is None else strength,
                    embedding.HOST_CANCEL if host_cancel is None else host_cancel)
    else:
        settings = (embedding.TILT_STRENGTH if strength is None else strength,
                    embedding.TILT_HOST_CANCEL if host_cancel is None else host_cancel)
    return reference_embed(np.asarray(x, dtype=np.float32), keys.cell_chips(KEY.secret, serial), *settings, fmt)


@pytest.fixture(scope="module")
def speech():
    return _snippet(5.0, 10.0)


@pytest.mark.parametrize("fmt", [2, 1])
# 1.2: a step strong enough that format 2's gains reach their clip (0.05 and 20 in power)
@pytest.mark.parametrize(("strength", "host_cancel"), [(None, None), (None, 0.0), (0.3, 0.9), (1.2, 0.7)])
def test_the_kernels_mark_speech_as_the_numpy_reference(speech, fmt, strength, host_cancel):
    marked = watermark.embed(speech, KEY, 8_765_432, strength, host_cancel, format=fmt)
    expected = reference(speech, 8_765_432, fmt, strength, host_cancel)
    assert marked.dtype == np.float32 and marked.shape == speech.shape
    assert np.abs(marked - expected).max() <= TOLERANCE
    assert np.abs(marked - speech).max() > 1e-3  # and there is a mark to compare


def test_what_the_kernels_mark_traces_back(speech):
    finding = watermark.trace(watermark.embed(speech, KEY, 8_765_432), [KEY], formats=(2,))
    assert finding.found and finding.serial == 8_765_432


@pytest.mark.parametrize("fmt", [2, 1])
def test_chunk_edges_and_short_clips(fmt):
    """Clips ending just before, at and after a chunk of frames, a few samples, and one sample."""
    hop, chunk = layout.EMBED_HOP, embedding._CHUNK
    rng = np.random.default_rng(5)
    # count = ceil(size / hop) + 1 frames: one chunk less one frame, exactly one and two, and one more
    sizes = [1, 5, hop - 1, hop, hop + 1, (chunk - 2) * hop, (chunk - 1) * hop, (chunk - 1) * hop + 1,
             (2 * chunk - 1) * hop, (2 * chunk - 1) * hop + 3]
    for size in sizes:
        x = (rng.normal(0, 0.1, size) * np.sin(np.arange(size) / 700.0)).astype(np.float32)
        assert np.abs(watermark.embed(x, KEY, 99, format=fmt) - reference(x, 99, fmt)).max() <= TOLERANCE, size


def test_a_clip_at_full_scale_is_scaled_as_the_reference(speech):
    loud = np.clip(speech * (4.0 / np.abs(speech).max()), -1.0, 1.0).astype(np.float32)  # clipped peaks
    marked = watermark.embed(loud, KEY, 3)
    assert np.abs(marked).max() == pytest.approx(1.0)
    assert np.abs(marked - reference(loud, 3, 2)).max() <= TOLERANCE


def test_read_only_and_strided_input_use_the_kernels_already_compiled(speech):
    """A reviewer's play must not wait for a compile: numba types a read-only or strided array
    as another argument type, so `embed` hands the kernels a fresh contiguous copy."""
    expected = watermark.embed(speech, KEY, 11)
    compiled = {name: len(getattr(embedding, name).signatures) for name in ("_marked", "_frames", "_overlap_add")}
    read_only = speech.copy()
    read_only.setflags(write=False)
    strided = np.repeat(speech, 2)[::2]
    assert np.array_equal(watermark.embed(read_only, KEY, 11), expected)
    assert np.array_equal(watermark.embed(strided, KEY, 11), expected)
    assert {name: len(getattr(embedding, name).signatures) for name in compiled} == compiled


@pytest.mark.parametrize("level", [0.0, 0.05, 0.5, 4.0])  # silence, speech, loud, clipped at full scale
def test_sixteen_bit_samples_are_marked_as_the_float_path_writes_them(speech, level):
    """A play's WAV (embed_pcm16 between the sealed snippet's samples and the stream's) is the
    file decode, embed and encode wrote, byte for byte, saturation and the loud clip's scaling
    included."""
    sealed = audio_io.encode_wav(np.clip(speech * (level / max(np.abs(speech).max(), 1e-9)), -1, 1) if level else
                                 np.zeros(speech.size, dtype=np.float32))
    pcm, rate = audio_io.own_wav_pcm16(sealed)
    float_path = audio_io.encode_wav(watermark.embed(audio_io.to_pipeline_format(*audio_io.decode_own_wav(sealed)),
                                                     KEY, 4_321))
    assert audio_io.wav_of_pcm16(watermark.embed_pcm16(pcm, KEY, 4_321), rate) == float_path
    if level:
        assert float_path != sealed  # and there was a mark to write


def test_sixteen_bit_input_of_any_length_and_shape():
    assert watermark.embed_pcm16(np.zeros(0, dtype=np.int16), KEY, 1).size == 0
    one = np.array([1234], dtype=np.int16)
    assert watermark.embed_pcm16(one, KEY, 1).dtype == np.int16
    with pytest.raises(ValueError, match="mono"):
        watermark.embed_pcm16(np.zeros((10, 2), dtype=np.int16), KEY, 1)


FALLBACK_SCRIPT = """
import numpy as np
from quietroom.watermark import embedding, keys
x = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
np.save(__import__("sys").argv[1], embedding.embed(x, keys.WatermarkKey(b"k" * 32), 77))
print(type(embedding._frames._cache).__name__)
"""


@pytest.mark.system
def test_without_a_writable_cache_the_kernels_compile_quietly(tmp_path):
    """numba refuses cache=True where it can write nowhere (a read-only install and home): the
    kernels are then compiled in each process, with no error and no warning (tests/numba_cache.py)."""
    result = run_with_nowhere_to_cache(tmp_path, FALLBACK_SCRIPT, str(tmp_path / "marked.npy"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "NullCache" and result.stderr == ""
    x = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    assert np.array_equal(np.load(tmp_path / "marked.npy"), embedding.embed(x, keys.WatermarkKey(b"k" * 32), 77))
