from __future__ import annotations

from datetime import date

import factory

from portal.models import Department, Notification, User

PASSWORD = "correct-horse-battery-staple"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    employee_number = factory.Sequence(lambda n: f"T{n:06d}")
    job_title = "Support Worker"
    department = factory.SubFactory(DepartmentFactory, name="Residential Care")
    start_date = date(2024, 1, 15)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            from django.contrib.auth.models import Group

            # The role groups come from a data migration, which a transactional test's flush
            # removes; creating them here keeps later tests independent of the order they run in.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))


class NotificationFactory(factory.django.DjangoModelFactory):
    """An inbox message, written directly (``portal.outbox.notify`` renders the real ones)."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "test-message"
    subject = factory.Sequence(lambda n: f"Message {n}")
    body_text = "Please read the updated policy."
    dedupe_key = factory.Sequence(lambda n: f"test-message:{n}")
