"""Decisions and their reasons, as codes with the human sentence beside them.

The eligibility function, the escalation staff rule and the gate all answer "may this person
read this content now?" with a `Decision`. Each refusal reason is a `Reason`: a `str` holding
the sentence people read (in the room, in the audit log, in an admin's explanation) that also
carries a `Refusal` code. Callers that act on a reason (release a capped snippet, say "erased"
rather than "denied") match the code, never the wording, so a sentence can be reworded without
breaking a rule somewhere else.

Plain Python: this module sits below every app and imports nothing of Django.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Refusal(enum.StrEnum):
    # The person
    ACCOUNT_DISABLED = "account_disabled"
    NOT_A_REVIEWER = "not_a_reviewer"
    NO_PERMISSION = "no_permission"
    NO_SECOND_FACTOR = "no_second_factor"
    VETTING = "vetting"
    VENDOR_NOT_APPROVED = "vendor_not_approved"
    # Where they work from
    NOT_AT_A_SITE = "not_at_a_site"
    WRONG_SITE = "wrong_site"
    # The task and the lease
    NO_LANGUAGE = "no_language"
    TASK_DONE = "task_done"
    TASK_WITHDRAWN = "task_withdrawn"
    NOT_ASSIGNED = "not_assigned"
    LEASE_EXPIRED = "lease_expired"
    # The controller's policy and the reviewer's exposure
    FACTS_MISSING = "facts_missing"
    RESIDENCY = "residency"
    NOT_CLEARED_SENSITIVE = "not_cleared_sensitive"
    ESCALATED = "escalated"
    DISTRESS_CAP = "distress_cap"
    DAILY_CAP = "daily_cap"
    HAD_SNIPPET = "had_snippet"
    HAD_RECORDING = "had_recording"
    DECLINED_RECORDING = "declined_recording"  # a distress skip or a flag: the whole recording, always
    CUSTOMER_CAP = "customer_cap"
    SKIPPED = "skipped"
    # Correcting one's last submission (review.corrections)
    CORRECTION_CLOSED = "correction_closed"   # window over, turned off, or not the latest submission
    NOT_CORRECTABLE = "not_correctable"       # a gold reference, an adjudication, an accidental activation
    # Escalation staff
    NOT_ESCALATION_STAFF = "not_escalation_staff"
    AT_A_VENDOR = "at_a_vendor"
    OFFBOARDED = "offboarded"
    OTHER_CONTROLLER = "other_controller"
    CASE_CLOSED = "case_closed"
    # What may leave QuietRoom (privacy.outbound): why a snippet is held back from an export
    HELD_ERASED = "held_erased"
    HELD_LEGAL_HOLD = "held_legal_hold"
    HELD_FLAGGED = "held_flagged"
    HELD_WITHDRAWN = "held_withdrawn"
    # No policy for the purpose (the gate fails closed)
    NO_POLICY = "no_policy"


class Reason(str):
    """A refusal sentence that also knows its code: `Reason(Refusal.DAILY_CAP, "daily cap of ...")`.

    A `str` so it prints, joins, compares and serialises (audit details, JSON) as the sentence.
    """

    code: Refusal

    def __new__(cls, code: Refusal, text: str) -> "Reason":
        reason = super().__new__(cls, text)
        reason.code = Refusal(code)
        return reason

    def __reduce__(self):
        return (Reason, (self.code, str(self)))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def of(cls, reasons) -> "Decision":
        reasons = tuple(reasons)
        return cls(allowed=not reasons, reasons=reasons)

    @property
    def codes(self) -> frozenset[Refusal]:
        return frozenset(reason.code for reason in self.reasons)


ALLOWED = Decision(allowed=True)
