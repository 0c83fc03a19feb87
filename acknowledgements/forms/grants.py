from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from acknowledgements.grants import MAX_NOTE_LENGTH
from portal.day_fields import DayField


class GrantForm(forms.Form):
    email = forms.BooleanField(label="Email", required=False)
    internet = forms.BooleanField(label="Internet", required=False)
    telephone = forms.BooleanField(label="Telephone and fax", required=False)
    expires_on = DayField(
        label="Expires on (optional)",
        required=False,
        help_text="Leave empty for no end date. You can revoke the grant at any time.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, what was agreed. The employee and HR can read it.",
    )

    def clean_expires_on(self) -> date | None:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError("The expiry date cannot be in the past.")
        return expires_on

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("email", "internet", "telephone")):
            raise forms.ValidationError(
                "Choose at least one of email, Internet, or telephone and fax. To allow none, "
                "revoke the current grant instead."
            )
        return cleaned


class RevokeForm(forms.Form):
    note = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.TextInput(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the grant form, whose note field has the default id.
        kwargs.setdefault("auto_id", "id_revoke_%s")
        super().__init__(*args, **kwargs)
