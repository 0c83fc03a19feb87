from django.db import migrations, models


def from_the_audit_log(apps, schema_editor):
    """What the account task did to each notice's account, as its audit event recorded it.

    An account that was already active when linked is marked as linked: its own end comes from
    the directory, not from the notice, so the hourly job no longer ends it on the notice's date.
    """
    StaffChange = apps.get_model("requests", "StaffChange")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    events = AuditEvent.objects.filter(
        action__in=["user.created", "user.linked"], object_type="portal.user"
    ).order_by("created_at", "pk")
    actions = {}
    for event in events.only("action", "data").iterator():
        notice = (event.data or {}).get("notice")
        if notice is None:
            continue
        if event.action == "user.created":
            actions[notice] = "created"
        else:
            actions[notice] = "reactivated" if event.data.get("reactivated") else "linked"
    for action in ("created", "reactivated", "linked"):
        ids = [pk for pk, value in actions.items() if value == action]
        StaffChange.objects.filter(pk__in=ids, person__isnull=False).update(account_action=action)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_user_name_index"),
        ("requests", "0002_staff_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="staffchange",
            name="account_action",
            field=models.CharField(
                blank=True,
                choices=[
                    ("created", "Created from this notice"),
                    ("reactivated", "A returner's account, reactivated with this notice's details"),
                    ("linked", "An active account, linked with its details unchanged"),
                ],
                help_text="What ticking the account task did. Only an account the notice created "
                "or reactivated ends on the notice's access end date.",
                max_length=16,
            ),
        ),
        migrations.RunPython(from_the_audit_log, migrations.RunPython.noop),
    ]
