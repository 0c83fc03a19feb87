"""Forms for signing a policy version and for checking a receipt."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from acknowledgements import receipts

AGREE_LABEL = "I have read the policy and agree to the statement above"


class SignForm(forms.Form):
    # The version the person read: if a newer one is published meanwhile, they read it first.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    printed_name = forms.CharField(
        label="Your full name",
        help_text="As it appears on your record.",
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label="Password",
        help_text="The password you sign in with, to confirm that it is you.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    agree = forms.BooleanField(
        label=AGREE_LABEL,
        error_messages={
            "required": "Tick the box to confirm that you have read the policy and agree."
        },
    )


class ProviderSignForm(SignForm):
    """For a person signed in with the organisation's account: instead of a password, they
    confirm it is them at their organisation's sign-in, the next step."""

    password = None  # type: ignore[assignment]


class VerifyForm(forms.Form):
    reference = forms.CharField(
        label="Record fingerprint or receipt code",
        help_text="Both are printed on the receipt. Capitals, spaces and dashes do not matter.",
        max_length=200,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )

    @classmethod
    def from_query(cls, query: QueryDict) -> VerifyForm:
        """Bound to ``?reference=``, or to ``?code=`` as a receipt's QR code links; unbound
        when the address carries neither."""
        for name in ("reference", "code"):
            if name in query:
                return cls({"reference": query[name]})
        return cls()

    def clean_reference(self) -> str:
        try:
            return receipts.normalise_reference(self.cleaned_data["reference"])
        except receipts.InvalidReference as exc:
            raise forms.ValidationError(str(exc)) from None
