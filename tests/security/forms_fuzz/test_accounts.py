"""Hypothesis types into the forms for signing in and passwords."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal import letters
from portal.models import Notification, User
from tests.factories import PASSWORD, UserFactory
from tests.security.forms_fuzz.helpers import AXES_TABLES, post
from tests.security.fuzzing import check_outcome, choice, example, form, fuzz, last_event, text
from tests.security.world import World, state

THROTTLE_TABLES = frozenset({"portal.throttlewindow"})


# --- Signing in and passwords ----------------------------------------------------------------
@fuzz(data=form(username=choice("employee@residential.care.example"), password=text(80)))
def test_sign_in(world: World, data: dict) -> bool | None:
    with example(None) as client:
        before, since = state(), last_event()
        response = client.post(reverse("login"), data)
        done = check_outcome(
            response,
            before=before,
            since=since,
            done_when="auth.login",
            # failures are counted; last sign-in kept
            ignore=AXES_TABLES | THROTTLE_TABLES | {"portal.user"},
        )
        assert done == ("_auth_user_id" in client.session)
        return done


NEW = "a-new-long-passphrase-for-spring"


@fuzz(
    data=form(old_password=choice(PASSWORD), new_password1=choice(NEW), new_password2=choice(NEW))
)
def test_change_password(world: World, data: dict) -> bool | None:
    user = world.team.employee

    def changed() -> None:
        user.refresh_from_db()
        assert user.check_password(data["new_password1"])
        assert Notification.objects.filter(recipient=user, kind="password-changed").exists()

    return post(
        user,
        reverse("password_change"),
        data,
        done_when="auth.password_changed",
        check_done=changed,
    )


@fuzz(data=form(email=choice("employee@residential.care.example", "nobody@example.com")))
def test_ask_for_a_password_reset(world: World, data: dict) -> bool | None:
    # A known address gets its link through the outbox; any address counts towards the limits.
    def queued() -> None:
        assert Notification.objects.filter(kind="password-reset").exists()

    return post(
        None,
        reverse("password_reset"),
        data,
        done_when="auth.password_reset_requested",
        check_done=queued,
        ignore=THROTTLE_TABLES,
    )


@fuzz(data=form(new_password1=choice(NEW), new_password2=choice(NEW)))
def test_set_a_new_password_from_a_reset_link(world: World, data: dict) -> bool | None:
    user = User.objects.get(pk=world.team.employee.pk)
    link = reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )
    with example(None) as client:
        form_page = client.get(link)
        assert form_page.status_code == 302
        before, since = state(), last_event()
        response = client.post(form_page["Location"], data)

        def reset() -> None:
            user.refresh_from_db()
            assert user.check_password(data["new_password1"])

        return check_outcome(
            response, before=before, since=since, done_when="auth.password_reset", check_done=reset
        )


@fuzz(
    data=form(
        employee_number=choice("W-CARER"),
        code=choice("THE-LETTERS-CODE"),
        new_password1=choice(NEW),
        new_password2=choice(NEW),
    )
)
def test_choose_a_password_from_a_letter(world: World, data: dict) -> bool | None:
    with example(None) as client:
        carer = UserFactory(
            email=None, employee_number="W-CARER", line_manager=world.team.line_manager
        )
        printed = letters.letter_print(actor=world.users["hr"], person=carer)
        if data.get("code") == "THE-LETTERS-CODE":
            data = {**data, "code": printed.code}
        before, since = state(), last_event()
        response = client.post(reverse("letter_password"), data)

        def chosen() -> None:
            carer.refresh_from_db()
            assert carer.check_password(data["new_password1"])

        return check_outcome(
            response,
            before=before,
            since=since,
            done_when="auth.password_set_from_letter",
            check_done=chosen,
            ignore=THROTTLE_TABLES,
        )
