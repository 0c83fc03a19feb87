from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from portal import accounts, audit_words, typed
from portal.models import User

MAX_IMPORT_BYTES = 10 * 1024 * 1024


ADDRESS_THROTTLED = (
    "Signing in from your network is paused after many unsuccessful attempts. If you have "
    "signed in from here before, your password still works; otherwise try again in {minutes} "
    "minutes, or contact the IT Service Desk."
)


class AddressThrottled:
    """Counts failed sign-ins per client address, across accounts (``accounts.sign_in_refused``
    and ``sign_in_failed``): for every form that checks a password to sign in, the admin's too,
    so that trying many accounts is limited whichever page it comes through."""

    cleaned_data: dict[str, Any]
    request: Any

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        if not email or not self.cleaned_data.get("password"):
            return super().clean()  # type: ignore[misc]
        if accounts.sign_in_refused(email=email, request=self.request):
            raise self._address_throttled()
        try:
            return super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            if accounts.sign_in_failed(email=email, request=self.request):
                raise self._address_throttled() from None
            raise

    def _address_throttled(self) -> forms.ValidationError:
        return forms.ValidationError(
            ADDRESS_THROTTLED.format(minutes=settings.SIGN_IN_CLIENT_WINDOW_MINUTES),
            code="address_throttled",
        )


class SignInForm(AddressThrottled, AuthenticationForm):
    # An e-mail address, or an employee number for staff without a work e-mail
    # (``UserManager.get_by_natural_key`` tells them apart by the "@").
    username = forms.CharField(
        label="Email address or employee number",
        max_length=254,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    error_messages = {
        # One message for an unknown address and a wrong password alike.
        "invalid_login": "That email address and password do not match our records.",
        "inactive": "That email address and password do not match our records.",
    }

    def clean_username(self) -> str:
        name = typed.sign_in_name(self.cleaned_data["username"])
        if "@" in name:
            forms.EmailField().clean(name)  # "Enter a valid email address."
        return name


class AdminSignInForm(AddressThrottled, AdminAuthenticationForm):
    pass


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
        # Only shown on the import's page: the last part of any path, never used as a path.
        self.filename = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][
            :255
        ] or "staff.csv"
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


class AuditFilterForm(forms.Form):
    """The audit log's filter: one action, or every action of a group, chosen from a list."""

    action = forms.ChoiceField(
        label="Action",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": "Choose an action from the list; nothing is shown for %(value)s."
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", "Every action"),
            *(
                (
                    group.words,
                    [
                        (group.prefix, f"All: {group.words}"),
                        *((code, f"{words} ({code})") for code, words in group.actions),
                    ],
                )
                for group in audit_words.groups()
            ),
        ]

    def full_clean(self) -> None:
        super().full_clean()
        if "action" in self.errors:  # said beside the list, and to assistive technology
            attrs = self.fields["action"].widget.attrs
            attrs.update({"aria-describedby": "action-error", "class": "form-select is-invalid"})
