"""Checkpoints keep their compact range (the roots of the perfect subtrees on the tree's right
edge), so the next checkpoint extends it instead of reading the whole log. Older checkpoints
have none: the first checkpoint after them is built from every stored leaf, as before."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("audit", "0003_chain_key")]

    operations = [
        migrations.AddField("auditcheckpoint", "compact_range", models.JSONField(default=list)),
    ]
