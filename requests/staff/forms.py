"""Forms for starters, leavers and temporary workers: the notices, IT's ticks and confirmations,
the board's filters.

The forms read and tidy what was typed; the rules a notice must meet (an active leaver, an end
date after the start, an existing account named only by someone who may act for its owner, no
second open notice...) live in ``changes.submit_notice``.
"""

from __future__ import annotations

from typing import Any

from django import forms

from portal.day_fields import DayField
from portal.models import Department
from requests.staff import lifecycle, selectors
from requests.staff.changes import MAX_REASON_LENGTH, NoticeDetails
from requests.staff.models import StaffChange, StaffChangeTask

Kind = StaffChange.Kind
MAX_TEXT = 4000


def _text(label: str, help_text: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class NoticeForm(forms.Form):
    kind: str = ""

    def __init__(self, *args: Any, hr: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hr = hr

    def details(self) -> NoticeDetails:
        data = {k: v for k, v in self.cleaned_data.items() if v is not None}
        return NoticeDetails(kind=self.kind, **data)


class NewcomerForm(NoticeForm):
    """A starter or a temporary worker: someone IT does not know yet."""

    first_name = forms.CharField(
        max_length=150, error_messages={"required": "Give their first name."}
    )
    last_name = forms.CharField(
        max_length=150, error_messages={"required": "Give their last name."}
    )
    email = forms.EmailField(
        label="Email address (if they have one)",
        max_length=254,
        required=False,
        help_text="Personal or work address: their sign-in invitation goes here, and it becomes "
        "their portal sign-in. Without one, give their employee number: they sign in with it, "
        "and their first password comes on a printed letter.",
        error_messages={"invalid": "Enter an email address such as sam.taylor@example.com."},
    )
    employee_number = forms.CharField(
        label="Employee number",
        max_length=32,
        required=False,
        help_text="Needed if they have no email address.",
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("name"),
        empty_label="Choose…",
        error_messages={"required": "Choose the department they will work in."},
    )
    line_manager_email = forms.EmailField(
        label="Line manager's email address",
        max_length=254,
        error_messages={
            "required": "Give the line manager's email address.",
            "invalid": "Enter the line manager's email address, such as morgan.lee@example.com.",
        },
    )
    job_title = forms.CharField(max_length=150, required=False)
    start_date = DayField(error_messages={"required": "Give the date they start."})
    systems = _text(
        "Systems and access needed", "For example the care records system, email, the rota."
    )
    equipment = _text("Equipment needed", "For example a laptop, a phone, a badge.")
    notes = _text("Notes for IT (optional)")

    def __init__(self, *args: Any, hr: bool, **kwargs: Any) -> None:
        super().__init__(*args, hr=hr, **kwargs)
        if not hr:
            # A manager's new team member reports to them.
            del self.fields["line_manager_email"]


class StarterForm(NewcomerForm):
    kind = Kind.STARTER


class TemporaryWorkerForm(NewcomerForm):
    kind = Kind.TEMPORARY

    def __init__(self, *args: Any, hr: bool, **kwargs: Any) -> None:
        super().__init__(*args, hr=hr, **kwargs)
        self.fields["end_date"] = DayField(
            label="Access end date",
            help_text="The last day they need access. Their account ends at midnight after it.",
            error_messages={
                "required": "A temporary worker needs an access end date: the last day they "
                "need access to IT systems."
            },
        )
        self.fields["notes"].help_text = "For example the agency they come through."
        order = list(self.fields)
        order.insert(order.index("start_date") + 1, order.pop(order.index("end_date")))
        self.order_fields(order)


class LeaverForm(NoticeForm):
    kind = Kind.LEAVER

    leaver = forms.CharField(
        label="Their email address or employee number",
        max_length=254,
        help_text="As in the staff directory.",
        error_messages={"required": "Say who is leaving: their email address or employee number."},
    )
    end_date = DayField(
        label="Last working day",
        help_text="Their portal account ends at midnight after it.",
        error_messages={"required": "Give the leaver's last working day."},
    )
    systems = _text("Systems and access to remove", "Anything IT may not know about.")
    equipment = _text(
        "Equipment to be returned", "IT adds what was authorised for them through the portal."
    )
    notes = _text("Notes for IT (optional)")


class MoverForm(NoticeForm):
    """Someone changing department, line manager or job title: blank keeps what they have."""

    kind = Kind.MOVER

    mover = forms.CharField(
        label="Their email address or employee number",
        max_length=254,
        help_text="As in the staff directory.",
        error_messages={"required": "Say who is moving: their email address or employee number."},
    )
    effective_date = DayField(
        label="Effective date",
        help_text="The staff directory changes on this date (today: at once).",
        error_messages={"required": "Give the date the move takes effect."},
    )
    department = forms.ModelChoiceField(
        label="New department",
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label="Unchanged",
    )
    new_line_manager = forms.CharField(
        label="New line manager's email address or employee number",
        max_length=254,
        required=False,
        help_text="Leave empty if their line manager stays the same.",
    )
    job_title = forms.CharField(
        label="New job title", max_length=150, required=False, help_text="Empty: unchanged."
    )
    systems = _text(
        "Access for the new role", "What to give, and what they no longer need, if you know."
    )
    equipment = _text("Equipment to move or return")
    notes = _text("Notes for IT (optional)")


FORMS: dict[str, type[NoticeForm]] = {
    Kind.STARTER: StarterForm,
    Kind.LEAVER: LeaverForm,
    Kind.TEMPORARY: TemporaryWorkerForm,
    Kind.MOVER: MoverForm,
}


class TaskForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, task: StaffChangeTask, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_task{task.pk}_%s")
        super().__init__(*args, **kwargs)
        self.task = task
        if task.kind == StaffChangeTask.Kind.POLICY_SIGNED:
            self.fields["override_reason"] = forms.CharField(
                label="Override reason (only if the policy is not signed yet)",
                required=False,
                max_length=MAX_REASON_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class LinkForm(forms.Form):
    """IT's confirmation that the notice is about the existing account the page shows. The
    hidden fields say which account, and whether it was inactive, as shown; the service refuses
    a confirmation of anything else."""

    account = forms.IntegerField(widget=forms.HiddenInput)
    reactivate = forms.TypedChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
    )
    same_person = forms.BooleanField(
        label="I have compared the notice with the staff directory: this is the same person.",
        error_messages={
            "required": "Tick the box to confirm that the notice is about this person, or go "
            "back to the notice."
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, preview: lifecycle.LinkPreview, **kwargs: Any) -> None:
        kwargs["initial"] = {
            **kwargs.get("initial", {}),
            "account": preview.account.pk,
            "reactivate": "yes" if preview.reactivate else "no",
        }
        super().__init__(*args, **kwargs)

    def confirmation(self) -> lifecycle.LinkConfirmation:
        return lifecycle.LinkConfirmation(
            account=self.cleaned_data["account"], reactivate=self.cleaned_data["reactivate"]
        )


class ExtendForm(forms.Form):
    end_date = DayField(
        label="New access end date",
        error_messages={"required": "Give the new access end date."},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the notice cancelled?",
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the notice is cancelled, so IT knows what to undo."},
    )


class ListFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Every kind"), *Kind.choices]
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[*StaffChange.State.choices, (selectors.EVERYTHING, "Every notice")],
    )

    def filters(self) -> dict[str, str]:
        """The chosen filters; anything unreadable falls back to open notices of every kind."""
        if not self.is_valid():
            return {"kind": "", "state": selectors.OPEN}
        return {
            "kind": self.cleaned_data["kind"],
            "state": self.cleaned_data["state"] or selectors.OPEN,
        }
