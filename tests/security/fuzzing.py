"""What Hypothesis types into the portal's forms, and the rule every answer must keep.

Each example runs inside a transaction that is rolled back afterwards, so every example starts
from the same world; the client signs in again inside it (its session row is rolled back too).

The rule: never a server error; and either the step happened completely (its audit event was
written, and the form's own check of the result passes) or no table changed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie

from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from portal.models import AuditEvent, User
from tests.factories import PASSWORD
from tests.security.report import SUMMARY
from tests.security.world import World, changed_tables, state

# Characters a browser can send: anything but lone surrogates, which UTF-8 cannot carry.
CHARACTERS = st.characters(exclude_categories=("Cs",))
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999999",
    "12.345",
    "£1,000,000,000.00",
    "2024-02-30",
    "31/12/9999",
    "01/01/0001",
    "0000-00-00",
    "<script>alert(1)</script>",
    "'; DROP TABLE portal_user; --",
    "../../../../etc/passwd",
    "%00%2e%2e%2f",
    "\u202etxt.exe",
    "🙂" * 3,
    "ÅÄÖ ß ǅ ﬁ",
    "x" * 5001,
    "javascript:alert(1)",
    "https://example.com/" + "a" * 600,
    PASSWORD,
)


def text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(st.text(CHARACTERS, max_size=max_size), st.sampled_from(NASTY))


def choice(*plausible: str) -> st.SearchStrategy[str]:
    """One of the values the form offers, or anything at all."""
    return st.one_of(st.sampled_from(plausible), text(40))


def checkbox() -> st.SearchStrategy[str | None]:
    return st.sampled_from([None, "on", "", "off", "1", "\x00"])


def form(**fields: st.SearchStrategy) -> st.SearchStrategy[dict[str, object]]:
    """A form's data; a field whose value is None is left out, as a browser leaves a box."""
    return st.fixed_dictionaries(fields).map(
        lambda data: {key: value for key, value in data.items() if value is not None}
    )


CLIENTS: dict[int | None, Client] = {}


def near(valid: dict[str, str], **fields: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """A form filled in correctly, then up to three of its fields changed to anything (or left
    out): each field's checks are met on their own, and a valid form is sent often enough for
    the step to be completed."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, object]:
        data: dict[str, object] = dict(valid)
        for name in draw(st.sets(st.sampled_from(sorted(fields)), max_size=3)):
            value = draw(st.one_of(st.none(), fields[name]))
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    return build()


@contextmanager
def example(user: User | None) -> Iterator[Client]:
    """A client signed in as ``user`` for one example, whose writes are then undone.

    The client signs in once, outside the examples; its session row is restored with
    everything else, and so is its cookie, should the example have changed the session key.
    """
    key = user.pk if user is not None else None
    client = CLIENTS.get(key)
    if client is None or (user is not None and "_auth_user_id" not in client.session):
        client = CLIENTS[key] = Client()
        if user is not None:
            client.force_login(user)
    cookies = client.cookies
    client.cookies = SimpleCookie(cookies.output(header="", sep="\n"))
    try:
        with transaction.atomic():
            yield client
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def check_outcome(
    response,
    *,
    before: dict[str, list],
    since: int,
    done_when: str,
    check_done: Callable[[], None] = lambda: None,
    ignore: frozenset[str] = frozenset(),
) -> bool:
    """The rule above; True when the step happened."""
    assert response.status_code < 500, response.status_code
    events = list(AuditEvent.objects.filter(pk__gt=since).values_list("action", flat=True))
    if done_when in events:
        assert events.count(done_when) == 1, events
        check_done()
        return True
    changed = [t for t in changed_tables(before, state()) if t not in ignore]
    assert changed == [], f"nothing was done, yet these changed: {changed}"
    assert set(events) <= {
        "auth.permission_denied",
        "auth.login_failed",
        "auth.locked_out",
        "auth.letter_code_refused",
    }
    return False


TOTALS = {"forms": 0, "examples": 0, "completed": 0}


def fuzz(*, can_refuse: bool = True, **strategies: st.SearchStrategy) -> Callable:
    """Run the test's body as a Hypothesis property over ``strategies``, then check its coverage.

    The body returns whether the step happened (None for pages that only read). Over all the
    examples, a form that can complete must have completed at least once and been refused at
    least once: otherwise one half of the rule was never put to the test.
    """

    def decorate(body: Callable[..., bool | None]) -> Callable[[World], None]:
        def test(world: World) -> None:
            seen: list[bool | None] = []

            @given(**strategies)
            def attempt(**drawn: object) -> None:
                seen.append(body(world, **drawn))

            attempt()
            completed = seen.count(True)
            TOTALS["forms"] += 1
            TOTALS["examples"] += len(seen)
            TOTALS["completed"] += completed
            SUMMARY.append(
                f"fuzzed {body.__name__.removeprefix('test_')}: {len(seen)} examples, "
                f"{completed} completed the step, 0 server errors"
            )
            assert len(seen) >= 200
            if any(outcome is not None for outcome in seen):
                assert completed, "no example completed the step"
                assert False in seen or not can_refuse, "every example completed the step"

        test.__name__ = body.__name__
        test.__qualname__ = body.__qualname__
        test.__doc__ = body.__doc__
        test.__module__ = body.__module__
        return test

    return decorate
