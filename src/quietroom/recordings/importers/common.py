"""What every importer shares: batch-wide defaults and the mapping back to source column names."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from quietroom.recordings.manifest import LOCALE_RE, ManifestError, Problem, RowError, validate_records

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class ImportOptions:
    # Why QuietRoom may process these recordings; required for formats that carry no
    # per-row consent (Common Voice, audiofolder, Label Studio) and recorded on the batch.
    consent_basis: str = ""
    locale: str = ""          # default (or refinement of a language code), e.g. en-GB
    region: str = ""          # the customers' region, ISO country or EU
    source: str = "assistant"
    activation: str = "unknown"
    captured_at: datetime | None = None   # default capture time when the format has none
    customer_column: str = "customer_id"  # audiofolder / Label Studio: which column names the speaker
    id_column: str = ""                   # audiofolder: a column with a stable recording id
    label: str = ""                       # the batch's name for people (else manifest name + short id)
    extra: dict = field(default_factory=dict)

    def require_consent_basis(self, fmt: str) -> None:
        if not self.consent_basis.strip():
            raise ManifestError(
                f"{fmt}: the format carries no per-recording consent; give the consent basis "
                "for this batch (--consent-basis) to import it"
            )

    def captured_at_iso(self) -> str:
        return (self.captured_at or datetime.now(timezone.utc)).isoformat()


def resolve_locale(value: str, default: str) -> tuple[str, str]:
    """(locale, error): a dataset's language code refined by the batch default.

    "en" with default en-GB gives en-GB; "pt-BR" stays; "fr" with default en-GB is an error,
    never silently relabelled.
    """
    value = (value or "").strip().replace("_", "-")
    if not value:
        return (default, "") if default else ("", "missing, and no default locale given (--locale)")
    if LOCALE_RE.match(value):
        return value, ""
    if LANGUAGE_RE.match(value.lower()):
        if not default:
            return "", f"{value[:20]!r} is a language code; give the locale with --locale (e.g. {value.lower()}-GB)"
        if default.split("-")[0] != value.lower():
            return "", f"{value[:20]!r} does not match the default locale {default}"
        return default, ""
    return value, ""  # let the shared validator name it


def locale_problems(problem: str) -> tuple[Problem, ...]:
    """`resolve_locale`'s problem as the validator's `known` problems: reported with the rest
    of the row's problems, not instead of them."""
    return (Problem("locale", problem),) if problem else ()


def validate_mapped(records, field_names: dict[str, str]):
    """Validate QuietRoom-shaped records, naming errors by the source format's columns.

    The records carry only the fields the importer mapped: a format's other columns (Common
    Voice's up_votes, sentence, age...) are legitimately there and are left behind unread,
    never refused. The QuietRoom manifest itself is strict (manifest.py).
    """
    return [item.renamed(field_names) if isinstance(item, RowError) else item
            for item in validate_records(records)]


def base_record(options: ImportOptions) -> dict:
    return {
        "region": options.region, "source": options.source, "activation": options.activation,
        "consent": True, "captured_at": options.captured_at_iso(),
    }


SPEAKER_WORDS = ("customer", "speaker", "client", "user", "caller", "spk")


def require_speaker_field(name: str, fmt: str, shown: str, speaker: str, records: list[dict], unit: str) -> None:
    """Refuse the whole file, once, when no record has the speaker field at all.

    Other tools keep the customer (speaker) id under a field of the exporter's choosing; by
    default QuietRoom looks for `customer_id`. Without this, every row of a plain export was
    refused with "data.customer_id: missing" and nothing said what to do. The message names
    the option, the record fields that are there (names only, never values) and the likeliest.
    """
    if not records or any(speaker in record for record in records):
        return
    fields = sorted({str(key)[:40] for record in records for key in record})
    likely = [f for f in fields if any(word in f.lower() for word in SPEAKER_WORDS)]
    likely = likely or difflib.get_close_matches(speaker, fields, n=1, cutoff=0.5)
    hint = f" (here perhaps --customer-column {likely[0]})" if likely else ""
    shown_fields = ", ".join(fields[:15]) + (", ..." if len(fields) > 15 else "")
    raise ManifestError(
        f"{name}: {shown}: missing in every {unit}; nothing was imported. A {fmt} export keeps the customer id "
        f"under a field of your choosing: pass --customer-column NAME (API: customer_column){hint}. "
        f"Fields found: {shown_fields or 'none'}"
    )
