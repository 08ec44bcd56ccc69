"""`Exposure`: what each reviewer has had, kept after skips, expired leases and releases.

The backfill writes what the database still knows: every task with a lease owner (live
leases, submissions, withdrawn gold slots), every skip (the task forgot its skipper, the Skip
row did not), and the recordings a reviewer asked never to hear again (a distress skip, a
flag). Leases that expired before this migration left no trace and cannot be recovered.
Submitted tasks count as heard (their minutes counted before, and still do).
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Three set-based statements (no rows through Python: there may be millions)."""
    q = schema_editor.connection.ops.quote_name
    exposure, task, skip, flag = (q(apps.get_model(app, name)._meta.db_table) for app, name in (
        ("review", "Exposure"), ("review", "Task"), ("review", "Skip"), ("escalation", "Flag")))
    columns = ("reviewer_id, task_id, snippet_id, recording_id, customer_key_id, duration_seconds, "
               "given_at, heard_at, excludes_recording")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {exposure} ({columns})
            SELECT t.lease_owner_id, t.id, t.snippet_id, t.recording_id, t.customer_key_id, t.duration_seconds,
                   COALESCE(t.assigned_at, t.created_at),
                   CASE WHEN t.status = %s THEN COALESCE(t.assigned_at, t.created_at) END, %s
            FROM {task} t WHERE t.lease_owner_id IS NOT NULL""", ["done", False])
        cursor.execute(f"""
            INSERT INTO {exposure} ({columns})
            SELECT s.reviewer_id, t.id, t.snippet_id, t.recording_id, t.customer_key_id, t.duration_seconds,
                   MIN(s.at), NULL, %s
            FROM {skip} s JOIN {task} t ON t.id = s.task_id
            WHERE NOT EXISTS (SELECT 1 FROM {exposure} x WHERE x.task_id = t.id AND x.reviewer_id = s.reviewer_id)
            GROUP BY s.reviewer_id, t.id, t.snippet_id, t.recording_id, t.customer_key_id, t.duration_seconds""",
                       [False])
        cursor.execute(f"""
            UPDATE {exposure} SET excludes_recording = %s
            WHERE EXISTS (SELECT 1 FROM {skip} s WHERE s.task_id = {exposure}.task_id
                          AND s.reviewer_id = {exposure}.reviewer_id AND s.reason = %s)
               OR EXISTS (SELECT 1 FROM {flag} f WHERE f.snippet_id = {exposure}.snippet_id
                          AND f.reviewer_id = {exposure}.reviewer_id)""", [True, "uncomfortable"])


class Migration(migrations.Migration):

    dependencies = [
        ('recordings', '0004_customer_key_named_as_such'),
        ('review', '0004_customer_key_named_as_such'),
        ('escalation', '0002_flag_moves_here'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Exposure',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('duration_seconds', models.FloatField(default=0.0)),
                ('given_at', models.DateTimeField()),
                ('heard_at', models.DateTimeField(blank=True, null=True)),
                ('excludes_recording', models.BooleanField(default=False)),
                ('customer_key', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='recordings.customerkey')),
                ('recording', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='recordings.recording')),
                ('reviewer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('snippet', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='recordings.snippet')),
                ('task', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='exposures', to='review.task')),
            ],
            options={
                'indexes': [models.Index(fields=['reviewer', 'snippet'], name='review_exposure_snippet_idx'), models.Index(fields=['reviewer', 'recording'], name='review_exposure_recording_idx'), models.Index(fields=['reviewer', 'given_at'], name='review_exposure_day_idx'), models.Index(fields=['reviewer', 'customer_key', 'given_at'], name='review_exposure_customer_idx')],
                'constraints': [models.UniqueConstraint(fields=('task', 'reviewer'), name='review_exposure_once_per_task')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
