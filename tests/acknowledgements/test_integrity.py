"""Signature records can be added, never changed or removed; writers never break the chain."""

from __future__ import annotations

import itertools
import threading
from io import StringIO

import psycopg2.errors
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from acknowledgements import chain, publishing, signing
from acknowledgements.models import Acknowledgement, PolicyVersion
from portal.models import User
from tests.acknowledgements.factories import PolicyVersionFactory
from tests.factories import PASSWORD, UserFactory
from tests.helpers import refused_sql


def sign(user: User, version: PolicyVersion, *, ip: str = "192.0.2.10") -> Acknowledgement:
    request = RequestFactory().post(
        "/policies/acceptable-use/sign/", REMOTE_ADDR=ip, HTTP_USER_AGENT="Firefox/128.0"
    )
    return signing.sign(
        user=user, version=version, printed_name=user.full_name, password=PASSWORD, request=request
    )


@pytest.fixture
def ack(employee, version) -> Acknowledgement:
    publishing.assign_outstanding(policy=version.policy)
    return sign(employee, version)


def stored_row(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT printed_name, statement, record_hash, signed_at"
            " FROM acknowledgements_acknowledgement WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


# --- Through the ORM (every backend) ----------------------------------------------------------


def test_saving_a_changed_record_is_refused(ack):
    before = stored_row(ack.pk)
    ack.printed_name = "Someone Else"

    with pytest.raises(TypeError, match="permanent records and cannot be changed"):
        ack.save()

    assert stored_row(ack.pk) == before


def test_saving_only_some_fields_is_refused(ack):
    ack.printed_name = "Someone Else"

    with pytest.raises(TypeError, match="cannot be changed"):
        ack.save(update_fields=["printed_name"])

    assert Acknowledgement.objects.get(pk=ack.pk).printed_name == "Emma Jones"


def test_deleting_a_record_is_refused(ack):
    with pytest.raises(TypeError, match="permanent records and cannot be deleted"):
        ack.delete()

    assert Acknowledgement.objects.filter(pk=ack.pk).exists()


def test_queryset_update_is_refused(ack):
    before = stored_row(ack.pk)

    with pytest.raises(
        TypeError, match="Acknowledgement rows are append-only and cannot be updated"
    ):
        Acknowledgement.objects.filter(pk=ack.pk).update(printed_name="Someone Else")

    assert stored_row(ack.pk) == before


def test_queryset_delete_is_refused(ack):
    with pytest.raises(
        TypeError, match="Acknowledgement rows are append-only and cannot be deleted"
    ):
        Acknowledgement.objects.filter(pk=ack.pk).delete()

    assert Acknowledgement.objects.count() == 1


def test_bulk_update_is_refused(ack):
    ack.printed_name = "Someone Else"

    # bulk_update opens an atomic block without a savepoint; ours keeps the test usable.
    with pytest.raises(TypeError, match="cannot be updated"), transaction.atomic():
        Acknowledgement.objects.bulk_update([ack], ["printed_name"])

    assert Acknowledgement.objects.get(pk=ack.pk).printed_name == "Emma Jones"


def test_related_managers_refuse_too(ack, employee):
    with pytest.raises(TypeError, match="cannot be updated"):
        employee.acknowledgements.update(printed_name="Someone Else")
    with pytest.raises(TypeError, match="cannot be deleted"):
        employee.acknowledgements.all().delete()

    assert Acknowledgement.objects.get(pk=ack.pk).printed_name == "Emma Jones"


def test_the_signer_and_version_cannot_be_deleted_from_under_a_record(ack, employee, version):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        employee.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).delete()

    assert Acknowledgement.objects.filter(pk=ack.pk, user=employee, version=version).exists()


# --- In the database itself (PostgreSQL) ------------------------------------------------------


def truncate(cursor) -> None:
    # Other reasons PostgreSQL has to refuse a TRUNCATE would hide the trigger's answer: the
    # foreign-key checks still pending in this transaction ("pending trigger events") are run
    # now, and CASCADE takes the assignments that refer to the records along.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("TRUNCATE acknowledgements_acknowledgement CASCADE")


def test_raw_update_is_refused_by_the_database(postgres, ack):
    before = stored_row(ack.pk)

    error = refused_sql(
        "UPDATE acknowledgements_acknowledgement SET printed_name = 'Someone Else' WHERE id = %s",
        [ack.pk],
    )

    assert isinstance(error.__cause__, psycopg2.errors.InsufficientPrivilege)
    assert "acknowledgements are permanent records: UPDATE refused" in str(error)
    assert stored_row(ack.pk) == before


def test_raw_update_that_changes_nothing_is_refused_too(postgres, ack):
    error = refused_sql(
        "UPDATE acknowledgements_acknowledgement SET printed_name = printed_name WHERE id = %s",
        [ack.pk],
    )

    assert "UPDATE refused" in str(error)


def test_raw_delete_is_refused_by_the_database(postgres, ack):
    before = stored_row(ack.pk)

    error = refused_sql("DELETE FROM acknowledgements_acknowledgement WHERE id = %s", [ack.pk])

    assert isinstance(error.__cause__, psycopg2.errors.InsufficientPrivilege)
    assert "acknowledgements are permanent records: DELETE refused" in str(error)
    assert stored_row(ack.pk) == before


def test_raw_truncate_is_refused_by_the_database(postgres, ack):
    before = stored_row(ack.pk)

    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test connections allow TRUNCATE so that transactional tests can empty the
        # database; this transaction withdraws that, as every other session is.
        cursor.execute("SET LOCAL portal.test_database_reset = 'off'")
        truncate(cursor)

    assert isinstance(refused.value.__cause__, psycopg2.errors.InsufficientPrivilege)
    assert "acknowledgements are permanent records: TRUNCATE refused" in str(refused.value)
    assert stored_row(ack.pk) == before


def test_truncate_is_only_allowed_while_resetting_a_test_database(postgres, ack):
    with connection.cursor() as cursor:
        cursor.execute("SHOW portal.test_database_reset")
        assert cursor.fetchone() == ("on",)
        savepoint = transaction.savepoint()
        truncate(cursor)
        assert not Acknowledgement.objects.exists()
        transaction.savepoint_rollback(savepoint)

    assert Acknowledgement.objects.filter(pk=ack.pk).exists()


def test_a_session_that_never_set_the_reset_flag_cannot_truncate(postgres, ack):
    with (
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("RESET portal.test_database_reset")
        truncate(cursor)

    assert "TRUNCATE refused" in str(refused.value)
    assert Acknowledgement.objects.filter(pk=ack.pk).exists()


def test_the_database_still_accepts_new_signatures(postgres, ack, manager, version):
    second = sign(manager, version)

    assert list(Acknowledgement.objects.values_list("pk", flat=True)) == [ack.pk, second.pk]


# --- Concurrent writers (PostgreSQL, committed transactions) ----------------------------------


def run_together(*jobs) -> list[object]:
    """Start ``jobs`` in threads at the same moment; return each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except BaseException as exc:  # the test reports whatever happened in the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a signing thread never finished"
    return results


@pytest.mark.django_db(transaction=True)
def test_two_tabs_signing_at_once_record_one_signature(postgres):
    version = publishing.load_seed_policy()
    user = UserFactory(first_name="Emma", last_name="Jones")
    publishing.assign_outstanding(policy=version.policy)

    results = run_together(lambda: sign(user, version), lambda: sign(user, version))

    signed = [r for r in results if isinstance(r, Acknowledgement)]
    already = [r for r in results if isinstance(r, signing.AlreadySigned)]
    assert len(signed) == 1, results
    assert len(already) == 1, results
    assert already[0].acknowledgement == signed[0]
    assert list(Acknowledgement.objects.values_list("pk", flat=True)) == [signed[0].pk]
    assert user.policy_assignments.get().acknowledgement_id == signed[0].pk


@pytest.mark.django_db(transaction=True)
def test_many_people_signing_at_once_keep_the_chain_intact(postgres):
    # Two policies: signers of different versions share no row, only the chain's lock.
    versions = [
        publishing.load_seed_policy(),
        PolicyVersionFactory(status=PolicyVersion.Status.PUBLISHED),
    ]
    people = UserFactory.create_batch(8)

    results = run_together(
        *[
            (lambda person=person, version=versions[i % 2]: sign(person, version))
            for i, person in enumerate(people)
        ]
    )

    assert all(isinstance(r, Acknowledgement) for r in results), results
    records = list(Acknowledgement.objects.order_by("sequence"))
    assert [r.sequence for r in records] == list(range(1, 9))
    assert len({r.prev_hash for r in records}) == 8
    assert records[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.record_hash for a, b in itertools.pairwise(records))
    out = StringIO()
    call_command("verify_acknowledgements", stdout=out)
    assert "All 8 acknowledgements verified" in out.getvalue()
