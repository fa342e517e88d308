"""`dangjian totp_code USERNAME`: the current TOTP code of a demo account (DEBUG only).

The demo's privileged accounts (admins, leaders, agents, root) must enter a dynamic
code after their password; their keys are derived from the seed, so this prints the
code their authenticator app would show. It refuses to run when DEBUG is off: on a real
deployment nobody but the user may know a code.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.accounts.twofactor import confirmed_device, current_code

MSG_NOT_DEBUG = "totp_code 仅用于开发/演示环境（DEBUG），生产环境不可使用"
MSG_NO_USER = "没有用户 {username}"
MSG_NO_DEVICE = "用户 {username} 未绑定动态验证码"


class Command(BaseCommand):
    help = "打印演示账号当前的动态验证码（仅开发/演示环境）"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError(MSG_NOT_DEBUG)
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(MSG_NO_USER.format(username=username))
        device = confirmed_device(user)
        if device is None:
            raise CommandError(MSG_NO_DEVICE.format(username=username))
        self.stdout.write(current_code(device))
