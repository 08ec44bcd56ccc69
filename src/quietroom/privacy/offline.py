"""Verify an access report offline: no database, no Django, only the report and a public key.

    python -m quietroom.privacy.offline REPORT.json --public-key KEY
    quietroom privacy verify-report REPORT.json --public-key KEY     (same check)

Checks the checkpoint's Ed25519 signature (C2SP signed note) with the given verifier key, the
report's own signature (over every field of the report, so also what it says about the
customer's recordings: never received, received, or received and erased), then for every access and every
further request grouped under a play: that the listed fields are exactly those of the hashed
entry, that the entry is about the report's customer, and that its RFC 9162 inclusion proof
leads to the signed root. Any changed character anywhere makes it fail, naming the access.
"""
from __future__ import annotations

import argparse
import json
import sys
from base64 import b64decode, b64encode
from hashlib import sha256

from quietroom.audit import merkle, notes
from quietroom.audit.actions import SNIPPET_PLAY, SNIPPET_STREAM

# Displayed field -> key of the hashed entry it must equal.
FIELDS = {
    "seq": "seq", "time": "at", "action": "action", "purpose": "purpose", "vendor": "organisation",
    "site": "site", "country": "country", "reviewer": "pseudonym", "role": "role",
    "outcome": "outcome", "object_type": "object_type", "object_id": "object_id",
}


# What the report says about the customer's recordings ("recordings": {"status": ...}).
NEVER_RECEIVED = "never_received"  # no recording ever received for this id under this controller
RECEIVED = "received"              # recordings received and not erased
ERASED = "erased"                  # recordings received and later erased ("erased_at")
STATUSES = (NEVER_RECEIVED, RECEIVED, ERASED)
# 2: the signature covers every field of the report (so also "recordings" and "finding"), not
# only the customer and the accesses.
REPORT_VERSION = 2


class ReportInvalid(Exception):
    pass


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64encode(sha256(text.encode()).digest()).decode()


def report_digest_body(report: dict) -> str:
    """What the report signature covers: customer, checkpoint, every access as listed and,
    from version 2, every other field of the report too (controller, public key, ...).

    Signed with the audit key, so an access cannot be dropped (with the count adjusted), nor
    any statement of the report changed, without the signature failing. A version-1 report (no
    "version") keeps its old body, so reports already handed out still verify; the version is
    part of what is signed, so a version-2 report cannot be passed off as a version-1 one.
    """
    body = (f"{report.get('customer')}\n{report.get('generated_at')}\n"
            f"{report.get('checkpoint', {}).get('size')}\n{len(report.get('accesses') or [])}\n"
            f"{_digest(report.get('accesses'))}\n")
    if "version" not in report:
        return "quietroom access report\n" + body
    rest = {key: value for key, value in report.items() if key not in ("accesses", "signature")}
    return f"quietroom access report v{report.get('version')}\n{body}{_digest(rest)}\n"


def verify_report(report: dict, verifier: notes.Verifier) -> int:
    """Raise ReportInvalid naming the problem; return the number of accesses verified."""
    try:
        return _verify(report, verifier)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ReportInvalid(f"malformed report ({exc.__class__.__name__})") from None


def _verify(report: dict, verifier: notes.Verifier) -> int:
    try:
        checkpoint = notes.verify_checkpoint(report["checkpoint"]["note"], verifier)
    except notes.NoteError as exc:
        raise ReportInvalid(f"checkpoint: {exc}") from None
    except (KeyError, TypeError):
        raise ReportInvalid("report has no checkpoint") from None
    if report["checkpoint"].get("size") != checkpoint.size:
        raise ReportInvalid("the checkpoint size in the report differs from the signed one")
    try:
        signed_body = notes.open_note(report["signature"], verifier)
    except notes.NoteError as exc:
        raise ReportInvalid(f"report signature: {exc}") from None
    except (KeyError, TypeError):
        raise ReportInvalid("report is not signed") from None
    if signed_body != report_digest_body(report):
        raise ReportInvalid("the report's contents differ from what was signed (an access added, removed or "
                            "changed, or another field of the report)")
    if "version" in report and (report.get("recordings") or {}).get("status") not in STATUSES:
        raise ReportInvalid("the report does not say whether the customer's recordings were received")
    customer = report.get("customer")
    accesses = report.get("accesses")
    if not isinstance(accesses, list) or report.get("access_count") != len(accesses):
        raise ReportInvalid("the number of accesses does not match the report's count")
    for number, access in enumerate(accesses, 1):
        where = f"access {number}"
        play = _verify_entry(access, where, customer, checkpoint)
        continuations = access.get("continuations", [])
        if not isinstance(continuations, list):
            raise ReportInvalid(f"{where}: malformed further requests")
        for later, item in enumerate(continuations, 1):
            entry = _verify_entry(item, f"{where}, further request {later}", customer, checkpoint)
            if (entry.get("action") != SNIPPET_STREAM or play.get("action") != SNIPPET_PLAY or not _view(play)
                    or _view(entry) != _view(play) or entry.get("object_id") != play.get("object_id")
                    or entry.get("pseudonym") != play.get("pseudonym")):
                raise ReportInvalid(f"{where}, further request {later}: not a later request of this play's page view")
    return len(accesses)


def _view(entry: dict):
    details = entry.get("details")
    return details.get("view") if isinstance(details, dict) else None


def _verify_entry(access: dict, where: str, customer, checkpoint) -> dict:
    """One listed log entry: its fields, its customer and its inclusion proof; returns the entry."""
    try:
        entry = access["entry"]
        parsed = json.loads(entry)
        index = int(access["index"])
        proof = [b64decode(p, validate=True) for p in access["proof"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportInvalid(f"{where}: malformed ({exc.__class__.__name__})") from None
    for shown, key in FIELDS.items():
        if access.get(shown) != parsed.get(key):
            raise ReportInvalid(f"{where}: field {shown!r} differs from the signed log entry")
    if parsed.get("customer") != customer:
        raise ReportInvalid(f"{where}: the log entry is about another customer")
    if index != parsed.get("seq", 0) - 1:
        raise ReportInvalid(f"{where}: leaf index does not match the entry's sequence number")
    try:
        merkle.verify_inclusion(merkle.leaf_hash(entry.encode()), index, checkpoint.size, proof, checkpoint.root)
    except merkle.ProofError as exc:
        raise ReportInvalid(f"{where}: inclusion proof fails ({exc})") from None
    return parsed


def load_verifier(value: str) -> notes.Verifier:
    try:
        with open(value) as fh:
            value = fh.read()
    except OSError:
        pass  # the key itself was given
    return notes.Verifier.parse(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a QuietRoom access report offline.")
    parser.add_argument("report")
    parser.add_argument("--public-key", required=True, help="verifier key text or a file holding it")
    args = parser.parse_args(argv)
    try:
        with open(args.report) as fh:
            report = json.load(fh)
        count = verify_report(report, load_verifier(args.public_key))
    except (OSError, ValueError, notes.NoteError, ReportInvalid) as exc:
        print(f"report NOT verified: {exc}", file=sys.stderr)
        return 1
    print(f"report verified: {count} accesses, each proven in the signed audit log")
    if report.get("finding"):
        print(f"signed finding: {report['finding']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
