"""Questions to one's line manager before signing (policy section 2): asking, reading, answering,
and who may see or answer them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acknowledgements import publishing, questions
from acknowledgements.models import Assignment, Question
from portal.models import AuditEvent, Notification
from tests.factories import UserFactory
from tests.helpers import signed_in

NOT_FOUND = b"The page may have moved, or you may not have access to it."
FORBIDDEN = b"You do not have access to this page"


@pytest.fixture
def ask_url(version) -> str:
    return reverse("acknowledgements:ask", args=[version.policy.slug])


@pytest.fixture
def question(employee, version) -> Question:
    return questions.asks_question(
        asker=employee,
        version=version,
        section="4.1",
        text="May I check my personal email at lunchtime?",
    )


def detail_url(question: Question) -> str:
    return reverse("acknowledgements:question", args=[question.pk])


# --- Asking -----------------------------------------------------------------------------------
def test_pages_need_sign_in(client, question, ask_url) -> None:
    for url in (ask_url, reverse("acknowledgements:questions"), detail_url(question)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_ask_form_offers_the_sections_and_prefills_from_the_link(
    client, employee, manager, ask_url
) -> None:
    response = signed_in(client, employee).get(ask_url, {"section": "4.1"})
    assert response.status_code == 200
    form = response.context["form"]
    choices = dict(form.fields["section"].choices)
    assert choices[""] == "The whole policy"
    assert choices["4.1"] == "4.1 Personal Use of ICT"
    assert choices["5.6"] == "5.6 IT Security"
    assert form["section"].value() == "4.1"
    # The section's own words are shown next to the question, and who will answer it.
    assert b"Occasional and reasonable personal use" in response.content
    assert manager.full_name.encode() in response.content


def test_ask_form_ignores_a_section_the_policy_does_not_have(client, employee, ask_url) -> None:
    response = signed_in(client, employee).get(ask_url, {"section": "99.9"})
    assert response.status_code == 200
    assert response.context["form"]["section"].value() == ""
    assert b'data-testid="section-text"' not in response.content


def test_asking_sends_the_question_to_the_line_manager(
    client, employee, manager, version, ask_url
) -> None:
    publishing.assign_outstanding(policy=version.policy)
    response = signed_in(client, employee).post(
        ask_url, {"section": "4.1", "text": "Does 'occasional' include my lunch break?"}
    )

    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(question)
    assert question.asked_by == employee
    assert question.manager == manager
    assert question.section == "4.1"
    assert question.text == "Does 'occasional' include my lunch break?"
    assert question.assignment == Assignment.objects.get(user=employee, version=version)
    assert question.answered_at is None
    notice = Notification.objects.get(kind="policy-question")
    assert notice.recipient == manager
    assert notice.dedupe_key == f"policy-question:{question.pk}"
    assert notice.link == detail_url(question)
    assert "Emma Jones" in notice.subject
    assert "section 4.1" in notice.subject
    assert "Does 'occasional' include my lunch break?" in notice.body_text
    assert AuditEvent.objects.filter(
        action="policy.question_asked", actor=employee, object_id=str(question.pk)
    ).exists()


def test_asking_creates_the_assignment_when_there_is_none(employee, version) -> None:
    assert not Assignment.objects.filter(user=employee).exists()

    question = questions.asks_question(
        asker=employee, version=version, section="", text="What counts as marginal cost?"
    )

    assert question.assignment.user == employee
    assert question.assignment.version == version
    assert question.section == ""


def test_each_question_is_its_own_notice(employee, manager, version) -> None:
    for text in ("First question?", "Second question?"):
        questions.asks_question(asker=employee, version=version, section="", text=text)
    assert Notification.objects.filter(recipient=manager, kind="policy-question").count() == 2


def test_someone_without_a_line_manager_is_told_to_contact_hr(client, hr_user, ask_url) -> None:
    assert hr_user.line_manager is None
    page = signed_in(client, hr_user).get(ask_url)
    assert page.status_code == 200
    assert b"Please contact HR" in page.content
    assert b'data-testid="no-line-manager"' in page.content

    posted = client.post(ask_url, {"section": "", "text": "Who do I ask?"})
    assert posted.status_code == 200
    assert b"Please contact HR" in posted.content
    assert not Question.objects.exists()
    assert not Notification.objects.filter(kind="policy-question").exists()


def test_the_service_refuses_without_a_line_manager(hr_user, version) -> None:
    with pytest.raises(questions.NoLineManager, match="contact HR"):
        questions.asks_question(asker=hr_user, version=version, section="", text="Anyone?")
    assert not Question.objects.exists()


def test_a_line_manager_who_has_left_is_no_line_manager(employee, manager, version) -> None:
    manager.is_active = False
    manager.save()
    with pytest.raises(questions.NoLineManager):
        questions.asks_question(asker=employee, version=version, section="", text="Anyone?")


def test_an_empty_question_is_a_form_error(client, employee, ask_url) -> None:
    response = signed_in(client, employee).post(ask_url, {"section": "4.1", "text": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert not Question.objects.exists()


def test_a_section_not_in_the_policy_is_a_form_error(client, employee, ask_url) -> None:
    response = signed_in(client, employee).post(ask_url, {"section": "9.9", "text": "Why?"})
    assert response.status_code == 200
    assert response.context["form"].errors["section"]
    assert not Question.objects.exists()


def test_the_service_refuses_a_section_not_in_the_policy(employee, version) -> None:
    with pytest.raises(questions.QuestionError, match=r"no section 9\.9"):
        questions.asks_question(asker=employee, version=version, section="9.9", text="Why?")


def test_an_unknown_policy_is_not_found(client, employee, version) -> None:
    url = reverse("acknowledgements:ask", args=["no-such-policy"])
    assert signed_in(client, employee).get(url).status_code == 404


def test_ask_answers_only_get_and_post(client, employee, ask_url) -> None:
    assert signed_in(client, employee).put(ask_url).status_code == 405
    assert client.delete(ask_url).status_code == 405


# --- Reading ----------------------------------------------------------------------------------
def test_the_asker_sees_their_question_and_who_it_went_to(client, employee, question) -> None:
    response = signed_in(client, employee).get(detail_url(question))
    assert response.status_code == 200
    assert b"May I check my personal email at lunchtime?" in response.content
    assert b"4.1 Personal Use of ICT" in response.content
    assert b'data-testid="awaiting"' in response.content
    assert response.context["form"] is None


def test_the_manager_sees_the_question_with_an_answer_form(client, manager, question) -> None:
    response = signed_in(client, manager).get(detail_url(question))
    assert response.status_code == 200
    assert b"May I check my personal email at lunchtime?" in response.content
    assert response.context["form"] is not None


@pytest.mark.parametrize("actor", ["outsider", "hr_user", "it_user", "reviewer"])
def test_nobody_else_sees_a_question(client, request, question, actor: str) -> None:
    response = signed_in(client, request.getfixturevalue(actor)).get(detail_url(question))
    assert response.status_code == 404
    assert NOT_FOUND in response.content
    assert b"personal email at lunchtime" not in response.content


def test_the_manager_of_someone_else_does_not_see_it(client, outsider, question) -> None:
    other_manager = outsider.line_manager
    response = signed_in(client, other_manager).get(detail_url(question))
    assert response.status_code == 404
    posted = client.post(detail_url(question), {"answer": "Yes."})
    assert posted.status_code == 404
    question.refresh_from_db()
    assert question.answered_at is None


def test_a_missing_question_is_not_found(client, employee) -> None:
    url = reverse("acknowledgements:question", args=[999999])
    assert signed_in(client, employee).get(url).status_code == 404


def test_question_page_answers_only_get_and_post(client, manager, question) -> None:
    assert signed_in(client, manager).put(detail_url(question)).status_code == 405


# --- Answering --------------------------------------------------------------------------------
def test_the_manager_answers_and_the_asker_is_told(client, manager, employee, question) -> None:
    response = signed_in(client, manager).post(
        detail_url(question), {"answer": "Yes, at lunchtime, if it costs nothing."}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(question)
    question.refresh_from_db()
    assert question.answer == "Yes, at lunchtime, if it costs nothing."
    assert question.answered_by == manager
    assert question.answered_at is not None
    notice = Notification.objects.get(kind="policy-answer")
    assert notice.recipient == employee
    assert notice.dedupe_key == f"policy-answer:{question.pk}"
    assert "Yes, at lunchtime, if it costs nothing." in notice.body_text
    assert "Morgan Lee" in notice.subject
    assert AuditEvent.objects.filter(
        action="policy.question_answered", actor=manager, object_id=str(question.pk)
    ).exists()

    page = signed_in(client, employee).get(detail_url(question))
    assert b'data-testid="answer"' in page.content
    assert b"Yes, at lunchtime, if it costs nothing." in page.content


def test_a_question_is_answered_once(client, manager, question) -> None:
    signed_in(client, manager).post(detail_url(question), {"answer": "First answer."})
    response = client.post(detail_url(question), {"answer": "Second answer."}, follow=True)

    assert response.status_code == 200
    assert b"already been answered" in response.content
    question.refresh_from_db()
    assert question.answer == "First answer."
    assert Notification.objects.filter(kind="policy-answer").count() == 1
    assert AuditEvent.objects.filter(action="policy.question_answered").count() == 1


def test_the_service_refuses_a_second_answer(manager, question) -> None:
    questions.answer_question(manager=manager, question=question, answer="Yes.")
    with pytest.raises(questions.AlreadyAnswered):
        questions.answer_question(manager=manager, question=question, answer="No.")
    question.refresh_from_db()
    assert question.answer == "Yes."


def test_the_asker_cannot_answer_their_own_question(client, employee, question) -> None:
    response = signed_in(client, employee).post(detail_url(question), {"answer": "Sure."})
    assert response.status_code == 403
    assert FORBIDDEN in response.content
    question.refresh_from_db()
    assert question.answered_at is None
    assert not Notification.objects.filter(kind="policy-answer").exists()


def test_the_service_refuses_anyone_but_the_manager(employee, outsider, question) -> None:
    for person in (employee, outsider.line_manager):
        with pytest.raises(questions.QuestionError, match="Only the line manager"):
            questions.answer_question(manager=person, question=question, answer="Yes.")
    question.refresh_from_db()
    assert question.answered_at is None


def test_an_empty_answer_is_a_form_error(client, manager, question) -> None:
    response = signed_in(client, manager).post(detail_url(question), {"answer": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["answer"]
    question.refresh_from_db()
    assert question.answered_at is None


def test_the_question_stays_with_the_manager_it_was_sent_to(
    client, employee, manager, question
) -> None:
    new_manager = UserFactory(email="new.manager@example.com")
    employee.line_manager = new_manager
    employee.save()
    assert signed_in(client, new_manager).get(detail_url(question)).status_code == 404
    assert signed_in(client, manager).get(detail_url(question)).status_code == 200


# --- Lists ------------------------------------------------------------------------------------
def test_the_list_shows_your_own_questions_with_answers(client, employee, manager, version) -> None:
    answered = questions.asks_question(
        asker=employee, version=version, section="5.6", text="How long must passwords be?"
    )
    questions.answer_question(manager=manager, question=answered, answer="At least 8 characters.")
    questions.asks_question(asker=employee, version=version, section="", text="Still open?")

    response = signed_in(client, employee).get(reverse("acknowledgements:questions"))

    assert response.status_code == 200
    assert [q.text for q in response.context["asked"]] == [
        "Still open?",
        "How long must passwords be?",
    ]
    assert b"Answered" in response.content
    assert b"Awaiting answer" in response.content
    assert b'data-testid="waiting"' not in response.content


def test_a_manager_sees_questions_waiting_first_then_answered(
    client, employee, manager, version
) -> None:
    colleague = UserFactory(line_manager=manager, first_name="Sam", last_name="Patel")
    done = questions.asks_question(asker=colleague, version=version, section="", text="Done?")
    questions.answer_question(manager=manager, question=done, answer="Yes.")
    first = questions.asks_question(asker=employee, version=version, section="", text="Older?")
    second = questions.asks_question(asker=colleague, version=version, section="", text="Newer?")

    response = signed_in(client, manager).get(reverse("acknowledgements:questions"))

    assert response.status_code == 200
    assert list(response.context["waiting"]) == [first, second]
    assert list(response.context["answered"].object_list) == [done]
    content = response.content.decode()
    assert content.index('data-testid="waiting"') < content.index('data-testid="answered"')


def test_the_list_leaves_out_other_peoples_questions(client, outsider, question) -> None:
    for person in (outsider, outsider.line_manager):
        response = signed_in(client, person).get(reverse("acknowledgements:questions"))
        assert response.status_code == 200
        assert list(response.context["asked"]) == []
        assert list(response.context["waiting"]) == []
        assert b"personal email at lunchtime" not in response.content


def test_the_list_is_get_only(client, employee) -> None:
    response = signed_in(client, employee).post(reverse("acknowledgements:questions"))
    assert response.status_code == 405


def test_the_list_query_count_does_not_grow(
    client, manager, version, django_assert_max_num_queries
) -> None:
    def add_questions(count: int) -> None:
        for n in range(count):
            asker = UserFactory(line_manager=manager)
            q = questions.asks_question(asker=asker, version=version, section="", text=f"Q{n}?")
            if n % 2:
                questions.answer_question(manager=manager, question=q, answer="Yes.")

    signed_in(client, manager).get(reverse("home"))  # the session's first save is not the page's
    add_questions(2)
    with django_assert_max_num_queries(14):
        small = client.get(reverse("acknowledgements:questions"))
    add_questions(10)
    with django_assert_max_num_queries(14):
        large = client.get(reverse("acknowledgements:questions"))
    assert len(small.context["waiting"]) == 1
    assert len(large.context["waiting"]) == 6
