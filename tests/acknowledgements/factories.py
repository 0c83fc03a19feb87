"""Factories for policies, versions and assignments (each helper class is added, never changed)."""

from __future__ import annotations

import factory

from acknowledgements.models import Policy, PolicyVersion

SIMPLE_BODY = (
    "## 1 Purpose\n\nThis policy sets out how ICT is used.\n\n"
    "## 2 Scope\n\nIt applies to all staff.\n"
)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"policy-{n}")
    title = factory.Sequence(lambda n: f"Policy {n}")


class PolicyVersionFactory(factory.django.DjangoModelFactory):
    """A draft by default; pass status="published" with dates for a published one."""

    class Meta:
        model = PolicyVersion

    policy = factory.SubFactory(PolicyFactory)
    number = factory.Sequence(lambda n: n + 1)
    body = SIMPLE_BODY


class PersonalUseGrantFactory(factory.django.DjangoModelFactory):
    """An open grant of email use written directly (the service checks who may grant)."""

    class Meta:
        model = "acknowledgements.PersonalUseGrant"

    employee = factory.SubFactory("tests.factories.UserFactory")
    granted_by = factory.LazyAttribute(lambda grant: grant.employee.line_manager)
    email = True


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    """A real signature made by ``acknowledgements.signing.sign``, so the hash chain stays whole.

    Pass ``version`` (default: the seed policy's version 1); the signer types their own name
    unless ``printed_name`` is given. The receipt notification is written as in real use.
    """

    class Meta:
        model = "acknowledgements.Acknowledgement"

    user = factory.SubFactory("tests.factories.UserFactory")

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object):
        from django.test import RequestFactory

        from acknowledgements import publishing, signing
        from tests.factories import PASSWORD

        user = kwargs["user"]
        version = kwargs.get("version") or publishing.load_seed_policy()
        request = RequestFactory().post(
            "/",
            REMOTE_ADDR=kwargs.get("ip_address", "192.0.2.10"),
            HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        )
        return signing.sign(
            user=user,
            version=version,
            printed_name=kwargs.get("printed_name") or user.full_name,
            password=PASSWORD,
            request=request,
        )
