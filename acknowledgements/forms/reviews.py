from __future__ import annotations

from django import forms

from acknowledgements.models import PolicyReview
from acknowledgements.reviews import MAX_NOTES_LENGTH


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Your conclusion",
        choices=PolicyReview.Result.choices,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=MAX_NOTES_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Required if changes are needed: say what should change, so that the new "
        "version can be drafted. Your outcome cannot be changed once recorded.",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("outcome") == PolicyReview.Result.CHANGES_NEEDED and not data.get("notes"):
            self.add_error("notes", "Say what needs to change.")
        return data
