"""Forms on a request's page (steps, comments, files) and the IT queue's filters."""

from __future__ import annotations

from django import forms
from django.conf import settings

from requests import attachments
from requests import queue as request_queue
from requests.comments import MAX_COMMENT_LENGTH
from requests.models import Kind
from requests.workflow import Transition

MAX_NOTE_LENGTH = 5000

# What the note means for each step: (label, help text).
NOTE_LABELS: dict[str, tuple[str, str]] = {
    "budget_approve": (
        "Note (optional)",
        "For example the budget code. The requester and IT see it in the history.",
    ),
    "budget_reject": (
        "Reason for refusing the cost",
        "The requester is told the reason, so they know what to do next.",
    ),
    "reject": (
        "Reason for rejecting",
        "The requester is told the reason, so they know what to do next.",
    ),
    "more_info": (
        "Your question",
        "What do you need to know? The requester is told straight away and answers here.",
    ),
    "budget_more_info": (
        "Your question",
        "What do you need to know before authorising the cost? The requester answers here.",
    ),
    "resubmit": (
        "What you have added or changed (optional)",
        "Answer the question asked, or say where the new information is.",
    ),
    "withdraw": ("Reason (optional)", "Withdrawing cannot be undone."),
    "fulfil": (
        "What was installed or issued, and where",
        "For example the version, the device or asset tag, and the date.",
    ),
}


class ActionForm(forms.Form):
    """One step of the workflow. Field names are plain; ids carry the step, as a page has many."""

    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        max_length=MAX_NOTE_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: object, transition: Transition, offer_register: bool = False, **kwargs: object
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{transition.action}_%s")
        kwargs.setdefault("initial", {"action": transition.action})
        super().__init__(*args, **kwargs)
        self.transition = transition
        label, help_text = NOTE_LABELS.get(transition.action, ("Note (optional)", ""))
        note = self.fields["note"]
        note.label, note.help_text = label, help_text
        if transition.note_required:
            note.required = True
            note.error_messages["required"] = transition.note_required
        if transition.action == "approve":
            # The conditions are the approval's note: the history and the requester's message
            # quote them, so a second free-text box would only compete with them.
            del self.fields["note"]
            self.fields["conditions"] = forms.CharField(
                label="Conditions (optional)",
                max_length=MAX_NOTE_LENGTH,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text="The requester is told them with the approval. For example: only on "
                "the device named, or only the free edition.",
            )
            if offer_register:
                self.fields["add_to_register"] = forms.BooleanField(
                    label="Add to the authorised register",
                    required=False,
                    help_text="Later requests for this item are then recognised and can be "
                    "fast-tracked.",
                )

    def clean_action(self) -> str:
        action = self.cleaned_data["action"]
        if action != self.transition.action:
            raise forms.ValidationError("This form is for another step.")
        return action


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something before sending the comment."},
    )

    def __init__(self, *args: object, may_be_internal: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if may_be_internal:
            self.fields["internal"] = forms.BooleanField(
                label="Internal to IT",
                required=False,
                help_text="The requester and the budget holder do not see internal comments.",
            )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        error_messages={"required": "Choose a file to attach."},
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in attachments.ALLOWED_EXTENSIONS)}
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        limit = attachments.human_size(settings.ATTACHMENT_MAX_BYTES)
        self.fields["file"].help_text = f"{attachments.ALLOWED_DESCRIPTION}; at most {limit}."


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; a bad value is simply ignored."""

    q = forms.CharField(label="Search", required=False)
    state = forms.ChoiceField(label="State", required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *Kind.choices]
    )
    department = forms.TypedChoiceField(
        label="Department", required=False, coerce=int, empty_value=None
    )
    assignee = forms.ChoiceField(label="Assigned to", required=False)
    older_than = forms.IntegerField(
        label="Older than (days)", required=False, min_value=1, max_value=request_queue.MAX_AGE_DAYS
    )

    def __init__(
        self,
        *args: object,
        departments: list[tuple[int, str]],
        it_members: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = request_queue.state_choices()
        self.fields["department"].choices = [("", "Any department"), *departments]
        self.fields["assignee"].choices = [
            ("", "Anyone or nobody"),
            (request_queue.ME, "Me"),
            (request_queue.NOBODY, "Nobody yet"),
            *((str(pk), name) for pk, name in it_members),
        ]
        for name, field in self.fields.items():
            css = "form-control" if name in {"older_than", "q"} else "form-select"
            field.widget.attrs["class"] = css
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(
            placeholder="Number, item, requester", maxlength=request_queue.MAX_SEARCH_LENGTH
        )

    def filters(self) -> request_queue.Filters:
        """The valid filters; anything that did not validate falls back to its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return request_queue.Filters(
            state=data.get("state") or request_queue.DEFAULT_STATE,
            kind=data.get("kind") or "",
            department=data.get("department"),
            assignee=data.get("assignee") or "",
            older_than=data.get("older_than"),
            # A longer search is cut rather than refused: what was typed still narrows the list.
            q=(data.get("q") or "").strip()[: request_queue.MAX_SEARCH_LENGTH],
        )
