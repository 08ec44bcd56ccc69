"""`Task.customer` → `Task.customer_key` (the pseudonymous customer's key row; see
recordings 0004). A column rename; no data changes."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("review", "0003_flag_moved_to_escalation")]

    operations = [migrations.RenameField(model_name="task", old_name="customer", new_name="customer_key")]
