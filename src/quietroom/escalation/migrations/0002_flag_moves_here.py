"""The reviewer's flag model moves from the review app to this one (`review.Escalation` →
`escalation.Flag`). State only: the table `review_escalation` and its rows stay as they are."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("escalation", "0001_initial"),
        ("recordings", "0003_deid_profile_and_accidental"),
        ("review", "0002_room_policy_quality"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Flag",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("category", models.CharField(max_length=32)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("reviewer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                       to=settings.AUTH_USER_MODEL)),
                        ("snippet", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="flags",
                                                      to="recordings.snippet")),
                    ],
                    options={"db_table": "review_escalation"},
                ),
                migrations.AlterField(
                    model_name="case",
                    name="flag",
                    field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                               related_name="case", to="escalation.flag"),
                ),
            ],
            database_operations=[],
        ),
    ]
