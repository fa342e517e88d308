"""The 政治生日 e-card: a page for the member (printable, shareable on a phone) and the
same card as an image rendered on the server (to save or forward)."""

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.members import birthdays
from dangjian.members.choices import CURRENT_STATUSES

MSG_NO_MEMBER = "您的账号未关联党员档案，没有政治生日贺卡"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
FONT_REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
RED, GOLD, CREAM = (178, 10, 10), (255, 214, 102), (255, 244, 214)


def _card(request) -> dict:
    member = request.user.member if request.user.member_id else None
    if member is None or member.status not in CURRENT_STATUSES:
        raise Http404(MSG_NO_MEMBER)
    today = timezone.localdate()
    upcoming = birthdays.next_anniversary(member.joined_on, today)
    return {
        "member": member,
        "today": today,
        "is_today": birthdays.is_anniversary(member.joined_on, today),
        "years": birthdays.party_years(member.joined_on, today),
        "next": upcoming,
        "days_left": (upcoming - today).days,
        "next_years": birthdays.party_years(member.joined_on, upcoming),
    }


@login_required
@require_GET
def birthday(request):
    return render(request, "members/birthday.html", _card(request))


@login_required
@require_GET
def birthday_card(request):
    """The e-card as a PNG (750×1100, CJK fonts from Debian's fonts-noto-cjk)."""
    from PIL import Image, ImageDraw, ImageFont

    card = _card(request)
    member = card["member"]
    years = card["years"] if card["is_today"] else card["next_years"]
    width, height = 750, 1100
    image = Image.new("RGB", (width, height), RED)
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, width - 24, height - 24), outline=GOLD, width=4)
    draw.rectangle((40, 40, width - 40, height - 40), outline=GOLD, width=1)

    def text(y, value, size, fill=CREAM, bold=True):
        font = ImageFont.truetype(FONT if bold else FONT_REGULAR, size)
        left, _, right, _ = draw.textbbox((0, 0), value, font=font)
        draw.text(((width - (right - left)) / 2, y), value, font=font, fill=fill)

    text(120, "政治生日", 96, GOLD)
    text(250, "快 乐", 72, GOLD)
    text(420, f"{member.name} 同志", 52)
    text(
        510,
        f"{member.joined_on.year}年{member.joined_on.month}月{member.joined_on.day}日 入党",
        36,
        bold=False,
    )
    text(
        590, f"今天是您入党 {years} 周年" if card["is_today"] else f"即将迎来入党 {years} 周年", 40
    )
    text(720, "不忘初心  牢记使命", 48, GOLD)
    text(800, "永远跟党走", 40, GOLD)
    text(960, member.branch.name, 30, bold=False)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="political-birthday.png"'
    return response
