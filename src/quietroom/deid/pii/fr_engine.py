"""The French Presidio analyzer, built offline and only when French text first needs it.

Offline as the English one (`engine`): an explicit NLP engine configuration naming the spaCy
pipeline `fr_core_news_sm` (pinned by hash in requirements/deid-models.txt) or, without it, a
blank French pipeline (no NER: names then come only from `fr_names`' rules); never Presidio's
"download if missing". Loading costs a second or two and ~50 MB, so an English-only
deployment never pays it: `analyzer()` is called on the first French hypothesis.
"""
from __future__ import annotations

import functools
import importlib.util
import logging

from . import fr_names, fr_recognizers

LANGUAGE = "fr"
SPACY_PIPELINE = "fr_core_news_sm"
ENTITIES = ("PERSON", "PHONE_NUMBER", "CREDIT_CARD", "ACCOUNT_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS",
            "POSTCODE", "DATE_OF_BIRTH", "IBAN_CODE", "FR_NIR")


def spacy_pipeline_installed() -> bool:
    return importlib.util.find_spec(SPACY_PIPELINE) is not None


def _nlp_engine():
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    ner = NerModelConfiguration(
        model_to_presidio_entity_mapping={"PER": "PERSON", "PERSON": "PERSON"},
        labels_to_ignore=["LOC", "ORG", "MISC"],
        low_score_entity_names=[],
    )
    if spacy_pipeline_installed():
        engine = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": SPACY_PIPELINE}],
                                ner_model_configuration=ner)
        engine.load()
        return engine, SPACY_PIPELINE

    class BlankSpacyEngine(SpacyNlpEngine):
        """Tokens only: Presidio needs an NLP engine, and a blank one downloads nothing."""

        def load(self) -> None:
            import spacy

            self.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}

    engine = BlankSpacyEngine(models=[{"lang_code": LANGUAGE, "model_name": "blank-fr"}], ner_model_configuration=ner)
    engine.load()
    return engine, "blank:fr"


@functools.lru_cache(maxsize=1)
def analyzer():
    """(Presidio AnalyzerEngine for French, name of its NLP pipeline), built once per process."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from .offline import offline_tldextract

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    offline_tldextract()
    nlp_engine, nlp_name = _nlp_engine()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in (
        fr_recognizers.FrNumberRecognizer(), fr_recognizers.FrEmailRecognizer(), fr_recognizers.FrIbanRecognizer(),
        fr_recognizers.FrStreetAddressRecognizer(), fr_recognizers.FrDateOfBirthRecognizer(),
        fr_names.FrSpokenNameRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    if nlp_name == SPACY_PIPELINE:
        registry.add_recognizer(fr_names.FrPersonNotPlaceRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE]), nlp_name
