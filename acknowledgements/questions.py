"""Questions to one's line manager about the policy before signing (policy section 2).

"If there is anything you do not understand, it is your responsibility to seek further
clarification from your line manager." A question goes to the asker's line manager at the time it
is asked and stays with that manager, even if the asker later moves team.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from acknowledgements import publishing
from acknowledgements.models import Assignment, PolicyVersion, Question
from portal import audit, outbox
from portal.models import User

MAX_QUESTION_LENGTH = 4000
MAX_ANSWER_LENGTH = 8000
WHOLE_POLICY = ""


class QuestionError(Exception):
    """The question or answer was refused; the message says what the person can do."""


class NoLineManager(QuestionError):
    def __init__(self) -> None:
        super().__init__(
            "You have no line manager on your staff record, so there is nobody to send your "
            "question to. Please contact HR: they can answer it or correct your record."
        )


class AlreadyAnswered(QuestionError):
    def __init__(self) -> None:
        super().__init__("This question has already been answered; an answer cannot be changed.")


def line_manager_of(user: User) -> User | None:
    """The person ``user``'s questions go to: an active line manager, or nobody."""
    manager = user.line_manager
    if manager is None or not manager.is_active or manager.pk == user.pk:
        return None
    return manager


def section_choices(version: PolicyVersion) -> list[tuple[str, str]]:
    return [(WHOLE_POLICY, "The whole policy")] + [
        (section.number, section.heading) for section in version.sections()
    ]


def _assignment_for(user: User, version: PolicyVersion) -> Assignment:
    """The assignment a question hangs on: the one for ``version``, made now if missing."""
    assignment = Assignment.objects.filter(user=user, version=version).first()
    if assignment is None:
        publishing.assign_outstanding(policy=version.policy, user_ids=[user.pk])
        assignment = Assignment.objects.filter(user=user, version=version).first()
    if assignment is None:
        # Someone who signed the last material version is not asked to sign a later minor one;
        # their question belongs with what they did sign.
        assignment = (
            Assignment.objects.filter(
                user=user, version__policy_id=version.policy_id, version__number__lte=version.number
            )
            .order_by("-version__number")
            .first()
        )
    if assignment is None:
        raise QuestionError(
            "You are not asked to sign this policy, so a question cannot be recorded against it. "
            "Please contact HR."
        )
    return assignment


def asks_question(*, asker: User, version: PolicyVersion, section: str, text: str) -> Question:
    """Record ``asker``'s question about ``section`` of ``version`` and tell their line manager."""
    text = text.strip()
    section = section.strip()
    if not text:
        raise QuestionError("Write your question.")
    if len(text) > MAX_QUESTION_LENGTH:
        raise QuestionError(f"Keep your question under {MAX_QUESTION_LENGTH} characters.")
    if version.status != PolicyVersion.Status.PUBLISHED:
        raise QuestionError("Questions can only be asked about the current version of a policy.")
    if section != WHOLE_POLICY and section not in {s.number for s in version.sections()}:
        raise QuestionError(f"This version of the policy has no section {section}.")
    manager = line_manager_of(asker)
    if manager is None:
        raise NoLineManager()
    with transaction.atomic():
        assignment = _assignment_for(asker, version)
        question = Question.objects.create(
            assignment=assignment,
            asked_by=asker,
            manager=manager,
            section=section,
            text=text,
        )
        audit.record(
            actor=asker,
            action="policy.question_asked",
            obj=question,
            data={"version": version.pk, "section": section, "manager": manager.pk},
        )
        outbox.notify(
            recipient=manager,
            kind="policy-question",
            dedupe_key=f"policy-question:{question.pk}",
            context={"question": question, "asker": asker, "version": version},
            link=reverse("acknowledgements:question", args=[question.pk]),
        )
    return question


def answer_question(*, manager: User, question: Question, answer: str) -> Question:
    """``manager`` answers a question sent to them, once; the asker is told."""
    answer = answer.strip()
    if not answer:
        raise QuestionError("Write your answer.")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise QuestionError(f"Keep your answer under {MAX_ANSWER_LENGTH} characters.")
    with transaction.atomic():
        # Locked, so that two answers sent at once cannot both be recorded.
        question = (
            Question.objects.select_for_update(of=("self",))
            .select_related("asked_by", "assignment__version__policy")
            .get(pk=question.pk)
        )
        if question.manager_id != manager.pk:
            raise QuestionError("Only the line manager the question was sent to can answer it.")
        if question.answered_at is not None:
            raise AlreadyAnswered()
        question.answer = answer
        question.answered_at = timezone.now()
        question.answered_by = manager
        question.save(update_fields=["answer", "answered_at", "answered_by"])
        audit.record(actor=manager, action="policy.question_answered", obj=question)
        outbox.notify(
            recipient=question.asked_by,
            kind="policy-answer",
            dedupe_key=f"policy-answer:{question.pk}",
            context={
                "question": question,
                "manager": manager,
                "version": question.assignment.version,
            },
            link=reverse("acknowledgements:question", args=[question.pk]),
        )
    return question


# --- Reads ------------------------------------------------------------------------------------
def _with_people(questions: QuerySet[Question]) -> QuerySet[Question]:
    return questions.select_related(
        "asked_by", "manager", "answered_by", "assignment__version__policy"
    )


def with_people() -> QuerySet[Question]:
    """Every question, with the people and the policy its page names."""
    return _with_people(Question.objects.all())


@dataclass(frozen=True)
class QuestionLists:
    asked: QuerySet[Question]
    waiting: QuerySet[Question]
    answered: QuerySet[Question]


def questions_of(user: User) -> QuestionLists:
    """What ``user`` asked (newest first), and what was sent to them: waiting, then answered."""
    return QuestionLists(
        asked=_with_people(Question.objects.filter(asked_by=user)).order_by("-asked_at", "-pk"),
        waiting=_with_people(
            Question.objects.filter(manager=user, answered_at__isnull=True)
        ).order_by("asked_at", "pk"),
        answered=_with_people(
            Question.objects.filter(manager=user, answered_at__isnull=False)
        ).order_by("-answered_at", "-pk"),
    )


def asked_count(user: User) -> int:
    """How many questions ``user`` has asked, about any policy (the policy page links to them)."""
    return Question.objects.filter(asked_by=user).count()
