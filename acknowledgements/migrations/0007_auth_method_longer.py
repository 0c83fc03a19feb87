"""Room in the authentication method for an organisation sign-in's provider, subject and time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("acknowledgements", "0006_acknowledgement_seal")]

    operations = [
        migrations.AlterField(
            model_name="acknowledgement",
            name="auth_method",
            field=models.CharField(max_length=400),
        ),
    ]
