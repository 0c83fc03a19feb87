"""First sign-in letters: printing one (HR, or the person's line manager), and using its code
to choose a password (anyone, signed out)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from portal import letters
from portal.models import User


class LetterPasswordForm(forms.Form):
    employee_number = forms.CharField(label="Employee number", max_length=32)
    code = forms.CharField(
        label="One-time code from your letter",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "The two passwords are not the same.")
        return data


@require_POST
def print_sign_in_letter(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("line_manager"), pk=pk)
    printed = letters.letter_print(actor=request.user, person=person, request=request)
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    name = slugify(person.employee_number or str(person.pk)) or str(person.pk)
    response["Content-Disposition"] = f'attachment; filename="first-sign-in-letter-{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def letter_password(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = LetterPasswordForm(initial={"employee_number": request.GET.get("number", "")[:32]})
        return render(request, "registration/letter_password.html", {"form": form})
    form = LetterPasswordForm(request.POST)
    if form.is_valid():
        try:
            letters.letter_redeem(
                employee_number=form.cleaned_data["employee_number"],
                code=form.cleaned_data["code"],
                password=form.cleaned_data["new_password1"],
                request=request,
            )
        except letters.LetterRefused as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            messages.success(
                request, "Your password is set. Sign in with your employee number and it."
            )
            return redirect("login")
    return render(request, "registration/letter_password.html", {"form": form})
