"""Key the chain: an HMAC per entry and on the head row, under a key outside the database.

Entries written before this migration receive their MAC here, so from now on every entry
must carry a valid one: there is no "unkeyed" state an attacker could fake by blanking MACs.
The MAC of an old entry vouches only that it stood like this at the upgrade; the hash chain
and the signed checkpoints vouch for its earlier history, as before. An empty log needs no
key at migrate time.
"""
from django.db import migrations, models

from quietroom.audit import triggers

BATCH = 10_000


def key_existing(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        events = cursor.fetchone()[0]
        cursor.execute("SELECT seq, hash FROM audit_audithead WHERE id = 1")
        head = cursor.fetchone()
    if not events and head is None:
        return
    from django.conf import settings

    from quietroom.audit import chain

    key = chain.load(settings.AUDIT_CHAIN_KEY_FILE)
    triggers.drop(connection)  # the triggers refuse any UPDATE of an entry but retention's
    with connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute("SELECT seq, hash, leaf_hash FROM audit_auditevent WHERE seq > %s ORDER BY seq LIMIT %s",
                           [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                break
            cursor.executemany("UPDATE audit_auditevent SET mac = %s WHERE seq = %s",
                               [(key.entry_mac(h, leaf), seq) for seq, h, leaf in rows])
            last = rows[-1][0]
        if head is not None:
            cursor.execute("UPDATE audit_audithead SET tag = %s WHERE id = 1", [key.head_tag(head[0], head[1])])
    triggers.install(connection)


class Migration(migrations.Migration):

    dependencies = [("audit", "0002_merkle_checkpoints_append_only")]

    operations = [
        migrations.AddField("auditevent", "mac", models.CharField(default="", db_default="", max_length=64)),
        migrations.AddField("audithead", "tag", models.CharField(default="", db_default="", max_length=64)),
        migrations.RunPython(key_existing, migrations.RunPython.noop),
    ]
