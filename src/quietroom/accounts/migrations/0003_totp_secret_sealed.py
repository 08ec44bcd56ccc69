"""TOTP seeds sealed at rest: every stored seed is wrapped by the master key provider.

Three steps: widen the column to text (a sealed seed is longer than 64 characters), seal the
seeds already stored, then switch to the sealing field. On SQLite, `secure_delete` is turned
on for this connection first, so the pages and cells that held the plain seeds are zeroed
rather than left in the database file's free space. Reversible (the seeds are opened again),
for a downgrade only.
"""
from django.db import migrations, models

import quietroom.accounts.fields


def _zero_freed_space_on_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def seal_seeds(apps, schema_editor):
    from quietroom.accounts.fields import codec, is_sealed

    User = apps.get_model("accounts", "User")
    plain = User.objects.using(schema_editor.connection.alias).exclude(totp_secret="")
    for pk, seed in plain.values_list("pk", "totp_secret").iterator():
        if not is_sealed(seed):
            User.objects.using(schema_editor.connection.alias).filter(pk=pk).update(
                totp_secret=codec().seal_account_secret("totp", seed))


def open_seeds(apps, schema_editor):
    from quietroom.accounts.fields import codec, is_sealed

    User = apps.get_model("accounts", "User")
    sealed = User.objects.using(schema_editor.connection.alias).exclude(totp_secret="")
    for pk, value in sealed.values_list("pk", "totp_secret").iterator():
        if is_sealed(value):
            User.objects.using(schema_editor.connection.alias).filter(pk=pk).update(
                totp_secret=codec().open_account_secret("totp", value))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_identity_and_access'),
    ]

    operations = [
        migrations.RunPython(_zero_freed_space_on_sqlite, _zero_freed_space_on_sqlite, elidable=True),
        migrations.AlterField(
            model_name='user',
            name='totp_secret',
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(seal_seeds, open_seeds),
        migrations.AlterField(
            model_name='user',
            name='totp_secret',
            field=quietroom.accounts.fields.SealedSecretField(purpose='totp'),
        ),
    ]
