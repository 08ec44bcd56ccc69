from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0002_export_controller_and_import_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="held_back",
            field=models.JSONField(default=dict),
        ),
    ]
