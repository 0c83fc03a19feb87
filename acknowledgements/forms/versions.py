"""Forms for Policy reviewers: editing a draft and choosing how to publish it."""

from __future__ import annotations

from django import forms

# Ten times the seed policy: room for any real policy, a bound on what a request can make us store.
MAX_BODY_CHARS = 200_000


class DraftForm(forms.Form):
    body = forms.CharField(
        label="Policy text (Markdown)",
        max_length=MAX_BODY_CHARS,
        strip=False,
        help_text=(
            "Number every section in its heading: '## 4 Procedure' for a section, "
            "'### 4.1 Personal Use of ICT' for a subsection. Section numbers must be unique."
        ),
        widget=forms.Textarea(
            attrs={"rows": 28, "class": "font-monospace policy-source", "spellcheck": "true"}
        ),
    )
    change_summary = forms.CharField(
        label="Change summary",
        required=False,
        max_length=4000,
        help_text=(
            "What changed and why, in a sentence or two. Staff see it with the new version; "
            "a minor change cannot be published without it."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublishForm(forms.Form):
    MATERIAL = "material"
    MINOR = "minor"

    change = forms.ChoiceField(
        label="What kind of change is this?",
        choices=[
            (MATERIAL, "Material change: everyone signs again within 21 days"),
            (MINOR, "Minor change: no re-signing; the change summary is shown"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is a material or a minor change."},
    )

    @property
    def material(self) -> bool:
        return self.cleaned_data["change"] == self.MATERIAL


class ReconfirmForm(forms.Form):
    """Asking everyone to confirm the same text again: why (they are told), and a tick."""

    reason = forms.CharField(
        label="Why is everyone asked again?",
        max_length=4000,
        help_text=(
            "Each person is told that the text has not changed and why they are asked, for "
            "example: “The annual review found no changes; we ask everyone to confirm the "
            "policy each year.”"
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why everyone is asked again: they are told it."},
    )
    confirm = forms.BooleanField(
        label="I understand that everyone listed above is asked to sign again within 21 days.",
        error_messages={"required": "Tick the box to confirm that everyone is asked again."},
    )
