"""A notification may go to an outside address (an auditor's mailbox) instead of a portal user."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_form_submissions")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="address",
            field=models.EmailField(blank=True, db_default="", max_length=254),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="notification_has_addressee",
            ),
        ),
    ]
