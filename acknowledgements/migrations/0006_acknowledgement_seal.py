"""Each signature record carries its seal: an Ed25519 signature of its record hash.

Records written before this migration have none. They cannot be sealed afterwards (the table
refuses UPDATE, and a seal added later would vouch for a record the key never saw signed), so
``verify_acknowledgements`` and the Verify page report them as unsealed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("acknowledgements", "0005_owner_only_reset_published_text")]

    operations = [
        migrations.AddField(
            model_name="acknowledgement",
            name="seal",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="acknowledgement",
            name="seal_key_id",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddIndex(
            model_name="acknowledgement",
            index=models.Index(
                fields=["seal_key_id", "sequence"], name="acknowledgement_seal_key_idx"
            ),
        ),
    ]
