"""Indexes for the auditor's pages (audit/browse.py): every filter (action or action prefix,
actor pseudonym, object, outcome, date) reads one page, newest first, from an index instead of
scanning the log.

CREATE INDEX blocks appends while it runs: on a log of millions of entries that is some
seconds per index, so run this migration in a maintenance window. (The drift Django reports on
actor_pseudonym and salt is left out on purpose: on SQLite it would rebuild the whole table.)
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("audit", "0004_checkpoint_compact_range")]

    operations = [
        migrations.AddIndex("auditevent", models.Index(fields=["action", "seq"], name="audit_event_action_seq",
                                                       opclasses=["varchar_pattern_ops", ""])),
        migrations.AddIndex("auditevent", models.Index(fields=["actor_pseudonym", "seq"], name="audit_event_actor_seq")),
        migrations.AddIndex("auditevent", models.Index(fields=["object_type", "object_id", "seq"],
                                                       name="audit_event_object_seq")),
        migrations.AddIndex("auditevent", models.Index(fields=["outcome", "seq"], name="audit_event_outcome_seq")),
        migrations.AddIndex("auditevent", models.Index(fields=["at"], name="audit_event_at")),
    ]
