"""Build realistic sample recordings at run time for tests and the demo.

We commit no audio: recordings are assembled from the public Asterisk
English prompts (real recorded speech with transcripts) or, failing that,
synthesised with espeak-ng. None of this is customer data.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from quietroom.deid.audio_io import PIPELINE_RATE, decode_audio, resample

ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds/en")
ASTERISK_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
INSTALL_HINT = "apt-get install asterisk-core-sounds-en-wav or espeak-ng"

# Neutral fallback sentences (nothing PII-like; no commas, whose pauses
# would split one utterance into two segments).
ESPEAK_SENTENCES = (
    "Thank you for calling how can I help you today.",
    "I would like to change the delivery address on my order.",
    "Could you please hold the line for a moment.",
    "The parcel arrived yesterday but the box was damaged.",
    "I have already tried restarting the device twice.",
    "Let me check that for you right away.",
    "Is there anything else I can help you with.",
    "The weather has been lovely this week.",
)


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    text: str


@functools.lru_cache(maxsize=4)
def _prompts_in(sounds: Path, transcripts: Path) -> tuple[Prompt, ...]:
    if not sounds.is_dir() or not transcripts.is_file():
        return ()
    prompts = []
    with gzip.open(transcripts, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            name, sep, text = line.partition(":")
            name, text = name.strip(), text.strip()
            # Skip comments, sub-folders (digits/, letters/...) and
            # bracketed non-speech like "[this is a simple beep tone]".
            if not sep or line.startswith(";") or "/" in name or not text or text.startswith("["):
                continue
            path = sounds / f"{name}.wav"
            if path.is_file():
                prompts.append(Prompt(name, path, text))
    return tuple(prompts)


def asterisk_prompts() -> list[Prompt]:
    """Top-level Asterisk prompts that have both a WAV and a transcript."""
    return list(_prompts_in(ASTERISK_SOUNDS, ASTERISK_TRANSCRIPTS))


@functools.lru_cache(maxsize=1024)
def _shape(path: Path) -> tuple[float, float]:
    """(duration, longest pause inside the speech) of a clean prompt, seconds.

    A pause is a run of 20 ms frames more than 30 dB below the prompt's
    loudest frame; clean studio prompts make this unambiguous.
    """
    y, rate = sf.read(str(path), dtype="float32", always_2d=False)
    hop = max(1, rate // 50)
    n = y.size // hop
    db = 10 * np.log10(np.mean(np.square(y[: n * hop].reshape(n, hop)), axis=1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - 30) if n else np.array([], dtype=int)
    gap = (np.diff(loud).max() - 1) * hop / rate if loud.size > 1 else 0.0
    return y.size / rate, float(gap)


def conversation_prompts(min_seconds: float = 0.5, max_seconds: float = 5.0) -> list[Prompt]:
    """Prompts suited to be one utterance: a single phrase of moderate length.

    Prompts with several sentences or an inner pause over 0.2 s are left out:
    those pauses are real, so "one prompt = one segment" would not hold.
    """
    out = []
    for p in asterisk_prompts():
        if re.search(r"[.,;:!?]\s+\S", p.text):
            continue
        duration, inner_pause = _shape(p.path)
        if min_seconds <= duration <= max_seconds and inner_pause <= 0.2:
            out.append(p)
    return out


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def synthesize_espeak(text: str, voice: str = "en-gb", rate: int = PIPELINE_RATE) -> np.ndarray:
    """Speak `text` with espeak-ng, decoding its WAV stdout in memory."""
    if not espeak_available():
        raise RuntimeError(f"espeak-ng not found ({INSTALL_HINT})")
    # Text goes via stdin so a leading "-" can't be taken for an option.
    proc = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice], input=text.encode("utf-8"), capture_output=True, check=True, timeout=60
    )
    samples, file_rate = decode_audio(proc.stdout)
    return resample(samples, file_rate, rate)


def _trim(x: np.ndarray, level: float = 1e-3) -> np.ndarray:
    """Drop near-digital silence at the edges so pauses are exactly as chosen."""
    idx = np.flatnonzero(np.abs(x) > level)
    return x[idx[0] : idx[-1] + 1] if idx.size else x[:0]


def _utterances(n: int, rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    pool = conversation_prompts()
    if pool:
        picks = rng.choice(len(pool), size=n, replace=n > len(pool))
        out = []
        for i in picks:
            samples, rate = sf.read(str(pool[i].path), dtype="float32", always_2d=False)
            out.append((resample(samples, rate, PIPELINE_RATE), pool[i].text))
        return out
    if espeak_available():
        picks = rng.choice(len(ESPEAK_SENTENCES), size=n, replace=n > len(ESPEAK_SENTENCES))
        return [(synthesize_espeak(ESPEAK_SENTENCES[i]), ESPEAK_SENTENCES[i]) for i in picks]
    raise RuntimeError(f"no speech source for test recordings: {INSTALL_HINT}")


def make_conversation(
    n_utterances: int,
    seed: int,
    pause_range: tuple[float, float] = (0.4, 1.2),
    noise_db: float | None = -50.0,
) -> tuple[np.ndarray, int, list[str]]:
    """n seeded random utterances separated (and surrounded) by pauses.

    White noise at `noise_db` dBFS RMS runs under everything (None for none).
    Returns (mono float32 samples at 16 kHz, 16000, transcripts in order).
    """
    if n_utterances < 1:
        raise ValueError("n_utterances must be at least 1")
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    parts: list[np.ndarray] = []

    def pause() -> np.ndarray:
        return np.zeros(int(rng.uniform(*pause_range) * PIPELINE_RATE), dtype=np.float32)

    for samples, text in _utterances(n_utterances, rng):
        parts += [pause(), _trim(samples)]
        texts.append(text)
    parts.append(pause())
    audio = np.concatenate(parts)
    if noise_db is not None:
        audio = audio + rng.normal(0.0, 10 ** (noise_db / 20), audio.size).astype(np.float32)
    return np.clip(audio, -1.0, 1.0).astype(np.float32), PIPELINE_RATE, texts


# fmt -> (libsndfile format, subtype). Opus only accepts 8/12/16/24/48 kHz.
_FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "opus": ("OGG", "OPUS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def encode_audio(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    """Encode test audio to bytes in one of wav/flac/ogg/opus/mp3."""
    try:
        container, subtype = _FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {sorted(_FORMATS)}") from None
    if container not in sf.available_formats():
        raise RuntimeError(f"this libsndfile ({sf.__libsndfile_version__}) cannot write {container}")
    buf = io.BytesIO()
    sf.write(buf, np.clip(samples, -1.0, 1.0), rate, format=container, subtype=subtype)
    return buf.getvalue()


def write_audio(path: str | Path, samples: np.ndarray, rate: int, fmt: str) -> Path:
    """Write a test fixture file (our own synthetic/public audio, never customer data)."""
    path = Path(path)
    path.write_bytes(encode_audio(samples, rate, fmt))
    return path


# ---- more voices, for the privacy evaluation (speaker re-identification needs many speakers) --

ASTERISK_ROOT = Path("/usr/share/asterisk/sounds")
# Real recorded speakers in Debian's asterisk prompt packages: folder -> speaker label. Allison
# also recorded es_MX, so that folder is left out (one person, one label).
ASTERISK_SPEAKERS = {
    "en_US_f_Allison": "asterisk-allison", "fr_CA_f_June": "asterisk-june",
    "it_IT_f_Menardi": "asterisk-menardi", "it_IT_m_Carlo": "asterisk-carlo",
    "ru_RU_f_IvrvoiceRU": "asterisk-ivrvoice-ru",
}
FLITE_VOICES = ("kal", "awb", "rms", "slt")
FESTIVAL_VOICES = ("ked_diphone",)  # kal_diphone is flite's kal again
ESPEAK_VOICES = ("en-us", "en-gb", "en-gb-scotland+m3", "en-gb-x-rp+f2", "en-029+m2", "en-us+f4",
                 "en-gb-x-gbclan+m5", "en-us+m7")


def asterisk_speaker_files(folder: str, min_seconds: float = 1.5, max_seconds: float = 6.0) -> list[Path]:
    """Top-level prompt WAVs of one asterisk voice folder within a duration range, sorted."""
    root = ASTERISK_ROOT / folder
    out = []
    for path in sorted(root.glob("*.wav")) if root.is_dir() else []:
        info = sf.info(str(path))
        if min_seconds <= info.frames / info.samplerate <= max_seconds:
            out.append(path)
    return out


def read_file_16k(path: Path) -> np.ndarray:
    samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return resample(samples, rate, PIPELINE_RATE)


def synthesize_flite(text: str, voice: str = "slt") -> np.ndarray:
    if shutil.which("flite") is None:
        raise RuntimeError("flite not found (apt-get install flite)")
    proc = subprocess.run(["flite", "-voice", voice, "-t", text, "-o", "/dev/stdout"],
                          capture_output=True, check=True, timeout=60)
    samples, rate = decode_audio(proc.stdout)
    return resample(samples, rate, PIPELINE_RATE)


def synthesize_festival(text: str, voice: str = "ked_diphone") -> np.ndarray:
    """festival's text2wave to stdout; it cannot seek back to fix the RIFF sizes, so we read
    the PCM after the 44-byte header ourselves."""
    if shutil.which("text2wave") is None:
        raise RuntimeError("festival not found (apt-get install festival festvox-kdlpc16k)")
    proc = subprocess.run(["text2wave", "-o", "/dev/stdout", "-eval", f"(voice_{voice})"],
                          input=text.encode("utf-8"), capture_output=True, check=True, timeout=60)
    data = proc.stdout
    if data[:4] != b"RIFF" or len(data) < 46:
        raise RuntimeError("text2wave produced no audio")
    rate = int.from_bytes(data[24:28], "little")
    pcm = np.frombuffer(data[44 : 44 + (len(data) - 44) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    return resample(pcm, rate, PIPELINE_RATE)


def synthetic_voices() -> list[tuple[str, callable]]:
    """(speaker label, text -> 16 kHz samples) for every synthetic voice installed here."""
    voices = []
    if shutil.which("flite"):
        voices += [(f"flite-{v}", functools.partial(synthesize_flite, voice=v)) for v in FLITE_VOICES]
    if shutil.which("text2wave"):
        for v in FESTIVAL_VOICES:
            if Path(f"/usr/share/festival/voices/english/{v}").is_dir():
                voices.append((f"festival-{v}", functools.partial(synthesize_festival, voice=v)))
    if espeak_available():
        voices += [(f"espeak-{v}", functools.partial(synthesize_espeak, voice=v)) for v in ESPEAK_VOICES]
    return voices
