"""An ingestion batch knows its controller, an optional label and when the pipeline finished it.

Existing batches get their controller from their recordings (a batch has one controller), and
`finished_at` from the last thing the pipeline wrote for them (a snippet, or the deletion of an
accidental activation's raw audio) when none of their recordings is still waiting.
"""
from django.db import migrations, models
from django.db.models import Max


def backfill(apps, schema_editor):
    IngestBatch = apps.get_model("recordings", "IngestBatch")
    Recording = apps.get_model("recordings", "Recording")
    Snippet = apps.get_model("recordings", "Snippet")
    for batch in IngestBatch.objects.all().iterator():
        recordings = Recording.objects.filter(batch_id=batch.pk)
        first = recordings.order_by("received_at").values_list("controller_id", flat=True).first()
        finished = None
        if recordings.exists() and not recordings.filter(status="received").exists():
            moments = [Snippet.objects.filter(recording__batch_id=batch.pk).aggregate(m=Max("created_at"))["m"],
                       recordings.aggregate(m=Max("raw_deleted_at"))["m"]]
            finished = max((m for m in moments if m is not None), default=None)
        IngestBatch.objects.filter(pk=batch.pk).update(controller_id=first, finished_at=finished)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_invitation_email"),
        ("recordings", "0004_customer_key_named_as_such"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestbatch", name="controller",
            field=models.ForeignKey(blank=True, null=True, on_delete=models.deletion.PROTECT, related_name="+",
                                    to="accounts.organisation"),
        ),
        migrations.AddField(model_name="ingestbatch", name="label", field=models.CharField(blank=True, max_length=100)),
        migrations.AddField(model_name="ingestbatch", name="finished_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
