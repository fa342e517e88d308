"""Users, the roles they hold at organisations, API tokens and password history."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice as UpstreamTOTPDevice
from django_otp.plugins.otp_totp.models import default_key, key_validator

from dangjian.core.fields import EncryptedTextField
from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import role_choices
from dangjian.core.text import NameField


class User(AbstractUser):
    """A login. May be linked to a member record (most are) or not (agents, handlers)."""

    member = models.OneToOneField(
        "members.Member",
        verbose_name="对应党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    display_name = NameField("显示名称", max_length=50, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleAssignment(TimeStampedModel):
    """A role held at an organisation; it grants that organisation's subtree."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments"
    )
    org = models.ForeignKey(
        "orgs.Organisation",
        verbose_name="党组织",
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(
        "角色",
        max_length=16,
        choices=role_choices,  # registered by the apps (core.scope.register_role)
    )

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"
        ordering = ["user", "org__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="unique_role_at_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", db_index=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} token {self.digest[:8]}"


class PasswordHistory(models.Model):
    """A password the user has had (its argon2 hash only), so it cannot be reused."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["user", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class TwoFactorDevice(TimestampMixin, ThrottlingMixin, Device):
    """A TOTP second factor whose seed is encrypted at rest (core.crypto), unlike
    django-otp's own TOTPDevice, which keeps the seed in clear: a copied database or
    backup would otherwise let anyone mint codes for every privileged account.

    The behaviour — verification with tolerance and drift, replay refusal (``last_t``),
    throttling, the otpauth:// URL — is django-otp's own, borrowed method by method, so
    only where the seed lives differs. The fields and defaults are upstream's.
    """

    key = EncryptedTextField("密钥（加密存储）", validators=[key_validator], default=default_key)
    step = models.PositiveSmallIntegerField("时间步长（秒）", default=30)
    t0 = models.BigIntegerField("起始时间", default=0)
    digits = models.PositiveSmallIntegerField("位数", choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField("容许偏差（步）", default=1)
    drift = models.SmallIntegerField("时钟偏移（步）", default=0)
    last_t = models.BigIntegerField("最近验证的时间步", default=-1)

    bin_key = UpstreamTOTPDevice.bin_key
    verify_token = UpstreamTOTPDevice.verify_token
    get_throttle_factor = UpstreamTOTPDevice.get_throttle_factor
    config_url = UpstreamTOTPDevice.config_url
    _read_str_from_settings = UpstreamTOTPDevice._read_str_from_settings

    class Meta(Device.Meta):
        verbose_name = "动态验证码设备"
        verbose_name_plural = "动态验证码设备"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user} {self.name}"
