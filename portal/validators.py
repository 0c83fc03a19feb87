from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class RecentPasswordValidator:
    """Refuse any of the user's last ``PASSWORD_HISTORY_SIZE`` passwords (policy 5.6)."""

    def __init__(self, history_size: int | None = None) -> None:
        self.history_size = history_size or settings.PASSWORD_HISTORY_SIZE

    def validate(self, password: str, user: object | None = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        recent = user.password_history.values_list("password", flat=True)[: self.history_size]
        if any(check_password(password, encoded) for encoded in recent):
            raise ValidationError(
                f"You have used this password recently. Choose one that is not among your "
                f"last {self.history_size} passwords.",
                code="password_reused",
            )

    def password_changed(self, password: str, user: object | None = None) -> None:
        # Called by Django after every saved password change, including account creation.
        if user is None or not user.has_usable_password():
            return
        from portal.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = user.password_history.values_list("pk", flat=True)[self.history_size :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return f"Your password cannot be one of your last {self.history_size} passwords."
