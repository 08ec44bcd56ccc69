"""`Recording.customer` → `Recording.customer_key`: the field holds the pseudonymous customer's
key row, and `customer_id` is the product's own customer id everywhere else (ingestion,
erasure). A column rename; no data changes."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("recordings", "0003_deid_profile_and_accidental")]

    operations = [migrations.RenameField(model_name="recording", old_name="customer", new_name="customer_key")]
