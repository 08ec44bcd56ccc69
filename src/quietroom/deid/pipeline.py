"""The whole de-identification of one recording, as a plain function over audio.

decode (caller) -> VAD + segmentation -> per snippet: ASR hypothesis with word timings, voice
anonymisation -> the snippets' hypotheses joined in recording time -> PII spans on that whole
hypothesis -> their time ranges -> per snippet: bleep every range that reaches it, redact its
words of every span that reaches it. Detecting on the whole recording is what finds an entity
the snippet boundary cut in two (issue 15: "Spring" | "field Road" was an address in neither
half). The check pass (ASR of the anonymised snippets) is joined and detected the same way.
No Django here: the recordings app stores what this returns.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from . import anonymize, asr, locales, pii, recording_hypothesis, redaction, segmentation, vad

PIPELINE_VERSION = "deid-v6"  # v6: the check pass listens in a 15 s window (tiny.en); v5: PII found on the whole recording's hypothesis, bleeps reach across snippets;
# v4: a looping snippet is decoded again by beam search (repeatable); v3: check pass, light voice


@dataclass(frozen=True)
class DeidConfig:
    vad_engine: str = "silero"
    asr_engine: str = "faster-whisper"
    asr_model_dir: str | None = None
    asr_model: str = asr.DEFAULT_WHISPER_MODEL  # a bundled Whisper model, when asr_model_dir is unset
    voice_profile: str = anonymize.DEFAULT_PROFILE
    redaction_mode: str = "tone"
    redaction_margin: float = redaction.DEFAULT_MARGIN
    max_snippet_seconds: float = 10.0
    # Transcribe the anonymised audio too (the audio a reviewer will hear) and bleep the PII
    # found there as well: a second hypothesis catches what the first one mis-heard.
    check_pass: bool = True
    # The recording's pipeline language (`locales.language_of(recording.locale)`): it picks the
    # recogniser's language and the PII recognizers. A language other than English is always
    # heard by its own engine (`locales.ENGINE_FOR_LANGUAGE`: Whisper base for French), not by
    # the English engine chosen above.
    language: str = locales.DEFAULT_LANGUAGE
    # Encoder window of the check pass, seconds: None takes the engine's measured default
    # (asr.CHECK_WINDOWS: 15 s for tiny.en, a third of the CPU for the same leak rate).
    check_window: int | None = None

    def engine(self) -> asr.AsrEngine:
        if self.language in locales.ENGINE_FOR_LANGUAGE:
            name, model = locales.ENGINE_FOR_LANGUAGE[self.language]
            return asr.get_engine(name, None, model=model, language=self.language)
        return asr.get_engine(self.asr_engine, self.asr_model_dir, model=self.asr_model)

    def detect(self, text: str) -> list:
        return pii.detect(text, language=self.language)


@dataclass
class DeidSnippet:
    index: int
    start: float
    end: float
    audio: np.ndarray  # anonymised, PII bleeped, 16 kHz mono float32
    hypothesis: str  # PII replaced by [ENTITY] labels
    spans: list  # PiiSpan on the raw hypothesis (offsets and labels only are kept downstream)
    redactions: list  # redaction.Redaction, seconds within the snippet
    params: dict


@dataclass
class StageClock:
    """CPU seconds spent per stage (for the throughput benchmark)."""

    seconds: dict = field(default_factory=lambda: defaultdict(float))

    def track(self, stage: str):
        clock = self

        class _Span:
            def __enter__(self):
                self.t = time.process_time()

            def __exit__(self, *exc):
                clock.seconds[stage] += time.process_time() - self.t

        return _Span()


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def describe(config: DeidConfig) -> dict:
    """What produced a snippet: versions and the configuration (never the values drawn per
    snippet: knowing a McAdams coefficient would help undo it)."""
    engine = config.engine()
    profile = anonymize.get_profile(config.voice_profile)
    return {
        "pipeline": PIPELINE_VERSION,
        "vad": {"engine": config.vad_engine, "version": _pkg("silero-vad" if config.vad_engine == "silero" else "webrtcvad-wheels")},
        "asr": {"engine": engine.name, "model": engine.model, "language": config.language,
                "version": _pkg("faster-whisper" if engine.name == "faster-whisper" else "pocketsphinx")},
        "pii": pii.analyzer_version(config.language),
        "voice": {**profile.as_dict(), "pyworld": _pkg("pyworld-prebuilt")},
        "redaction": {"mode": config.redaction_mode, "margin": config.redaction_margin,
                      "check_pass": config.check_pass,
                      "check_window": config.check_window or engine.check_window or asr.FULL_WINDOW_SECONDS},
    }


def segment(samples: np.ndarray, config: DeidConfig, clock: StageClock | None = None):
    clock = clock or StageClock()
    with clock.track("vad"):
        mask = vad.speech_mask(samples, engine=config.vad_engine)
        segments = segmentation.find_speech_segments(
            samples, vad.RATE, max_len=config.max_snippet_seconds, speech=mask)
        pieces = segmentation.cut_snippets(samples, segments, vad.RATE)
    return segments, pieces


def deidentify_snippet(piece: np.ndarray, config: DeidConfig, rng: np.random.Generator,
                       clock: StageClock | None = None):
    """(audio, redacted hypothesis, spans, redactions, drawn voice params) for one piece of audio
    taken as a whole recording of one snippet (the evaluation's leak test)."""
    whole = segmentation.Segment(0.0, piece.size / vad.RATE)
    return _deidentify_pieces([whole], [piece], whole.end, config, rng, clock)[0]


def _deidentify_pieces(segments, pieces, duration: float, config: DeidConfig, rng: np.random.Generator,
                       clock: StageClock | None = None) -> list[tuple]:
    """The snippets of one recording (`duration` seconds long), de-identified together: per
    snippet (audio, redacted hypothesis, spans, redactions, drawn voice params)."""
    clock = clock or StageClock()
    engine = config.engine()
    profile = anonymize.get_profile(config.voice_profile)
    heard, voiced, drawn = [], [], []
    for piece in pieces:
        with clock.track("asr"):
            heard.append(engine.transcribe(piece))
        with clock.track("anonymize"):
            audio, params = anonymize.anonymize(piece, profile, rng)
        voiced.append(audio)
        drawn.append(params)
    with clock.track("pii"):
        whole = recording_hypothesis.join(heard, segments)
        found = config.detect(whole.text)
    with clock.track("redact"):
        spans = whole.snippet_spans(found)
        cuts = redaction.in_snippets(
            redaction.time_ranges(whole.transcript, found, duration, config.redaction_margin), segments)
    if config.check_pass:
        with clock.track("check"):
            window = config.check_window or engine.check_window
            second = recording_hypothesis.join([engine.transcribe(audio, window=window) for audio in voiced], segments)
            extra = redaction.in_snippets(
                redaction.time_ranges(second.transcript, config.detect(second.text), duration, config.redaction_margin),
                segments)
        for k, more in enumerate(extra):
            if more:
                cuts[k] = redaction.merge(cuts[k] + more)
                # the reviewer's hypothesis loses the words under the new bleeps as well
                spans[k] = pii.merge_spans(spans[k] + redaction.spans_under(heard[k], more))
    out = []
    with clock.track("redact"):
        for transcript, audio, mine, bleeps, params in zip(heard, voiced, spans, cuts, drawn):
            out.append((redaction.apply(audio, bleeps, mode=config.redaction_mode),
                        pii.redact_text(transcript.text, mine), mine, bleeps, params))
    return out


def deidentify(samples: np.ndarray, config: DeidConfig = DeidConfig(), *,
               rng: np.random.Generator | None = None, clock: StageClock | None = None) -> list[DeidSnippet]:
    """De-identified snippets of a 16 kHz mono recording."""
    rng = rng if rng is not None else np.random.default_rng()
    params = describe(config)
    segments, pieces = segment(samples, config, clock)
    done = _deidentify_pieces(segments, pieces, samples.size / vad.RATE, config, rng, clock)
    return [DeidSnippet(index, seg.start, seg.end, audio, hypothesis, spans, cuts, params)
            for index, (seg, (audio, hypothesis, spans, cuts, _drawn)) in enumerate(zip(segments, done))]
