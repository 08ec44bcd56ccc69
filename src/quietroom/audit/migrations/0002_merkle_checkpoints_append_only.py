"""Merkle leaves, signed checkpoints, retention pruning, and append-only triggers.

Existing entries are re-hashed into the new canonical form (pseudonym plus a salted commitment
to username and address) before the triggers exist; from then on no row can be changed.
"""
import hashlib
import json
import secrets

from django.db import migrations, models

from quietroom.audit import triggers


def rehash_existing(apps, schema_editor):
    from quietroom.audit.log import GENESIS, actor_commitment, canonical_bytes, iso_time

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        event.salt = secrets.token_hex(16)
        entry = canonical_bytes(
            event.seq, iso_time(event.at), actor_commitment(event.actor, event.address, event.salt),
            "", event.role, event.organisation, event.site, event.country, event.action,
            event.object_type, event.object_id, event.customer, event.purpose, event.outcome,
            json.loads(json.dumps(event.details)),
        )
        event.prev_hash = prev
        event.hash = hashlib.sha256(prev.encode() + b"\n" + entry).hexdigest()
        event.leaf_hash = hashlib.sha256(b"\x00" + entry).hexdigest()
        event.save(update_fields=["salt", "prev_hash", "hash", "leaf_hash"])
        prev = event.hash
    AuditHead.objects.filter(id=1).update(hash=prev)


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField("auditevent", "actor_pseudonym", models.CharField(blank=True, max_length=32, default="")),
        migrations.AddField("auditevent", "salt", models.CharField(blank=True, max_length=32, default="")),
        migrations.AddField("auditevent", "leaf_hash", models.CharField(default="", max_length=64)),
        migrations.AddField("auditevent", "pruned_at", models.DateTimeField(blank=True, null=True)),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.BigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("note", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("previous_size", models.BigIntegerField(blank=True, null=True)),
                ("consistency_proof", models.JSONField(default=list)),
            ],
            options={"ordering": ["size"]},
        ),
        migrations.CreateModel(
            name="AuditPrune",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("upto_seq", models.BigIntegerField()),
                ("checkpoint_size", models.BigIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("cutoff", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(rehash_existing, migrations.RunPython.noop),
        # Vendor-specific SQL (SQLite RAISE(ABORT) triggers, PostgreSQL plpgsql trigger
        # functions): see quietroom/audit/triggers.py.
        migrations.RunPython(install_triggers, drop_triggers),
    ]
