"""`review.Escalation` now lives in the escalation app as `Flag` (state only; the table stays)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0002_room_policy_quality"),
        ("escalation", "0002_flag_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Escalation")],
            database_operations=[],
        ),
    ]
