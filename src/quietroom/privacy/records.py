"""Records of processing activities (GDPR Art. 30), generated from the configuration.

Controllers and their vendors (as sub-processors) and sites come from the accounts tables;
purposes from the audit vocabulary below; retention from settings.QUIETROOM_RETENTION.
"""
from __future__ import annotations

import json

from django.conf import settings

from quietroom.accounts.models import Organisation, Site

PURPOSES = {
    "deidentification": "cutting recordings into short snippets, removing personal data from audio and text",
    "transcription": "human transcription and grading of de-identified snippets to improve speech recognition",
    "quality_assurance": "checking transcripts (gold items, agreement, adjudication)",
    "escalation": "handling disturbing or sensitive content a reviewer reports",
    "export": "returning checked transcripts to the controller under pseudonymous ids",
    "erasure": "honouring data-subject erasure requests",
    "data_subject_access": "answering data-subject access requests",
    "retention": "deleting data when its retention period ends",
}
CATEGORIES_OF_DATA = ["voice recordings (snippets, anonymised voice)", "transcripts", "customer pseudonyms",
                      "reviewer identities, sites and access logs"]
SECURITY = ["AES-256-GCM envelope encryption with one key per customer (crypto-shredding on erasure)",
            "single audited decryption gate", "vetted reviewers at approved sites with two factors",
            "tamper-evident audit log with signed Merkle checkpoints"]


def build() -> dict:
    controllers = []
    for controller in Organisation.objects.filter(kind="controller").order_by("name"):
        vendors = []
        for vendor in Organisation.objects.filter(kind="vendor", controller=controller).order_by("name"):
            sites = Site.objects.filter(organisation=vendor).order_by("name")
            vendors.append({"name": vendor.name, "role": "sub-processor",
                            "sites": [{"name": s.name, "country": s.country} for s in sites],
                            "countries": sorted({s.country for s in sites})})
        controllers.append({
            "controller": controller.name,
            "processor": "QuietRoom operator",
            "purposes": PURPOSES,
            "categories_of_data_subjects": ["customers of the controller's voice product", "reviewers"],
            "categories_of_data": CATEGORIES_OF_DATA,
            "sub_processors": vendors,
            "countries": sorted({c for v in vendors for c in v["countries"]}),
            "retention_days": dict(settings.QUIETROOM_RETENTION),
            "security_measures": SECURITY,
        })
    return {"records_of_processing": controllers}


def as_json() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
