from django.db import migrations, models

LIVE = models.Case(
    models.When(status__in=["queued", "running"], then=models.Value(True)),
    default=models.Value(None),
    output_field=models.BooleanField(null=True),
)


class Migration(migrations.Migration):
    """An import's ``live`` is worked out by the database from its status, never written."""

    dependencies = [
        ("portal", "0015_staff_import_job"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="staffimport", name="staffimport_one_live"),
        migrations.RemoveField(model_name="staffimport", name="live"),
        migrations.AddField(
            model_name="staffimport",
            name="live",
            field=models.GeneratedField(
                db_persist=True, expression=LIVE, output_field=models.BooleanField(null=True)
            ),
        ),
        migrations.AddConstraint(
            model_name="staffimport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("live", True)), fields=("live",), name="staffimport_one_live"
            ),
        ),
    ]
