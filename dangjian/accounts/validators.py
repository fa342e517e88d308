"""Password rules beyond Django's own validators (wired in AUTH_PASSWORD_VALIDATORS).

Django's validators give: at least 12 characters, not similar to the username or name,
not a common password, not all digits. These add: characters from at least three of
the four classes (upper case, lower case, digits, symbols), and no reuse of the last
five passwords. The history is written by :meth:`PasswordHistoryValidator.password_changed`,
which Django calls whenever a user is saved with a new password (by a service, the
admin or ``changepassword``), so no path that sets a password escapes it.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

MSG_TOO_SHORT = "密码太短，至少需要{n}个字符"
HELP_TOO_SHORT = "密码至少{n}个字符。"
MSG_CLASSES = "密码须包含大写字母、小写字母、数字、符号中的至少{n}类"
MSG_REUSED = "不能使用最近{n}次用过的密码"
HELP_CLASSES = "密码须包含大写字母、小写字母、数字、符号中的至少{n}类。"
HELP_REUSED = "不能与最近{n}次用过的密码相同。"


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and symbols ``password`` contains."""
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its message in Chinese (its zh-Hans plural form is missing)."""

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                MSG_TOO_SHORT.format(n=self.min_length), code="password_too_short"
            )

    def get_help_text(self):
        return HELP_TOO_SHORT.format(n=self.min_length)


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                MSG_CLASSES.format(n=self.min_classes), code="password_too_simple"
            )

    def get_help_text(self):
        return HELP_CLASSES.format(n=self.min_classes)


class PasswordHistoryValidator:
    """Refuse any of the user's last ``count`` passwords (the current one included)."""

    def __init__(self, count: int = 5):
        self.count = count

    def _recent(self, user) -> list[str]:
        from dangjian.accounts.models import PasswordHistory

        if user is None or user.pk is None:
            return []
        return list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.count]
        )

    def validate(self, password, user=None):
        hashes = self._recent(user)
        if not hashes and user is not None and user.pk is not None and user.password:
            hashes = [user.password]  # an account from before the history was kept
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(MSG_REUSED.format(n=self.count), code="password_reused")

    def password_changed(self, password, user=None):
        """Keep the new hash (and the last ``count`` only); note when it was changed."""
        from dangjian.accounts.models import PasswordHistory, User

        if user is None or user.pk is None:
            return
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        keep = (
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)[: self.count]
        )
        PasswordHistory.objects.filter(user_id=user.pk).exclude(pk__in=list(keep)).delete()
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self):
        return HELP_REUSED.format(n=self.count)


def password_expired(user, *, now: dt.datetime | None = None) -> bool:
    """Whether a privileged user's password is older than PASSWORD_EXPIRY_DAYS.

    Only accounts that must use two factors (admins, leaders, agents, superusers) have
    passwords that expire; an account from before the date was kept counts from joining.
    """
    from dangjian.accounts.twofactor import is_privileged

    days = settings.PASSWORD_EXPIRY_DAYS
    if not days or not is_privileged(user):
        return False
    changed = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - changed > dt.timedelta(days=days)
