import io

import numpy as np
import pytest
import soundfile as sf

from quietroom.deid.audio_io import (
    PIPELINE_RATE,
    AudioDecodeError,
    decode_audio,
    decode_own_wav,
    duration_seconds,
    encode_wav,
    load_for_pipeline,
    to_pipeline_format,
)
from quietroom.testspeech import encode_audio, write_audio


def tone(freq=440.0, seconds=1.0, rate=16000, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x, rate):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)]


@pytest.mark.parametrize(
    "fmt, lossless", [("wav", True), ("flac", True), ("ogg", False), ("opus", False), ("mp3", False)]
)
def test_decode_round_trip(fmt, lossless):
    x = tone(seconds=1.5)
    samples, rate = decode_audio(encode_audio(x, 16000, fmt))
    assert rate == 16000
    assert samples.dtype == np.float32 and samples.ndim == 1
    if lossless:
        assert samples.shape == x.shape
        np.testing.assert_allclose(samples, x, atol=1 / 32768)
    else:
        assert abs(samples.size - x.size) <= 0.05 * x.size
        assert abs(peak_hz(samples, rate) - 440) < 5


def test_write_audio_file_decodes(tmp_path):
    path = write_audio(tmp_path / "t.flac", tone(), 16000, "flac")
    assert decode_audio(path.read_bytes())[0].size == 16000


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty input"),
        (b"this is not audio at all" * 50, "not a recognised audio format"),
        (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "not a recognised audio format"),
    ],
)
def test_bad_input_raises(data, reason):
    with pytest.raises(AudioDecodeError, match=reason):
        decode_audio(data)


def test_zero_frames_and_nan_rejected():
    header_only = encode_audio(np.zeros(0, dtype=np.float32), 16000, "wav")
    with pytest.raises(AudioDecodeError, match="no audio frames"):
        decode_audio(header_only)
    buf = io.BytesIO()
    sf.write(buf, np.array([0.1, np.nan, 0.2], dtype=np.float32), 16000, format="WAV", subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="non-finite"):
        decode_audio(buf.getvalue())


def test_error_message_is_short_and_contentless():
    with pytest.raises(AudioDecodeError) as info:
        decode_audio(b"SECRET-CUSTOMER-BYTES" * 10)
    assert "SECRET" not in str(info.value) and "BytesIO" not in str(info.value)


def test_stereo_44k_to_mono_16k():
    x = tone(seconds=2.0, rate=44100)
    stereo = np.stack([x, -x], axis=1)  # opposite phase: a true mean cancels out
    samples, rate = decode_audio(encode_audio(stereo, 44100, "wav"))
    assert samples.shape == (88200, 2) and rate == 44100
    mono = to_pipeline_format(samples, rate)
    assert mono.ndim == 1 and mono.dtype == np.float32
    assert mono.size == 32000
    assert np.abs(mono).max() < 1e-3
    one_sided = load_for_pipeline(encode_audio(np.stack([x, np.zeros_like(x)], axis=1), 44100, "wav"))
    assert np.abs(one_sided).max() == pytest.approx(0.15, abs=0.01)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_keeps_frequency(rate):
    out = to_pipeline_format(tone(seconds=1.0, rate=rate), rate)
    assert out.size == PIPELINE_RATE
    assert abs(peak_hz(out, PIPELINE_RATE) - 440) < 2


def test_to_pipeline_clips():
    out = to_pipeline_format(np.array([2.0, -3.0, 0.5] * 100, dtype=np.float32), PIPELINE_RATE)
    assert out.max() <= 1.0 and out.min() >= -1.0


def test_encode_wav():
    data = encode_wav(np.array([1.5, -1.5, 0.25] * 800, dtype=np.float32))
    info = sf.info(io.BytesIO(data))
    assert (info.samplerate, info.subtype, info.frames) == (16000, "PCM_16", 2400)
    samples, _ = decode_audio(data)
    assert samples[0] > 0.99 and samples[1] == -1.0  # saturated, not wrapped
    with pytest.raises(ValueError):
        encode_wav(np.array([np.nan], dtype=np.float32))


def test_duration_seconds():
    assert duration_seconds(np.zeros(24000)) == 1.5
    assert duration_seconds(np.zeros((8000, 2)), 8000) == 1.0


# --- decode bombs (issue 14, hole 6) -------------------------------------------------------


def silent_flac(rate: int, channels: int, seconds: float) -> bytes:
    """Silence as FLAC, written in blocks: tiny on disk, huge once decoded."""
    buffer = io.BytesIO()
    block = np.zeros((1 << 16, channels), dtype="int16")
    with sf.SoundFile(buffer, "w", samplerate=rate, channels=channels, format="FLAC", subtype="PCM_16") as f:
        left = int(rate * seconds)
        while left > 0:
            f.write(block[:min(left, block.shape[0])])
            left -= block.shape[0]
    return buffer.getvalue()


@pytest.mark.parametrize("rate, channels, seconds, reason", [
    (8000, 8, 1, "8 channels (limit 2)"),
    (96000, 1, 1, "sample rate 96000 Hz (limit 48000 Hz)"),
    (8000, 1, 31 * 60, "31.0 minutes long (limit 30.0 minutes)"),
])
def test_a_header_above_the_limits_is_refused_before_decoding(monkeypatch, rate, channels, seconds, reason):
    from quietroom.deid.audio_io import AudioTooLarge

    data = silent_flac(rate, channels, seconds)
    reads = []
    monkeypatch.setattr(sf.SoundFile, "read", lambda self, *a, **k: reads.append(1))
    with pytest.raises(AudioTooLarge) as refused:
        decode_audio(data)
    assert reason in str(refused.value) and str(refused.value).startswith("refused before decoding")
    assert reads == []  # not one sample decoded


def test_the_decoded_size_limit_and_configured_limits():
    from quietroom.deid.audio_io import AudioTooLarge, DecodeLimits

    data = silent_flac(16000, 2, 60)  # one minute of stereo: 7.3 MiB of float32 from a few KB
    assert len(data) < 20_000
    assert decode_audio(data)[0].shape == (960000, 2)
    with pytest.raises(AudioTooLarge, match=r"would decode to 7 MiB \(limit 4 MiB\)"):
        decode_audio(data, DecodeLimits(max_decoded_bytes=4 * 1024 * 1024))
    with pytest.raises(AudioTooLarge, match=r"1.0 minutes long \(limit 0.5 minutes\)"):
        load_for_pipeline(data, DecodeLimits(max_seconds=30))
    assert decode_audio(silent_flac(96000, 8, 0.1), None)[0].shape == (9600, 8)  # limits=None: trusted only


def test_mono_wav_is_byte_for_byte_libsndfiles_and_reads_back_the_same():
    # encode_wav writes mono with the standard library's wave (the watermarked stream's hot path):
    # it must stay the file libsndfile writes, and decode_own_wav must read what decode_audio reads.
    x = (np.random.default_rng(3).standard_normal(16001) * 0.6).astype(np.float32)  # saturates some
    reference = io.BytesIO()
    sf.write(reference, np.clip(x, -1.0, 1.0), 16000, format="WAV", subtype="PCM_16")
    ours = encode_wav(x)
    assert ours == reference.getvalue()
    own, own_rate = decode_own_wav(ours)
    general, general_rate = decode_audio(ours)
    assert own_rate == general_rate == 16000 and np.array_equal(own, general)


def test_decode_own_wav_hands_anything_else_to_libsndfile():
    stereo = io.BytesIO()
    sf.write(stereo, np.zeros((800, 2), dtype=np.float32), 8000, format="WAV", subtype="PCM_16")
    samples, rate = decode_own_wav(stereo.getvalue())
    assert samples.shape == (800, 2) and rate == 8000
    flac = io.BytesIO()
    sf.write(flac, np.full(1600, 0.25, dtype=np.float32), 16000, format="FLAC")
    samples, rate = decode_own_wav(flac.getvalue())
    assert rate == 16000 and np.allclose(samples, 0.25, atol=1e-4)
    with pytest.raises(AudioDecodeError):
        decode_own_wav(b"RIFF not really a wave file")
