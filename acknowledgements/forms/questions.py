from __future__ import annotations

from django import forms

from acknowledgements.questions import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH


class QuestionForm(forms.Form):
    section = forms.ChoiceField(
        label="Which part of the policy is it about?",
        required=False,
        help_text="Choose a section, or the whole policy if it is about more than one.",
    )
    text = forms.CharField(
        label="Your question",
        max_length=MAX_QUESTION_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Your line manager is told straight away and answers here in the portal.",
    )

    def __init__(self, *args: object, sections: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = sections


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        max_length=MAX_ANSWER_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The person who asked is told as soon as you send it. An answer cannot be "
        "changed afterwards.",
    )
