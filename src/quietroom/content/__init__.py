"""Content at rest: customer keys, sealing, shredding, raw-audio retention, key rotation.

The level just above the vault. It knows which key wraps what (one key per pseudonymous
customer, one data key per object) and where each object's ciphertext lives, and it writes
content (seals it) and destroys it; it never decides who may read, and it never decrypts
content: reading is the gate's (`quietroom.gate`), which asks the policy registered for the
purpose and audits in the same transaction. Nothing here imports an access policy, so every
app may seal and shred without an import circle.

    stores    the configured key provider and blob store
    keys      customer key rows: created on first sight, unwrapped, destroyed, re-wrapped
    held      held keys: what a legal hold keeps of an erased customer, re-wrapped under its own key
    account_secrets  second-factor seeds sealed by the master key (keys, not content)
    sealing   sealing objects, shredding snippets, deleting raw audio after processing
    sealed    descriptions of stored content for the gate to open (no plaintext here)
"""
from .keys import ContentGone, customer_key_row, destroy_customer_key, key_of, rewrap_customer_keys
from .held import destroy_held_key, held_key_for, hold_objects
from .sealed import (
    SealedContent, draft_of, escalation_note_of, hypothesis_of, raw_audio_of, snippet_audio_of, transcript_of,
)
from .sealing import (
    delete_raw_audio, seal_draft, seal_escalation_note, seal_recording_audio, seal_snippet_audio,
    seal_snippet_hypothesis, seal_transcript, shred_escalation_note, shred_snippet,
)
from .account_secrets import open_account_secret, rewrap_account_secrets, seal_account_secret
from .stores import blob_store, key_provider

__all__ = [
    "ContentGone", "SealedContent", "blob_store", "customer_key_row", "delete_raw_audio",
    "destroy_customer_key", "destroy_held_key", "draft_of", "escalation_note_of", "held_key_for", "hold_objects",
    "hypothesis_of", "key_of", "key_provider",
    "open_account_secret", "raw_audio_of", "rewrap_account_secrets", "rewrap_customer_keys",
    "seal_account_secret", "seal_draft", "seal_escalation_note", "seal_recording_audio", "seal_snippet_audio",
    "seal_snippet_hypothesis", "seal_transcript", "shred_escalation_note", "shred_snippet", "snippet_audio_of",
    "transcript_of",
]
