"""Users, the roles they hold at organisations, API tokens and password history."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from dangjian.core.models import TimeStampedModel
from dangjian.core.scope import role_choices


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
    display_name = models.CharField("显示名称", max_length=50, blank=True)
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
