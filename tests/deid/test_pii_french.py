"""French PII detection: every entity in both styles (written as Whisper writes French, spoken
as a recogniser without formatting writes it), PII-free French sentences left alone, the
French number grammar, and the French analyzer loaded only when French appears."""
import subprocess
import sys

import pytest

from quietroom.deid import locales, pii
from quietroom.deid.pii import fr_spoken

# (text, the personal data in it, entity)
CASES = [
    ("Mon numéro, c'est le 06 12 34 56 78.", "06 12 34 56 78", "PHONE_NUMBER"),
    ("mon numéro c'est le zéro six douze trente-quatre cinquante-six soixante-dix-huit",
     "zéro six douze trente-quatre cinquante-six soixante-dix-huit", "PHONE_NUMBER"),
    ("Rappelez-moi au +33 1 45 67 89 10.", "+33 1 45 67 89 10", "PHONE_NUMBER"),
    ("rappelez-moi au plus trente-trois un quarante-cinq soixante-sept quatre-vingt-neuf dix",
     "plus trente-trois un quarante-cinq soixante-sept quatre-vingt-neuf dix", "PHONE_NUMBER"),
    ("Le numéro de ma carte est 4970 1012 3456 7899.", "4970 1012 3456 7899", "CREDIT_CARD"),
    ("le numéro de ma carte est quarante-neuf soixante-dix dix douze trente-quatre cinquante-six "
     "soixante-dix-huit quatre-vingt-dix-neuf", "quarante-neuf soixante-dix dix douze trente-quatre cinquante-six "
     "soixante-dix-huit quatre-vingt-dix-neuf", "CREDIT_CARD"),
    ("Mon adresse e-mail est fatou.diallo@orange.fr.", "fatou.diallo@orange.fr", "EMAIL_ADDRESS"),
    ("mon adresse e-mail est fatou point diallo arobase orange point fr",
     "fatou point diallo arobase orange point fr", "EMAIL_ADDRESS"),
    ("c'est traore quarante-deux arobase free point fr", "traore quarante-deux arobase free point fr", "EMAIL_ADDRESS"),
    ("J'habite au 12 bis rue de la Paix, Lyon.", "12 bis rue de la Paix, Lyon", "STREET_ADDRESS"),
    ("j'habite au cent vingt-trois avenue du général de gaulle à bordeaux",
     "cent vingt-trois avenue du général de gaulle à bordeaux", "STREET_ADDRESS"),
    ("Mon code postal, c'est le 75002.", "75002", "POSTCODE"),
    ("mon code postal c'est le soixante-quinze zéro zéro deux", "soixante-quinze zéro zéro deux", "POSTCODE"),
    ("Je suis née le 12 mars 1985.", "12 mars 1985", "DATE_OF_BIRTH"),
    ("je suis née le premier mars mille neuf cent quatre-vingt-cinq",
     "premier mars mille neuf cent quatre-vingt-cinq", "DATE_OF_BIRTH"),
    ("Mon IBAN est FR76 3000 6000 0112 3456 7890 189.", "FR76 3000 6000 0112 3456 7890 189", "IBAN_CODE"),
    ("mon iban est f r soixante-seize trente zéro zéro soixante zéro zéro zéro un douze trente-quatre "
     "cinquante-six soixante-dix-huit quatre-vingt-dix dix-huit neuf",
     "f r soixante-seize trente zéro zéro soixante zéro zéro zéro un douze trente-quatre cinquante-six "
     "soixante-dix-huit quatre-vingt-dix dix-huit neuf", "IBAN_CODE"),
    ("Mon numéro de sécurité sociale est le 1 85 05 78 006 084 91.", "1 85 05 78 006 084 91", "FR_NIR"),
    ("numéro de sécu un quatre-vingt-cinq zéro cinq soixante-dix-huit zéro zéro six zéro quatre-vingt-quatre "
     "quatre-vingt-onze", "un quatre-vingt-cinq zéro cinq soixante-dix-huit zéro zéro six zéro quatre-vingt-quatre "
     "quatre-vingt-onze", "FR_NIR"),
    ("Le numéro de contrat est 48213377.", "48213377", "ACCOUNT_NUMBER"),
    ("mon numéro client est le quarante-huit vingt et un trente-trois soixante-dix-sept",
     "quarante-huit vingt et un trente-trois soixante-dix-sept", "ACCOUNT_NUMBER"),
    ("Bonjour, je m'appelle Aminata Traoré.", "Aminata Traoré", "PERSON"),
    ("bonjour je m'appelle aminata traoré", "aminata traoré", "PERSON"),
    ("passez-moi madame nguyen s'il vous plaît", "madame nguyen", "PERSON"),
    ("yacine benmoussa à l'appareil je vous rappelle", "yacine benmoussa", "PERSON"),
]
# PII-free French full of names of places and things, numbers and dates, and words that are
# names too (pierre, rose, france).
NEGATIVES = [
    "Quel temps fera-t-il à Bordeaux ce week-end ?", "quel temps fera-t-il à saint-malo ce week-end",
    "J'ai commandé 3 cartons mais un seul est arrivé.", "la livraison était prévue le douze mars",
    "Réserve une table au Café de Flore pour 4 personnes.", "emmène-moi à la gare montparnasse",
    "Pierre qui roule n'amasse pas mousse.", "les roses du jardin ont gelé cette nuit",
    "La France a gagné le match hier soir.", "je suis désolé je n'ai pas compris",
    "La boutique de la rue Victor Hugo est fermée aujourd'hui.", "prends le bus numéro vingt-deux",
    "Passez-moi le service client, s'il vous plaît.", "Ça coûte 30 euros par mois.", "c'est parfait merci beaucoup",
    "Mets de la musique de Noir Désir dans le salon.", "dis siri quel temps fait-il à bruxelles",
]


def test_french_numbers_read_in_pairs_and_with_cent_and_mille():
    def digits(text):
        tokens = fr_spoken.tokenize(text)
        return [fr_spoken.digits_of(tokens[a:b]) for a, b in fr_spoken.number_runs(tokens)]

    assert digits("zéro six douze trente-quatre cinquante-six soixante-dix-huit") == ["0612345678"]
    assert digits("quatre-vingt-dix-sept soixante et onze vingt et un") == ["977121"]
    assert digits("mille neuf cent quatre-vingt-cinq") == ["1985"]
    assert digits("soixante-huit six cents") == ["68600"]  # a postcode: two numbers, not 7400
    assert digits("zéro six mille quatre cent trente") == ["06430"]
    assert digits("zéro six quatre-vingts douze") == ["068012"]  # the plural is 80 exactly


def test_nir_key_is_checked():
    assert fr_spoken.nir_ok("185057800608491")
    assert not fr_spoken.nir_ok("185057800608492")


@pytest.mark.parametrize("text,value,entity", CASES, ids=[f"{e}-{i}" for i, (_t, _v, e) in enumerate(CASES)])
def test_each_french_entity_is_found_in_both_styles(text, value, entity):
    spans = pii.detect(text, language="fr")
    start = text.index(value)
    covering = [s for s in spans if s.start <= start and start + len(value) <= s.end]
    assert covering, (text, [(text[s.start:s.end], s.entity) for s in spans])
    # and nothing else of the sentence goes with it beyond the value (a cue word at most)
    assert all(len(text[s.start:s.end]) <= len(value) + len("madame ") for s in covering)
    redacted = pii.redact_text(text, spans)
    assert value not in redacted and "[" in redacted


@pytest.mark.parametrize("text", NEGATIVES)
def test_pii_free_french_is_left_alone(text):
    assert pii.detect(text, language="fr") == [], text


def test_locale_picks_the_language():
    assert locales.language_of("fr-FR") == locales.language_of("fr_CA") == locales.language_of("FR-be") == "fr"
    assert locales.language_of("en-GB") == locales.language_of("de-DE") == locales.language_of("") == "en"
    with pytest.raises(ValueError):
        pii.detect("hallo", language="de")


def test_english_text_never_loads_the_french_pipeline():
    code = ("import sys; from quietroom.deid import pii; "
            "assert pii.detect('call me on 07700 900123'); "
            "print(any(m.startswith(('quietroom.deid.pii.fr_', 'fr_core_news_sm')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "False"
