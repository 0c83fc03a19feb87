"""Questions to one's line manager before signing (policy section 2)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from acknowledgements import documents, permissions, publishing, questions
from acknowledgements.documents import Section
from acknowledgements.forms.questions import AnswerForm, QuestionForm
from acknowledgements.models import Policy, PolicyVersion, Question
from portal import permissions as roles
from portal.idempotency import once
from portal.models import User


@require_http_methods(["GET", "POST"])
@once
def ask(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    version = publishing.current_version(policy)
    if version is None:
        raise Http404("This policy has no current version.")
    manager = questions.line_manager_of(request.user)
    context = {"policy": policy, "version": version, "manager": manager}
    if manager is None:
        # Nothing to write: the page says who to ask instead.
        return render(request, "acknowledgements/questions/ask.html", context)

    choices = questions.section_choices(version)
    wanted = request.GET.get("section", "")
    initial = {"section": wanted if wanted in dict(choices) else questions.WHOLE_POLICY}
    form = QuestionForm(request.POST or None, sections=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        asked = _ask(request, form, version, manager)
        if asked is not None:
            return asked

    section = _section(version, form["section"].value() or "")
    context.update(
        form=form,
        section=section,
        section_html=documents.render_markdown(section.body) if section else "",
    )
    return render(request, "acknowledgements/questions/ask.html", context)


def _ask(
    request: HttpRequest, form: QuestionForm, version: PolicyVersion, manager: User
) -> HttpResponse | None:
    """Send the question through the service; None when the form now says why not."""
    try:
        # The form's fields are the question's: its section and its text.
        question = questions.asks_question(asker=request.user, version=version, **form.cleaned_data)
    except questions.QuestionError as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(
        request,
        f"Your question has been sent to {manager.full_name}. You will be told when they answer.",
    )
    return redirect("acknowledgements:question", question.pk)


def _section(version: PolicyVersion, number: str) -> Section | None:
    return next((s for s in version.sections() if s.number == number), None)


@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    lists = questions.questions_of(request.user)
    answered = Paginator(lists.answered, 25).get_page(request.GET.get("page"))
    waiting = list(lists.waiting)
    # Someone whose reports have all left still has their old questions to read.
    is_manager = (
        bool(waiting) or answered.paginator.count > 0 or roles.is_line_manager(request.user)
    )
    return render(
        request,
        "acknowledgements/questions/list.html",
        {
            "asked": list(lists.asked),
            "waiting": waiting,
            "answered": answered,
            "is_manager": is_manager,
        },
    )


@require_http_methods(["GET", "POST"])
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = permissions.visible_or_404(request.user, questions.with_people(), pk=pk)
    form = None
    if permissions.can_answer_question(request.user, question):
        form = AnswerForm(request.POST or None)
    if request.method == "POST":
        answered = _answer(request, question, form)
        if answered is not None:
            return answered

    version = question.assignment.version
    return render(
        request,
        "acknowledgements/questions/detail.html",
        {
            "question": question,
            "version": version,
            "policy": version.policy,
            "section": _section(version, question.section),
            "form": form,
            "is_asker": question.asked_by_id == request.user.pk,
        },
    )


def _answer(
    request: HttpRequest, question: Question, form: AnswerForm | None
) -> HttpResponse | None:
    """Answer through the service and come back to the question; None when the form says why
    not."""
    if question.manager_id != request.user.pk:
        raise PermissionDenied("Only the line manager the question was sent to can answer it.")
    if form is None:
        messages.info(request, "This question has already been answered.")
        return redirect("acknowledgements:question", question.pk)
    if not form.is_valid():
        return None
    try:
        questions.answer_question(
            manager=request.user, question=question, answer=form.cleaned_data["answer"]
        )
    except questions.AlreadyAnswered as exc:
        messages.info(request, str(exc))
    except questions.QuestionError as exc:
        form.add_error("answer", str(exc))
        return None
    else:
        messages.success(request, f"Your answer has been sent to {question.asked_by.full_name}.")
    return redirect("acknowledgements:question", question.pk)
