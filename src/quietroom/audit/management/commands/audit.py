"""Audit log tools.

  quietroom audit verify [--public-key KEY]   recompute entries, chain, MACs, head, tree, checkpoints
  quietroom audit checkpoint                   sign the current tree head (cron-friendly)
  quietroom audit export-checkpoints --out F   checkpoints and proofs for an outside witness
  quietroom audit public-key                   the verifier key (C2SP format)
  quietroom audit create-signing-key PATH      a new Ed25519 signing key file (0600)
  quietroom audit create-chain-key PATH        a new chain (HMAC) key file (0600)
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.audit import chain, checkpoints, notes
from quietroom.audit.log import Actor, record
from quietroom.audit.verification import verify


class Command(BaseCommand):
    help = "Audit log tools: verify, checkpoint, export-checkpoints, public-key, create-signing-key, create-chain-key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint", "export-checkpoints", "public-key", "create-signing-key",
                                                   "create-chain-key"],
                            help="verify the chain and checkpoints; sign a checkpoint now; export them; show the "
                                 "verifier key; create a key (before production settings load)")
        parser.add_argument("path", nargs="?", help="create-signing-key, create-chain-key: where to write the key")
        parser.add_argument("--out", help="export-checkpoints: output file (default: stdout)")
        parser.add_argument("--public-key", help="verify: check signatures with this verifier key (text or file)")
        parser.add_argument("--name", help="create-signing-key: key name (default: the configured origin)")

    def handle(self, *args, **opts):
        getattr(self, "_" + opts["action"].replace("-", "_"))(opts)

    def _verify(self, opts):
        verifier = None
        if opts["public_key"]:
            verifier = _read_verifier(opts["public_key"])
        try:
            result = verify(verifier=verifier)
        except (notes.NoteError, chain.ChainKeyError) as exc:
            raise CommandError(f"audit verify: {exc}") from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        if not result.ok:
            raise CommandError(f"audit log broken at entry {result.first_bad_seq}: {result.reason}")
        self.stdout.write(
            f"audit log intact: {result.checked} entries and their MACs, the head, "
            f"{result.checkpoints_checked} signed checkpoints verified"
            + (f", {result.unsigned_tail} entries not yet checkpointed" if result.unsigned_tail else "")
        )

    def _checkpoint(self, opts):
        try:
            checkpoint = checkpoints.write_checkpoint()
        except checkpoints.CheckpointRefused as exc:
            raise CommandError(f"checkpoint refused: {exc}") from None
        if checkpoint is None:
            self.stdout.write("audit log is empty: nothing to sign")
        else:
            self.stdout.write(checkpoint.note)

    def _export_checkpoints(self, opts):
        text = checkpoints.export_json()
        if opts["out"]:
            Path(opts["out"]).write_text(text)
            self.stdout.write(f"wrote {opts['out']}")
        else:
            self.stdout.write(text, ending="")

    def _public_key(self, opts):
        self.stdout.write(checkpoints.verifier().encode())

    def _create_signing_key(self, opts):
        from django.conf import settings

        if not opts["path"]:
            raise CommandError("usage: quietroom audit create-signing-key PATH")
        try:
            signer = notes.create_signer_file(opts["path"], opts["name"] or settings.AUDIT_ORIGIN)
        except FileExistsError:
            raise CommandError(f"{opts['path']} already exists; refusing to overwrite a signing key") from None
        record(Actor.system(), "key.audit_signing.create", object_type="audit_key", object_id=signer.verifier.key_id.hex())
        self.stdout.write(f"signing key written to {opts['path']}; verifier key: {signer.verifier.encode()}")

    def _create_chain_key(self, opts):
        if not opts["path"]:
            raise CommandError("usage: quietroom audit create-chain-key PATH")
        if not chain.create_key_file(opts["path"]):
            raise CommandError(f"{opts['path']} already exists; refusing to overwrite the audit chain key")
        self.stdout.write(f"audit chain key written to {opts['path']}; set QUIETROOM_AUDIT_CHAIN_KEY to it")


def _read_verifier(value: str) -> notes.Verifier:
    path = Path(value)
    text = path.read_text() if path.is_file() else value
    try:
        return notes.Verifier.parse(text)
    except notes.NoteError as exc:
        raise CommandError(f"--public-key: {exc}") from None
