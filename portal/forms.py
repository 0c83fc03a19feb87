from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from portal import typed
from portal.models import User

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        # One message for an unknown address and a wrong password alike.
        "invalid_login": "That email address and password do not match our records.",
        "inactive": "That email address and password do not match our records.",
    }


class StaffImportForm(forms.Form):
    file = forms.FileField(
        label="Staff directory (CSV)",
        help_text=(
            "Columns: employee number, first name, last name, email, department, job title, "
            "line manager email, employment type, start date, end date."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB. Split it and try again.")
        return upload.read()


class FirstPasswordResetForm(PasswordResetForm):
    """ "Forgotten your password?" that also serves people imported from the staff directory.

    Django's form skips accounts with no usable password, which is exactly how the directory
    import creates people (they choose their first password this way). Closed accounts stay
    excluded: the form only ever looks at active users, and a leaver's account is inactive.
    """

    def get_users(self, email: str):  # type: ignore[no-untyped-def]
        return (
            user
            for user in User.objects.filter(email__iexact=typed.email(email), is_active=True)
            if user.email.casefold() == typed.email(email).casefold()
        )
