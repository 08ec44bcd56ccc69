"""`quietroom evaluate`: privacy and utility of the de-identification pipeline, measured.

Figures (fractions): eer_ignorant, eer_lazy_informed, eer_semi_informed (speaker
re-identification, higher = more private), wer_original / wer_anonymized (intelligibility),
pii_recall / pii_precision (span detection on the generated set, both styles; "pii" has them
per style and per entity) and
audio_leak_rate (PII words still recognisable in the de-identified audio). The same keys under
"baseline" for the VoicePrivacy B2 McAdams baseline on the same speech.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from quietroom.deid import anonymize, asr, pii
from quietroom.deid import pipeline as deid

from . import corpus, metrics, piiset, speaker

# Called with (stage, items done, items in the stage) as the evaluation goes: it runs for
# minutes, and the command shows where it is.
EvalProgress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def _counted(items, stage: str, progress: EvalProgress):
    """`items`, telling `progress` as each one is taken."""
    items = list(items)
    progress(stage, 0, len(items))
    for done, item in enumerate(items, start=1):
        yield item
        progress(stage, done, len(items))


@dataclass(frozen=True)
class EvalScale:
    speakers: int | None = None  # None: every speaker available
    per_speaker: int = 8
    pii_sentences: int = 1200  # per style (written, spoken)
    leak_sentences: int = 48
    seed: int = 0
    # Transcribe WER utterances joined into ~25 s groups (cheaper) instead of one by one as the
    # pipeline does with snippets. Off by default: on a joined group Whisper sometimes stops
    # decoding after the first sentence, deleting the rest, a long-form failure that snippets
    # of at most 10 s transcribed alone do not have.
    wer_grouped: bool = False


def _chunks(utts_audio: list[np.ndarray], limit: float = 25.0) -> list[list[int]]:
    """Indices grouped so each group, joined with short pauses, fits one Whisper window."""
    groups, current, length = [], [], 0.0
    for i, a in enumerate(utts_audio):
        seconds = a.size / 16000 + 0.6
        if current and length + seconds > limit:
            groups.append(current)
            current, length = [], 0.0
        current.append(i)
        length += seconds
    if current:
        groups.append(current)
    return groups


def transcribe_many(engine, audios: list[np.ndarray], texts: list[str], grouped: bool = False,
                    progress: EvalProgress = _quiet, stage: str = "transcribing") -> tuple[list[str], list[str]]:
    """(references, hypotheses): one per utterance, or (grouped) one per group of utterances
    transcribed together.

    Whisper always encodes a 30 s window, so a 3 s clip costs as much as a 25 s one: joining
    utterances (with 0.6 s pauses) makes the WER measurement several times cheaper, but it is
    not what the pipeline does (it transcribes each snippet alone) and on a joined group Whisper
    can stop after the first sentence, so the default is one utterance at a time.
    """
    if not grouped:
        return list(texts), [engine.transcribe(a).text for a in _counted(audios, stage, progress)]
    pause = np.zeros(int(0.6 * 16000), dtype=np.float32)
    refs, hyps = [], []
    for group in _counted(_chunks(audios), stage, progress):
        joined = np.concatenate([np.concatenate([audios[i], pause]) for i in group])
        refs.append(" ".join(texts[i] for i in group))
        hyps.append(engine.transcribe(joined).text)
    return refs, hyps


def _voice_figures(utts, profile_name: str, seed: int, orig_emb: np.ndarray, orig_hyp: tuple,
                   grouped: bool = False, progress: EvalProgress = _quiet) -> tuple[dict, dict]:
    profile = anonymize.get_profile(profile_name)
    rng = np.random.default_rng(seed)
    engine = asr.get_engine()
    enrol, trial, spoken, texts = [], [], [], []
    for u in _counted(utts, f"anonymising and embedding ({profile_name})", progress):
        a_enrol, _ = anonymize.anonymize(u.audio, profile, rng)
        a_trial, _ = anonymize.anonymize(u.audio, profile, rng)
        enrol.append(speaker.embed(a_enrol))
        trial.append(speaker.embed(a_trial))
        if u.text:
            spoken.append(a_trial)
            texts.append(u.text)
    refs, hyps = transcribe_many(engine, spoken, texts, grouped, progress, f"transcribing anonymised ({profile_name})")
    speakers = [u.speaker for u in utts]
    eers = speaker.attack_eers(orig_emb, np.array(enrol), np.array(trial), speakers)
    scores = eers.pop("_scores")
    figures = {k: round(v, 4) for k, v in eers.items()}
    figures["wer_anonymized"] = round(metrics.wer(refs, hyps), 4)
    figures["wer_original"] = round(metrics.wer(*orig_hyp), 4)
    return figures, scores


def _leak(sentences, profile_name: str, seed: int, progress: EvalProgress = _quiet) -> dict:
    """Speak PII sentences with synthetic voices, de-identify them, transcribe the result."""
    from quietroom import testspeech

    voices = [v for v in testspeech.synthetic_voices()]
    if not voices:
        raise RuntimeError("no synthetic voice installed (flite, festival or espeak-ng)")
    config = deid.DeidConfig(voice_profile=profile_name)
    engine = asr.get_engine()
    rng = np.random.default_rng(seed)
    total = leaked = raw_said = 0
    for k, s in enumerate(_counted(sentences, f"audio leak test ({profile_name})", progress)):
        _name, speak = voices[k % len(voices)]
        audio = speak(s.text)
        words = metrics.pii_tokens(s.text, s.spans)
        out_audio, *_ = deid.deidentify_snippet(audio, config, rng)
        total += len(words)
        leaked += metrics.leaked(words, engine.transcribe(out_audio).text)
        raw_said += metrics.leaked(words, engine.transcribe(audio).text)
    return {"audio_leak_rate": round(leaked / max(1, total), 4),
            "leak_pii_words": total, "leak_recognised_before_redaction": round(raw_said / max(1, total), 4)}


def pii_evaluation(labelled, progress: EvalProgress = _quiet) -> dict:
    """PII detection on the generated set: {"_all": span_scores over both styles, style:
    pii_breakdown block, ...}; each sentence is detected once. PERSON recall is also given for
    names the recognizer's gazetteer knows and for names it does not (`piiset` draws its names
    from its own list, not the gazetteer)."""
    from quietroom.deid.pii import lexicon

    def name_known(span_text: str) -> bool:  # every word of the name is in the recognizer's gazetteer
        words = piiset.name_words(span_text)
        return bool(words) and all(lexicon.is_name(w) for w in words)

    predictions = {s.text: pii.detect(s.text) for s in _counted(labelled, "PII detection", progress)}
    figures = metrics.pii_breakdown(labelled, predictions.__getitem__, name_known)
    figures["_all"] = metrics.span_scores(labelled, predictions.__getitem__)
    return figures


def evaluate_pii(scale: EvalScale = EvalScale(), progress: EvalProgress = _quiet) -> dict:
    """PII detection alone (`quietroom evaluate --pii-only`): no speech, a few seconds."""
    started = time.perf_counter()
    labelled = piiset.generate(scale.pii_sentences, seed=scale.seed)
    figures = pii_evaluation(labelled, progress)
    spans = figures.pop("_all")
    return {"pii_recall": round(spans["recall"], 4), "pii_precision": round(spans["precision"], 4), "pii": figures,
            "setup": {"pii_sentences": len(labelled), "pii_spans": spans["spans"], "seed": scale.seed,
                      "pii_engine": pii.analyzer_version(), "seconds": round(time.perf_counter() - started, 1)}}


def evaluate(scale: EvalScale = EvalScale(), default_profile: str = anonymize.DEFAULT_PROFILE,
             progress: EvalProgress = _quiet) -> tuple[dict, dict]:
    """(figures, extras for plots); `progress` hears of each stage's items as they are done."""
    started = time.perf_counter()
    utts = corpus.build(scale.speakers, scale.per_speaker, scale.seed)
    if len({u.speaker for u in utts}) < 3:
        # The semi-informed attacker trains on some speakers and is scored on others.
        raise RuntimeError("need at least three speakers: install the asterisk prompts, flite, festival or espeak-ng "
                           "(scripts/system-deps.sh)")
    engine = asr.get_engine()
    orig_emb = np.array([speaker.embed(u.audio) for u in _counted(utts, "embedding original voices", progress)])
    english = [u for u in utts if u.text]
    orig_hyp = transcribe_many(engine, [u.audio for u in english], [u.text for u in english], scale.wer_grouped,
                               progress, "transcribing originals")

    labelled = piiset.generate(scale.pii_sentences, seed=scale.seed)
    pii_figures = pii_evaluation(labelled, progress)
    spans = pii_figures.pop("_all")
    # Spoken with synthetic voices: the spoken style (numbers as words) is what they read best.
    with_pii = [s for s in labelled if s.spans and s.style == "spoken"][: scale.leak_sentences]

    figures, scores = _voice_figures(utts, default_profile, scale.seed + 1, orig_emb, orig_hyp, scale.wer_grouped,
                                     progress)
    figures.update(pii_recall=round(spans["recall"], 4), pii_precision=round(spans["precision"], 4), pii=pii_figures)
    figures.update(_leak(with_pii, default_profile, scale.seed + 2, progress))
    base, base_scores = _voice_figures(utts, "b2", scale.seed + 1, orig_emb, orig_hyp, scale.wer_grouped, progress)
    base.update(pii_recall=figures["pii_recall"], pii_precision=figures["pii_precision"])
    base.update(_leak(with_pii, "b2", scale.seed + 2, progress))
    figures["baseline"] = base
    figures["setup"] = {
        "profile": anonymize.get_profile(default_profile).as_dict(), "baseline_profile": anonymize.B2.as_dict(),
        "speakers": len({u.speaker for u in utts}), "real_speakers": len({u.speaker for u in utts if u.real}),
        "utterances": len(utts), "wer_utterances": len(english), "wer_grouped": scale.wer_grouped,
        "pii_sentences": len(labelled),
        "pii_spans": spans["spans"], "asr": {"engine": engine.name, "model": engine.model},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return figures, {"scores": scores, "baseline_scores": base_scores}
