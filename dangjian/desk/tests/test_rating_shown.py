"""A reopened order tells the desk why: the asker's 不满意 (and comment) at the end of a
live chat shows on the console's case, the order page and the asker's own page in the
words the asker picked, not as "2 分"."""

from dangjian.desk.services import chats
from dangjian.desk.tests.test_chat_rating import _held
from dangjian.desk.tests.test_orders_services import staff as staff


def test_an_unsatisfied_chat_rating_is_shown_in_its_words(client, cast, staff, login):
    member, agent = cast.user["member"], staff["k1_agent"]
    chat = _held(cast, staff)
    chats.chat_close(acting_user=agent, chat=chat)
    chat.refresh_from_db()
    order = chats.chat_rate(acting_user=member, chat=chat, rating=2, comment="没说清楚")
    login(agent)
    case = client.get(f"/consult/console/case/{order.pk}/").content.decode()
    assert '<dt>评价</dt><dd><span class="tag tag-warn">不满意</span> 没说清楚</dd>' in case
    detail = client.get(f"/consult/orders/{order.pk}/").content.decode()
    assert "不满意 没说清楚" in detail and "2 分" not in detail
    login(member)
    mine = client.get(f"/consult/my/{order.pk}/").content.decode()
    assert "您的评价：不满意 没说清楚" in mine
