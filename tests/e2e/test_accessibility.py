"""Accessibility: axe-core on every main page of every role, and signing by keyboard alone.

Each role's pages are one table below. A page that needs an object names it in braces
(``/requests/{request}/``); the ``world`` fixture makes one of each. To cover a new page, add a
line to its role's table (and, if it needs an object, make it in ``world``).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from acknowledgements import demo_data as policy_demo
from acknowledgements import grants, publishing, questions
from acknowledgements.models import Acknowledgement, PolicyVersion
from portal import demo_data as company_demo
from portal.demo_data import DEMO_PASSWORD
from portal.models import Department, Notification, User
from requests import catalogue, workflow
from requests.models import AuthorisationRequest, CatalogueItem, Kind
from tests.e2e.accessibility import violations
from tests.e2e.helpers import expect_home, restore_role_groups, sign_in
from tests.e2e.test_signing import EMPLOYEE_NAME, sign_version_one_for

# The live server answers from another thread, so each test commits its data and the database
# is emptied afterwards.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMPLOYEE = "employee@example.com"
MANAGER = "manager@example.com"  # line manager, and budget holder of Residential Care
HR = "hr@example.com"
IT = "it@example.com"
REVIEWER = "reviewer@example.com"

SLUG = publishing.SEED_SLUG
OLD_SENTENCE = "Change your password every 3 months."
NEW_SENTENCE = "Change your password every 6 months."

# role: (who signs in, {page: path}); None signs nobody in.
PAGES: dict[str, tuple[str | None, dict[str, str]]] = {
    "anonymous": (
        None,
        {
            "sign in": "/accounts/login/",
            "forgotten password": "/accounts/reset/",
            "reset link sent": "/accounts/reset/sent/",
            "bad reset link": "/accounts/reset/MQ/not-a-token/",
            "check a receipt, signed out": "/verify/?code={receipt_code}",
        },
    ),
    "employee": (
        EMPLOYEE,
        {
            "home": "/",
            "inbox": "/inbox/",
            "inbox message": "/inbox/{message}/",
            "policies": "/policies/",
            "policy, with what changed": f"/policies/{SLUG}/",
            "an earlier version": f"/policies/{SLUG}/versions/1/",
            "sign": f"/policies/{SLUG}/sign/",
            "ask a question": f"/policies/{SLUG}/ask/",
            "a question asked": "/questions/{question}/",
            "my receipts": "/receipts/",
            "receipt": "/receipts/{receipt}/",
            "verify a receipt": "/verify/",
            "verify, with a code": "/verify/?code={receipt_code}",
            "personal use": "/personal-use/",
            "my requests": "/requests/",
            "what to request": "/requests/new/",
            "software request": "/requests/new/software/",
            "subscription request": "/requests/new/subscription/",
            "a request": "/requests/{request}/",
            "a request to complete": "/requests/{more_info}/edit/",
            "authorised register": "/register/",
            "change password": "/accounts/password/",
            "not found": "/requests/999999/",
            "another role's page": "/compliance/",
        },
    ),
    "line manager": (
        MANAGER,
        {
            "my team": "/team/",
            "questions": "/questions/",
            "a question to answer": "/questions/{question}/",
            "team status": f"/compliance/{SLUG}/staff/",
            "a report's record": "/compliance/people/{employee}/",
            "a report's personal use": "/team/{employee}/personal-use/",
        },
    ),
    "budget holder": (
        MANAGER,
        {
            "approvals": "/requests/approvals/",
            "a request with a cost": "/requests/{costly}/",
        },
    ),
    "HR": (
        HR,
        {
            "acknowledgements dashboard": "/compliance/",
            "staff status": f"/compliance/{SLUG}/staff/",
            "staff status, overdue": f"/compliance/{SLUG}/staff/?status=overdue",
            "a person's record": "/compliance/people/{employee}/",
            "personal-use register": "/personal-use/register/",
            "staff import": "/staff/import/",
            "invitations": "/staff/invitations/",
            "audit log": "/audit/",
            "departments": "/departments/",
            "departments with nobody to authorise costs": "/departments/?missing=1",
            "add a department": "/departments/new/",
            "a department, its deputy deciding": "/departments/{department}/",
            "a department's history": "/departments/{department}/history/",
            "requests waiting for a budget holder": "/requests/waiting-for-budget-holder/",
        },
    ),
    "IT": (
        IT,
        {
            "IT queue": "/it/queue/",
            "a request to decide": "/requests/{request}/",
            "authorised register": "/register/",
            "add to the register": "/register/new/",
            "edit a register entry": "/register/{item}/edit/",
            "audit log": "/audit/",
            # Its Health list, with beat never run: parts down, in red and in words.
            "operations": "/operations/",
        },
    ),
    "reviewer": (
        REVIEWER,
        {
            "manage policies": "/manage/",
            "a policy's versions": f"/manage/{SLUG}/",
            "edit a draft": f"/manage/{SLUG}/{{draft}}/edit/",
            "what the draft changes": f"/manage/{SLUG}/{{draft}}/diff/",
            "publish a draft": f"/manage/{SLUG}/{{draft}}/publish/",
        },
    ),
}


@pytest.fixture
def world(site_url: str) -> dict[str, object]:
    """The demo company with one of everything the pages above show; returns what they need.

    The employee signed version 1; version 2 (a material change) is published and waiting for
    their signature; version 3 is a draft. They asked a question, hold a personal-use grant and
    filed requests in three states.
    """
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()
    employee, manager, it, reviewer = (
        User.objects.get(email=email) for email in (EMPLOYEE, MANAGER, IT, REVIEWER)
    )
    receipt = sign_version_one_for(EMPLOYEE)

    policy = receipt.version.policy
    second = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer,
        version=second,
        body=second.body.replace(OLD_SENTENCE, NEW_SENTENCE),
        change_summary="Passwords now change every 6 months.",
    )
    publishing.publish(actor=reviewer, version=second, material=True)
    third = publishing.create_draft(actor=reviewer, policy=policy)
    publishing.update_draft(
        actor=reviewer,
        version=third,
        body=third.body.replace(NEW_SENTENCE, OLD_SENTENCE),
        change_summary="Back to every 3 months.",
    )

    question = questions.asks_question(
        asker=employee,
        version=PolicyVersion.objects.get(number=2),
        section="5.6",
        text="Does this include the rota app's password?",
    )
    grants.grant_personal_use(
        manager=manager,
        employee=employee,
        email=True,
        internet=True,
        telephone=False,
        expires_on=None,
        note="Breaks only.",
    )

    def request(**fields: object) -> AuthorisationRequest:
        return workflow.submit(
            requester=employee,
            request=AuthorisationRequest(justification="Needed for the rota.", **fields),
        )

    to_decide = request(kind=Kind.SOFTWARE, item="Rota Planner", vendor="Shift Ltd")
    costly = request(
        kind=Kind.SUBSCRIPTION,
        item="Care Planner Pro",
        cost_recurring=Decimal("12.50"),
        recurring_period=AuthorisationRequest.Period.MONTHLY,
    )
    more_info = request(kind=Kind.HARDWARE, item="Label printer")
    workflow.perform(
        actor=it, request=more_info, action="more_info", note="Which model, and for which desk?"
    )
    item = catalogue.save_item(
        actor=it, item=CatalogueItem(name="Microsoft Teams", kind=Kind.SOFTWARE, vendor="Microsoft")
    )
    # The Company Secretariat has no budget holder: the reviewer's paid request waits for one.
    workflow.submit(
        requester=reviewer,
        request=AuthorisationRequest(
            kind=Kind.SUBSCRIPTION,
            item="Minutes Cloud",
            cost_recurring=Decimal("9.00"),
            recurring_period=AuthorisationRequest.Period.MONTHLY,
            justification="Board minutes.",
        ),
    )
    message = Notification.objects.filter(recipient=employee).order_by("pk").first()
    return {
        "employee": employee.pk,
        "receipt": receipt.pk,
        "receipt_code": receipt.receipt_code,
        "draft": third.number,
        "question": question.pk,
        "request": to_decide.pk,
        "costly": costly.pk,
        "more_info": more_info.pk,
        "item": item.pk,
        "message": message.pk,
        "department": Department.objects.get(name="Community Support").pk,
    }


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_of_the_role_has_no_serious_accessibility_violation(
    page: Page, world: dict[str, object], site_url: str, role: str
) -> None:
    email, pages = PAGES[role]
    if email is not None:
        sign_in(page, email)
        expect_home(page, site_url)
    found: dict[str, list[str]] = {}
    for name, template in pages.items():
        path = template.format(**world)
        response = page.goto(path)
        assert response is not None and response.status < 500, f"{name}: {path}"
        # Every page is the portal's own, not a sign-in page it was sent to instead.
        assert ("/accounts/" in path) == ("/accounts/" in page.url), f"{name}: {page.url}"
        expect(page.locator("main")).to_have_count(1)
        problems = violations(page)
        if problems:
            found[f"{name} ({path})"] = problems
    assert found == {}, "\n".join(
        f"{where}:\n  " + "\n  ".join(problems) for where, problems in found.items()
    )


# --- Signing by keyboard alone ----------------------------------------------------------------
def press_tab_until(page: Page, matches: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches the CSS selector ``matches``.

    Fails if it is never reached: a control that Tab cannot reach is unusable by keyboard.
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", matches):
            return
    raise AssertionError(f"Tab never reached {matches!r} on {page.url}")


def focused_label(page: Page) -> str:
    """The focused element's accessible name as its label gives it (what a screen reader says)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const label = el.labels && el.labels[0];
            return (label ? label.innerText : el.innerText || el.value || "").trim();
        }"""
    )


def test_employee_signs_the_policy_with_the_keyboard_alone(page: Page, site_url: str) -> None:
    restore_role_groups()
    company_demo.seed_demo()
    policy_demo.seed_demo()

    # Sign in: the address field has the focus first, or is one Tab away.
    page.goto("/")
    press_tab_until(page, "input[name=username]")
    page.keyboard.type(EMPLOYEE)
    press_tab_until(page, "input[name=password]")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect_home(page, site_url)

    # From the to-do list to the policy, and from the policy to the signing form.
    press_tab_until(page, "[data-testid=todo] a")
    assert focused_label(page) == "Read and sign"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site_url}/policies/{SLUG}/")
    press_tab_until(page, "[data-testid=sign-call] a")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site_url}/policies/{SLUG}/sign/")

    # A wrong password first: the error is announced and the focus can go straight back to it.
    press_tab_until(page, "input[name=printed_name]")
    page.keyboard.type(EMPLOYEE_NAME)
    press_tab_until(page, "input[name=password]")
    page.keyboard.type("not-the-password")
    press_tab_until(page, "input[type=checkbox]")
    page.keyboard.press("Space")
    expect(page.locator("input[type=checkbox]")).to_be_checked()
    press_tab_until(page, "button[type=submit]")
    assert focused_label(page) == "Sign"
    page.keyboard.press("Enter")
    password = page.locator("input[name=password]")
    expect(password).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(password).to_have_attribute("aria-invalid", "true")
    assert violations(page) == []
    assert not Acknowledgement.objects.exists()

    # Then the right one; the name and the tick are kept.
    expect(page.locator("input[name=printed_name]")).to_have_value(EMPLOYEE_NAME)
    expect(page.locator("input[type=checkbox]")).to_be_checked()
    press_tab_until(page, "input[name=password]")
    page.keyboard.type(DEMO_PASSWORD)
    press_tab_until(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/receipts/\d+/$"))
    expect(page.get_by_role("heading", name="Receipt: signature of a policy")).to_be_visible()
    assert Acknowledgement.objects.filter(user__email=EMPLOYEE).count() == 1
