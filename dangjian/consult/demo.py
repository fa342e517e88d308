"""Demo data of the knowledge base and the bot (``make demo``), through the services.

The curated starter base (``consult/starter/*.jsonl``) is imported and published under
the province; a year of 每日一答 up to the demo's reference date; the hotline's five-option
voice menu; a few members' conversations with the bot (some answered, some handed off);
a few items of the 问题优化清单; and thirteen weeks of the 12371 service desk — work
orders from every channel in every state, coordination, ratings, live chats, canned
replies (see "The 12371 service desk" below, which also explains how past timestamps are
set). Deterministic from ``seed``; running it twice adds nothing the second time.
"""

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Value, When
from django.test.utils import override_settings
from faker import Faker

from dangjian.accounts.models import RoleAssignment
from dangjian.consult import imports, rules
from dangjian.consult.models import (
    CannedReply,
    Channel,
    ChatSession,
    Conversation,
    Coordination,
    Entry,
    EntryKind,
    EntryStatus,
    IvrOption,
    Message,
    MessageRole,
    OrderEvent,
    OrderSource,
    OrderStatus,
    PlatformFeedback,
    Priority,
    WorkOrder,
)
from dangjian.consult.services import kb as services
from dangjian.consult.services import kb_desk as desk
from dangjian.consult.services import orders as services_orders
from dangjian.core import calendar, notify, scope
from dangjian.core.scope import Role
from dangjian.demo.generator import REFERENCE_DATE
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

STARTER = Path(__file__).parent / "starter"
DAILY_DAYS = 365
IVR_MENU = [  # the seed's hotline cut fourteen options to five
    {"key": "1", "label": "入党与发展党员", "queue": "发展党员", "category": "入党申请与发展党员"},
    {"key": "2", "label": "组织关系转接", "queue": "组织关系", "category": "组织关系转接"},
    {"key": "3", "label": "党费交纳", "queue": "党费", "category": "党费"},
    {"key": "4", "label": "智慧党建平台使用", "queue": "平台使用", "category": "平台使用"},
    {"key": "0", "label": "其他问题，人工服务", "queue": "综合", "category": ""},
]
QUESTIONS = [
    "入党申请书交给谁？",
    "组织关系怎么转到外省？",
    "退休了党费怎么算？",
    "流动党员在外地怎么参加组织生活？",
    "主题党日每个月都要开吗？",
    "忘记登录密码怎么办？",
    "我们村的路灯坏了找谁修？",
    "党员可以炒股吗？",
]
FEEDBACK = [
    ("suggestion", "希望学习页面能离线下载，山区信号不好。", "done"),
    ("problem", "大字模式下会议签到按钮显示不全。", "accepted"),
    ("suggestion", "每日一答能否增加语音播报？", "received"),
]


def seed(*, root_user, seed: int, progress) -> None:
    root = Organisation.objects.get_root_nodes().first()
    if root is None:
        return
    _starter(root, progress)
    _daily(progress)
    if not IvrOption.objects.filter(org=root).exists():
        desk.ivr_menu_replace(acting_user=root_user, org=root, options=IVR_MENU)
    _conversations(seed, progress)
    _feedback(seed)
    _service_desk(root, root_user, seed, progress)


def _starter(root, progress) -> None:
    if Entry.objects.filter(org=root).exists():
        return
    for path in sorted(STARTER.glob("*.jsonl")):
        outcome = imports.import_file(acting_user=None, org=root, path=path, publish=True)
        if outcome.errors:
            progress(f"知识库 {path.name}：{len(outcome.errors)} 处错误，未导入")
        else:
            progress(f"知识库 {path.name}：导入并发布 {outcome.created} 条")


def _daily(progress) -> None:
    for offset in range(DAILY_DAYS, -1, -1):
        desk.daily_pick(day=REFERENCE_DATE - dt.timedelta(days=offset))
    progress(f"每日一答：{DAILY_DAYS + 1} 天")


def _members(seed: int, count: int) -> list:
    users = list(
        get_user_model()
        .objects.filter(member__isnull=False, is_active=True, is_superuser=False)
        .order_by("pk")[:200]
    )
    return random.Random(seed).sample(users, min(count, len(users)))


def _conversations(seed: int, progress) -> None:
    """A few members' questions on the last evening before the demo's "now" (handed-off
    ones wait in the queue as new orders)."""
    if Conversation.objects.exists():
        return
    rng = random.Random(seed)
    answered = handed = 0
    for number, user in enumerate(_members(seed, 6)):
        conversation = None
        when = DEMO_NOW - dt.timedelta(hours=3 * (6 - number))
        for question in rng.sample(QUESTIONS, 2):
            result = services.ask(user=user, question=question, conversation=conversation)
            _backdate_turn(result, when, first=conversation is None)
            conversation = result.conversation
            when += dt.timedelta(minutes=2)
            if result.handed_off:
                handed += 1
                order = WorkOrder.objects.filter(pk=result.work_order_id).first()
                if order is not None and order.created_at > when:
                    _backdate_order(order, when, restarted=True)
                continue
            answered += 1
            services.message_feedback(message=result.message, helpful=rng.random() < 0.85)
    progress(f"智能问答演示会话：已答 {answered} 问，转人工 {handed} 问")


def _feedback(seed: int) -> None:
    if PlatformFeedback.objects.exists():
        return
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    for user, (kind, text, status) in zip(_members(seed + 1, 3), FEEDBACK, strict=False):
        item = desk.feedback_submit(user=user, kind=kind, text=text)
        if status != "received":
            desk.feedback_set_status(
                acting_user=admin, item=item, status=status, reply="已纳入优化计划"
            )


# --- The 12371 service desk: work orders, agents, live chats ---------------------------
#
# Thirteen weeks of traffic up to the demo's "now" (the start of REFERENCE_DATE): members
# and visitors asking the bot (most answered, some handed off), hotline calls logged by
# the agents, 有话向党说 / 有事找党帮 messages, questions from the public site, a few live
# chats. Each order then lives its life — claimed, coordinated with offices, answered,
# rated, reopened, escalated on breach, published — with delays drawn on the workday
# calendar; a step that would fall after "now" does not happen, so recent orders are
# still new or in hand, as on a real desk.
#
# Timestamps: the order and bot services stamp writes with the real clock; only the jobs
# (escalation, rating reminders) take ``now=``. The demo therefore calls each service,
# then moves what that call stamped back to the simulated moment (the ``_backdate_*``
# helpers): the order's times, its deadlines (recomputed from the moment with the same
# rules), its history rows, coordination requests, conversations, messages and chats.
# Anything the call stamped is later than the moment, because the demo's "now" is never
# after the real clock (seed_demo refuses a clock before REFERENCE_DATE). Audit entries
# and notifications keep the real time: the audit chain hashes its times, and the inbox
# shows when the demo was written.

DEMO_NOW = dt.datetime.combine(REFERENCE_DATE, dt.time.min, calendar.TZ)
DEMO_DAYS = 91
CONVERSATIONS = 170  # a small province's sample: the seed_demo run must stay quick
HOTLINE_CALLS = 45
MESSAGES = 18
PUBLIC_QUESTIONS = 12
CHATS = 4

# Questions the bot should not answer (outside the base, or too particular): (question,
# category, the agent's reply).
HARD_QUESTIONS = [
    (
        "党员可以炒股吗？",
        "党员权利与义务",
        "您好！党员可以依法合规买卖股票等证券。党员干部要遵守《中国共产党廉洁自律准则》和"
        "《中国共产党纪律处分条例》：不得利用职权或者职务上的影响为本人或他人谋取利益，"
        "不得利用内幕信息买卖股票，不得在工作时间炒股。具体以所在单位的规定为准。",
    ),
    (
        "我们村的路灯坏了找谁修？",
        "为民服务",
        "您好！您反映的情况已转所在乡镇党委，由村党组织联系相关部门维修，处理结果将另行答复您。",
    ),
    (
        "党员证丢了怎么补办？",
        "党员权利与义务",
        "您好！我们党没有统一制发“党员证”。需要证明党员身份时，可以向组织关系所在党支部"
        "或上级党委组织部门申请出具党员身份证明。",
    ),
    (
        "考公务员政审需要党组织出证明吗？",
        "干部人才",
        "您好！公务员录用考察时，考察组一般会向考生所在单位或组织关系所在党组织了解政治表现。"
        "需要出具党员身份或表现证明的，请联系组织关系所在党支部，由所在党委审核后出具。",
    ),
    (
        "党员可以在网上开网店吗？",
        "党员权利与义务",
        "您好！普通党员依法诚信经营网店没有禁止性规定。党员干部和公职人员从事营利性活动，"
        "受《中国共产党纪律处分条例》和公务员法等约束，不得违规从事或者参与营利性活动。",
    ),
    (
        "困难党员补助怎么申请？",
        "党内关怀帮扶",
        "您好！生活困难党员可以向所在党支部反映情况，由党支部核实后报上级党委，在“七一”、"
        "春节等时间走访慰问或者给予补助，补助资金主要从留存党费中列支。具体标准请咨询所在"
        "县（市、区）委组织部。",
    ),
    (
        "离婚了需要向党组织报告吗？",
        "党员权利与义务",
        "您好！按照《领导干部报告个人有关事项规定》，领导干部本人婚姻变化情况应当报告；"
        "普通党员没有统一的报告要求，所在单位另有规定的按单位规定执行。",
    ),
    (
        "村两委换届什么时候进行？",
        "基层组织建设",
        "您好！村党组织和村民委员会每届任期5年，换届时间由省、州（市）统一部署，"
        "具体安排请关注所在县（市、区）委组织部和民政部门的通知。",
    ),
    (
        "入党积极分子培训班什么时候开？",
        "入党申请与发展党员",
        "您好！入党积极分子的培训由基层党委或县级党委组织部门组织，具体时间请向所在党支部了解。"
        "确定为发展对象后，还要参加集中培训，时间一般不少于3天（或者不少于24个学时）。",
    ),
    (
        "公司拖欠工资可以找党组织帮忙吗？",
        "为民服务",
        "您好！拖欠工资属于劳动争议，可以向当地人力资源和社会保障部门的劳动保障监察机构投诉，"
        "或者申请劳动仲裁。企业有党组织的，也可以向企业党组织反映，由党组织协调解决。",
    ),
    (
        "村干部优亲厚友向谁反映？",
        "意见建议",
        "您好！反映村干部违规违纪问题，可以向乡镇纪委或者县级纪委监委信访举报（电话12388，"
        "网站 www.12388.gov.cn），也可以向乡镇党委反映。",
    ),
    (
        "平台上显示的支部不是我现在的支部怎么办？",
        "平台使用",
        "您好！平台上的党员信息由所在党支部管理员维护。请先联系支部管理员核对；如果确已"
        "更换支部，需要按程序办理组织关系转接，转接完成后平台会自动更新。",
    ),
    (
        "退伍回来党组织关系怎么接？",
        "组织关系转接",
        "您好！退役军人党员应当及时将组织关系转到安置地或者户籍所在地。请持部队开具的党员"
        "组织关系介绍信，到安置地县（市、区）委组织部办理接转，再到接收党支部报到。",
    ),
    (
        "12371的人工服务几点上班？",
        "平台使用",
        "您好！12371人工服务时间为工作日9:00—12:00、13:30—17:30；其他时间可以在平台留言，"
        "我们上班后按顺序办理。",
    ),
]
HARD_SHARE = 0.14  # of the bot's questions
# Questions on these topics come far more often (the seed: transfers, dues, joining).
CATEGORY_WEIGHTS = {
    "组织关系转接": 4.0,
    "党费": 3.5,
    "入党申请与发展党员": 3.5,
    "平台使用": 3.0,
    "流动党员与失联党员": 2.0,
    "异地入党": 1.5,
    "三会一课": 1.5,
}
ONLINE_HOURS = [7, 8, 9, 9, 10, 10, 11, 12, 14, 15, 15, 16, 17, 19, 20, 20, 21, 21, 22]
DESK_DEPTH = 3  # 12371 desks: province, city, county organisation departments
HOTLINE_DESKS = {1: 6, 2: 2, 3: 2}  # which desk takes a call (by depth): mostly the province
PRIORITY_WEIGHTS = {"urgent": 5, "normal": 85, "low": 10}
CASE_DRAFTS = 3

# Calls an agent logs: (category, summary, what was said on the phone).
HOTLINE = [
    (
        "组织关系转接",
        "来电咨询从省外转入组织关系，接收党支部不清楚如何操作",
        "已告知：跨省转接通过全国党员管理信息系统办理，由转出地县级以上党委组织部门开具"
        "介绍信，接收党支部在系统中确认接收，党员持介绍信到支部报到。",
    ),
    (
        "党费",
        "退休党员询问党费按什么基数交纳",
        "已告知：离退休党员以每月实际领取的基本离退休费总额或养老金总额为基数，5000元以下"
        "（含）交纳0.5%，5000元以上交纳1%。",
    ),
    (
        "入党申请与发展党员",
        "大学生询问在学校递交入党申请后毕业回乡如何衔接",
        "已告知：毕业时由学校党组织将入党申请人、积极分子的培养考察材料转交其工作或居住地"
        "党组织，新的党组织审查后接续培养。",
    ),
    (
        "流动党员与失联党员",
        "外出务工党员询问在打工地如何参加组织生活",
        "已告知：可以持《流动党员活动证》到流入地党组织报到，参加流入地的组织生活；流入地"
        "没有合适党组织的，可以通过本平台线上参加原支部的组织生活。",
    ),
    (
        "平台使用",
        "老党员反映不会在手机上登录智慧党建平台",
        "已在电话中指导用手机号和短信验证码登录，并告知可以打开大字模式；仍有困难可请支部"
        "管理员协助。",
    ),
    (
        "党费",
        "支部书记询问党员补交党费如何处理",
        "已告知：党员未按时交纳的党费应当补交，由党支部登记、说明情况后收缴，按规定上缴。",
    ),
    (
        "三会一课",
        "询问党小组会多长时间开一次",
        "已告知：支部党员大会一般每季度召开1次，支部委员会一般每月召开1次，党小组会一般每月"
        "召开1次，党课每季度至少1次。",
    ),
    (
        "主题党日",
        "社区党支部询问主题党日能否与志愿服务结合开展",
        "已告知：可以。主题党日可以结合志愿服务、为民办实事开展，但要有学习、议事等规定内容，"
        "并做好记录。",
    ),
    (
        "组织关系转接",
        "询问出国留学党员如何保留组织关系",
        "已告知：出国（境）学习研究的党员，出国前向党组织提出申请，经批准可以保留组织关系，"
        "保留期限一般不超过5年。",
    ),
    (
        "干部人才",
        "询问领导干部任职前公示期多长",
        "已告知：按照《党政领导干部选拔任用工作条例》，任职前公示期不少于5个工作日。",
    ),
    (
        "意见建议",
        "来电建议平台增加少数民族语言的学习内容",
        "已记录建议，转平台建设部门研究，感谢您的建议。",
    ),
    (
        "流动党员与失联党员",
        "支部书记询问长期联系不上的党员如何处理",
        "已告知：党支部应当多方查找；经查找6个月以上仍无法取得联系的，按规定认定为失联党员，"
        "报上级党委备案。",
    ),
    (
        "入党申请与发展党员",
        "询问预备党员延长预备期的规定",
        "已告知：预备期满需要继续教育考察的，可以延长一次预备期，延长时间不能少于半年，"
        "最长不超过一年。",
    ),
    (
        "组织生活会与民主评议",
        "询问组织生活会是否每年都要召开",
        "已告知：党支部每年至少召开1次组织生活会，一般安排在第四季度，也可以根据工作需要随时召开。",
    ),
    (
        "党员权利与义务",
        "党员询问能否向上级党组织反映支部书记的问题",
        "已告知：党员有权向党的上级组织直至中央提出请求、申诉和控告，并要求有关组织给以"
        "负责的答复。",
    ),
    (
        "党费",
        "询问农民党员每月交纳多少党费",
        "已告知：农民党员每月交纳党费0.2元至1元。",
    ),
    (
        "平台使用",
        "支部管理员询问如何在平台上批量录入党员信息",
        "已在电话中指导：在党员管理中下载导入模板，填写后上传，系统会逐行提示需要修改的地方。",
    ),
    (
        "为民服务",
        "村民反映村里饮水管道破损长期无人维修",
        "已记录，转所在县委组织部协调乡镇党委和水务部门处理，处理结果回复来电人。",
    ),
]
HOTLINE_ON_THE_PHONE = 0.6  # answered during the call; the rest need follow-up

# 有话向党说 / 有事找党帮: (kind, category, title, detail, reply).
MESSAGE_TOPICS = [
    (
        "speak",
        "意见建议",
        "建议多组织适合老党员的学习活动",
        "我是退休老党员，希望社区党组织多组织一些适合老年人的学习活动，比如读报会、讲党史。",
        "感谢您的建议！已转所在街道党工委，指导社区党组织结合主题党日开展适合老党员的学习活动。",
    ),
    (
        "speak",
        "意见建议",
        "希望平台增加党费交纳提醒",
        "每个月都要支部委员提醒交党费，如果平台能自动提醒就方便多了。",
        "感谢建议！已纳入平台问题优化清单，后续版本将增加党费交纳提醒。",
    ),
    (
        "speak",
        "党员教育",
        "建议党员教育课程增加民族语言讲解",
        "我们村彝族党员多，有的老党员普通话听不太懂，希望有彝语讲解的党课。",
        "感谢建议！已转党员教育部门研究，组织制作民族语言党课节目后将在平台上发布。",
    ),
    (
        "speak",
        "组织生活会与民主评议",
        "反映所在支部组织生活流于形式",
        "我们支部开会基本就是念文件，讨论很少，希望上级加强指导。",
        "您好！已转所在县委组织部了解核实，将督促党支部严格落实组织生活制度，提高组织生活质量。",
    ),
    (
        "help",
        "为民服务",
        "小区电梯长期故障，物业不作为",
        "小区3栋电梯坏了两个多月，多次找物业都没有修，老人上下楼很困难。",
        "您好！已转所在街道党工委，由社区党组织牵头召集物业、业委会协商维修，请保持电话畅通。",
    ),
    (
        "help",
        "流动党员与失联党员",
        "在外地打工找不到流入地党组织",
        "我在外省工地打工，想参加党组织生活，但不知道去哪里报到。",
        "您好！已联系您务工所在地的组织部门，请携带《流动党员活动证》到当地街道（乡镇）党组织"
        "报到；也可以通过本平台线上参加原支部的组织生活。",
    ),
    (
        "help",
        "组织关系转接",
        "组织关系转出三个月了，接收方还没有确认",
        "今年7月就办了组织关系转出，新单位党支部说系统里一直看不到，怎么办？",
        "您好！经与接收地组织部门核实，介绍信因接收党支部信息有误被退回，现已重新开具，"
        "请在5个工作日内到新党支部报到。",
    ),
    (
        "help",
        "党费",
        "单位改制后不知道党费交到哪里",
        "原单位改制后党组织撤销了，这几个月党费一直没地方交。",
        "您好！单位党组织撤销后，应当将组织关系转到新的单位或居住地党组织，党费随组织关系"
        "交纳。已转所在县委组织部协助您办理转接，期间的党费可以转接后补交。",
    ),
    (
        "help",
        "入党申请与发展党员",
        "递交入党申请书半年了还没人找我谈话",
        "我今年春天向单位党支部递交了入党申请书，到现在也没有人找我谈话。",
        "您好！按照《中国共产党发展党员工作细则》，党组织收到入党申请书后，应当在一个月内派人"
        "同入党申请人谈话。已转所在县委组织部督促党支部尽快安排谈话。",
    ),
    (
        "help",
        "为民服务",
        "村里留守老人冬季取暖有困难",
        "我们村有几户独居老人，冬天取暖困难，希望党组织能帮帮忙。",
        "您好！已转所在乡镇党委，由村党组织摸排独居老人情况，协调开展结对帮扶和送温暖活动。",
    ),
    (
        "help",
        "平台使用",
        "换了手机号登录不了平台",
        "原来的手机号停用了，收不到验证码，登录不了智慧党建平台。",
        "您好！请联系所在党支部管理员在党员信息中更新手机号，更新后即可用新号码登录。",
    ),
]

# Residents on the public site (no account): (question, detail, reply).
PUBLIC_TOPICS = [
    (
        "退役军人怎么把党组织关系转回家乡？",
        "今年退伍，想把组织关系转回老家。",
        "您好！请持部队开具的党员组织关系介绍信，到安置地或户籍所在地县（市、区）委组织部"
        "办理接转，再到接收党支部报到。",
    ),
    (
        "孩子在外地上大学入了党，毕业后组织关系怎么转？",
        "",
        "您好！毕业生党员应当将组织关系转到工作单位；暂未就业的，可以转到本人或父母居住地的"
        "乡镇（街道）党组织，也可以按规定在学校保留组织关系，一般不超过2年。",
    ),
    (
        "想入党需要什么条件？",
        "",
        "您好！年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，承认党的"
        "纲领和章程，愿意参加党的一个组织并在其中积极工作、执行党的决议和按期交纳党费的，"
        "可以申请加入中国共产党。请向工作、学习单位或居住地的党组织递交入党申请书。",
    ),
    (
        "父亲是老党员，去世了需要告诉谁？",
        "",
        "您好！请告知您父亲组织关系所在的党支部，党支部会做好慰问，并按规定办理相关手续。",
    ),
    (
        "公司没有党组织，入党申请书交给谁？",
        "在一家民营企业上班，公司没有党支部。",
        "您好！所在单位没有建立党组织的，可以向居住地党组织提出入党申请；流动人员还可以向"
        "单位所在地党组织或者单位主管部门党组织提出。",
    ),
    (
        "12371热线是做什么的？",
        "",
        "您好！12371是党员咨询服务电话，面向党员群众提供党建政策咨询，受理意见建议和困难求助。",
    ),
    (
        "户口迁到外省了，党组织关系要不要跟着转？",
        "",
        "您好！党员组织关系随工作单位或者经常居住地确定，户口迁移本身不要求转组织关系；"
        "工作单位或居住地变化的，应当及时转接。",
    ),
]

RATING_WEIGHTS = {5: 52, 4: 24, 3: 11, 2: 8, 1: 5}
RATING_COMMENTS = {
    5: ["答复很及时，讲得很清楚，谢谢！", "问题解决了，感谢12371！", "工作人员很耐心，点赞。", ""],
    4: ["答复清楚，就是等得有点久。", "基本解决了，谢谢。", ""],
    3: ["答复还可以，但具体去哪里办没说清楚。", ""],
    2: ["答复太笼统，没有解决我的问题。", "按答复去办，支部说不知道这个规定。"],
    1: ["答非所问。", "问题还是没有解决，希望再核实一下。"],
}
REOPEN_REASON = "按答复去办理，接收的党支部说没有收到介绍信，请再帮忙核实。"
COORDINATED = {"组织关系转接", "党费", "入党申请与发展党员", "流动党员与失联党员", "为民服务"}
OFFICES = {1: ("组织二处", "党员教育中心"), 2: ("组织科",), 3: ("组织股", "党员管理股")}
OFFICE_ANSWERS = [
    "经核实，情况属实，同意按程序办理。",
    "经查阅档案，材料齐全，符合规定，可以办理。",
    "已与相关党组织联系，对方同意接收，请告知当事人按时报到。",
    "经核，按现行规定执行即可，无特殊情况。",
]
CHAT_LINES = [
    "您好，我是12371坐席，请问有什么可以帮您？",
    "我想再问清楚一点，具体要准备什么材料？",
]
CANNED = [  # (level: 1 province, 2 city, 3 county), title, category, text
    (1, "受理告知", "", "您好！您的咨询已受理，我们将在3个工作日内答复您，请留意平台消息。"),
    (
        1,
        "转办告知",
        "",
        "您好！您反映的问题需要相关组织部门核实，已转有关部门办理，办理结果将及时答复您。",
    ),
    (
        1,
        "党费交纳标准",
        "党费",
        "在职党员以每月工资收入（税后）为基数：3000元以下（含）交纳0.5%；3000元以上至5000元"
        "（含）交纳1%；5000元以上至10000元（含）交纳1.5%；10000元以上交纳2%。离退休党员5000元"
        "以下（含）交纳0.5%，5000元以上交纳1%。农民、学生党员每月交纳0.2元至1元。",
    ),
    (
        1,
        "跨省转接流程",
        "组织关系转接",
        "跨省（区、市）转接组织关系通过全国党员管理信息系统办理：党员向所在党支部提出申请，"
        "由县级以上党委组织部门开具介绍信，接收党支部确认后，党员持介绍信按时报到。",
    ),
    (
        1,
        "平台登录指引",
        "平台使用",
        "请用登记的手机号和短信验证码登录；忘记密码可在登录页点击“忘记密码”重置，"
        "手机号变更请联系所在党支部管理员更新。",
    ),
    (
        1,
        "结束语",
        "",
        "感谢您对12371党员咨询服务的信任！如对答复不满意，可以在工单中要求重新办理。",
    ),
    (2, "转县级办理", "", "您好！您的问题由所在县（市、区）委组织部负责办理，已转交，请留意答复。"),
    (
        3,
        "报到材料",
        "组织关系转接",
        "请携带身份证和党员组织关系介绍信，在规定时间内到接收党支部报到。",
    ),
]


class QuietSmsBackend(notify.SmsBackend):
    """The demo's callers are fictional: their SMS notices go nowhere (not even the log)."""

    def send(self, phone: str, text: str) -> None:
        return None


@dataclass
class Desk:
    """What the demo draws on: the seeded RNG, the people, the bot, and a tally."""

    root: Organisation
    root_user: object
    rng: random.Random
    fake: Faker
    agents: dict[str, list]  # organisation path → users holding the role exactly there
    handlers: dict[str, list]
    members: list
    branches: list[Organisation]
    entries: list[Entry]
    weights: list[float]
    engine: object
    drafted: set[str] = field(default_factory=set)
    tally: Counter = field(default_factory=Counter)

    def staff(self, path: str, table: dict[str, list]):
        """Someone at the nearest organisation at or above ``path`` holding a desk there."""
        for prefix in reversed(scope.ancestor_paths(path, include_self=True)):
            users = table.get(prefix)
            if users:
                return self.rng.choice(users)
        return self.root_user

    def agent(self, path: str):
        return self.staff(path, self.agents)

    def handler(self, path: str):
        return self.staff(path, self.handlers) if self.handlers else self.agent(path)


def _service_desk(root: Organisation, root_user, seed: int, progress) -> None:
    """The desk's period in one transaction (all or nothing; the canned replies, written
    first, mark it done)."""
    if CannedReply.objects.filter(org=root).exists():
        return
    started = time.monotonic()
    with override_settings(SMS_BACKEND=f"{__name__}.QuietSmsBackend"), transaction.atomic():
        desk = _desk(root, root_user, seed)
        _canned(desk)
        for when, _n, job, job_seed in sorted(_timeline(desk)):
            job(desk, when, random.Random(job_seed))
        _backlog(desk)
        _close_the_week(desk)
    tally = desk.tally
    progress(
        f"12371 服务台：智能问答 {tally['conversations']} 次会话（转人工 {tally['handoffs']} 次），"
        f"工单 {WorkOrder.objects.count()} 件，在线人工 {tally['chats']} 次，"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )


def _by_path(role: Role) -> dict[str, list]:
    table: dict[str, list] = {}
    grants = RoleAssignment.objects.filter(role=role, user__is_active=True).select_related(
        "user", "org"
    )
    for grant in grants.order_by("org__path", "user_id"):
        if grant.org.depth <= DESK_DEPTH:
            table.setdefault(grant.org.path, []).append(grant.user)
    return table


def _desk(root: Organisation, root_user, seed: int) -> Desk:
    from dangjian.consult import index

    rng = random.Random(seed * 7919 + 12371)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    entries = list(
        Entry.objects.filter(status=EntryStatus.PUBLISHED, kind=EntryKind.FAQ).order_by("pk")
    )
    ranks = Counter()
    weights = []
    for entry in entries:  # a few questions per topic are asked far more than the rest
        ranks[entry.category] += 1
        weights.append(CATEGORY_WEIGHTS.get(entry.category, 1.0) / ranks[entry.category])
    branches = list(
        Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True).order_by(
            "path"
        )[:400]
    )
    return Desk(
        root=root,
        root_user=root_user,
        rng=rng,
        fake=fake,
        agents=_by_path(Role.AGENT),
        handlers=_by_path(Role.HANDLER),
        members=_members(seed + 2, 200),
        branches=branches,
        entries=entries,
        weights=weights,
        engine=index.live().get(),
    )


def _canned(desk: Desk) -> None:
    """常用答复 for each 12371 desk (the province's for everyone, a few of their own)."""
    for path, users in sorted(desk.agents.items()):
        org = Organisation.objects.get(path=path)
        for level, title, category, text in CANNED:
            if level == org.depth:
                services_orders.canned_create(
                    acting_user=users[0], org=org, title=title, text=text, category=category
                )
    if desk.root.path not in desk.agents:
        for level, title, category, text in CANNED:
            if level == 1:
                services_orders.canned_create(
                    acting_user=desk.root_user,
                    org=desk.root,
                    title=title,
                    text=text,
                    category=category,
                )


# --- When things happen


def _day(rng: random.Random, *, workday: bool) -> dt.date:
    """A day of the period; people write on weekends too, but less."""
    while True:
        day = REFERENCE_DATE - dt.timedelta(days=rng.randint(1, DEMO_DAYS))
        if calendar.is_workday(day) or (not workday and rng.random() < 0.45):
            return day


def _moment(rng: random.Random, *, office_hours: bool) -> dt.datetime:
    """A time people contact 12371: office hours for calls and chats, evenings too online."""
    day = _day(rng, workday=office_hours)
    if office_hours:
        minute = rng.choice([rng.randint(9 * 60, 11 * 60 + 50), rng.randint(13 * 60 + 30, 17 * 60)])
    else:
        minute = rng.choice(ONLINE_HOURS) * 60 + rng.randint(0, 59)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), calendar.TZ)


def _timeline(desk: Desk) -> list[tuple]:
    """Every contact of the period as (moment, n, job, job's seed), to run in time order."""
    rng = desk.rng
    jobs: list[tuple] = []
    plan = [
        (_conversation, CONVERSATIONS, False),
        (_hotline, HOTLINE_CALLS, True),
        (_public, PUBLIC_QUESTIONS, False),
    ]
    if desk.members:
        plan += [(_message, MESSAGES, False), (_chat, CHATS, True)]
    for job, count, office_hours in plan:
        for _ in range(count):
            moment = _moment(rng, office_hours=office_hours)
            jobs.append((moment, len(jobs), job, rng.getrandbits(32)))
    return jobs


# --- Moving what a service stamped back to the simulated moment (see the section header)

ORDER_STAMPS = (
    "created_at",
    "updated_at",
    "first_response_at",
    "answered_at",
    "rated_at",
    "closed_at",
)


def _backdate_order(
    order: WorkOrder, when: dt.datetime, *, restarted: bool = False, offices: bool = False
) -> None:
    """The order's times stamped by the last call → ``when``; timers restarted by it
    (creation, reopening) count from ``when`` with the same rules; ``offices``: the call
    asked or answered offices (协商联动)."""
    changes = {f: when for f in ORDER_STAMPS if (getattr(order, f) or when) > when}
    if restarted:
        sla = rules.sla_for(order.priority, order.category)
        changes["first_response_due"], changes["resolution_due"] = rules.deadlines(when, sla)
    WorkOrder.objects.filter(pk=order.pk).update(**changes)
    for name, value in changes.items():
        setattr(order, name, value)
    OrderEvent.objects.filter(order=order, at__gt=when).update(at=when)
    if offices:
        Coordination.objects.filter(order=order, created_at__gt=when).update(
            created_at=when, updated_at=when
        )
        Coordination.objects.filter(order=order, answered_at__gt=when).update(
            answered_at=when, updated_at=when
        )


def _backdate_turn(result, when: dt.datetime, *, first: bool) -> None:
    """One turn (the question, then the reply a few seconds on) → ``when``."""
    changes = {"updated_at": when}
    if first:
        changes["created_at"] = when
    if result.handed_off:
        changes["handed_off_at"] = when
    Conversation.objects.filter(pk=result.conversation.pk).update(**changes)
    Message.objects.filter(conversation=result.conversation, created_at__gt=when).update(
        created_at=Case(
            When(role=MessageRole.USER, then=Value(when)),
            default=Value(when + dt.timedelta(seconds=2)),
        )
    )


def _handed_off(desk: Desk, result, when: dt.datetime, rng: random.Random, reply: str) -> None:
    desk.tally["handoffs"] += 1
    if result.work_order_id:
        order = WorkOrder.objects.get(pk=result.work_order_id)
        _backdate_order(order, when, restarted=True)
        _lifecycle(desk, order, rng, reply=reply)


# --- The contacts


def _bot_question(desk: Desk, rng: random.Random) -> tuple[str, str]:
    """(question, the answer an agent would give): a hard one, or a base topic's phrasing."""
    if rng.random() < HARD_SHARE or not desk.entries:
        question, _category, reply = rng.choice(HARD_QUESTIONS)
        return question, reply
    entry = rng.choices(desk.entries, weights=desk.weights)[0]
    return rng.choice([entry.question, *(entry.alternatives or [])]), f"您好！{entry.answer}"


def _conversation(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """A member or a visitor asks the bot one to three questions; it answers or hands off."""
    user = rng.choice(desk.members) if desk.members and rng.random() < 0.7 else None
    channel = Channel.APP if user is not None and rng.random() < 0.6 else Channel.WEB
    conversation = None
    desk.tally["conversations"] += 1
    for _turn in range(rng.choices((1, 2, 3), weights=(70, 25, 5))[0]):
        question, reply = _bot_question(desk, rng)
        result = services.ask(
            user=user,
            question=question,
            conversation=conversation,
            channel=channel,
            engine=desk.engine,
        )
        _backdate_turn(result, when, first=conversation is None)
        conversation = result.conversation
        if result.handed_off:
            _handed_off(desk, result, when, rng, reply)
            return
        if rng.random() < 0.3:
            services.message_feedback(message=result.message, helpful=rng.random() < 0.88)
        when += dt.timedelta(seconds=rng.randint(40, 240))


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"0871-6{rng.randint(0, 9999999):07d}"
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


def _hotline(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """An agent logs a call: answered on the phone, or filed for follow-up."""
    paths = sorted(desk.agents)
    path = rng.choices(paths, weights=[HOTLINE_DESKS.get(scope.path_depth(p), 1) for p in paths])[0]
    agent = rng.choice(desk.agents[path]) if paths else desk.root_user
    inside = [b for b in desk.branches if b.path.startswith(path)] if paths else desk.branches
    asker_org = rng.choice(inside) if inside and rng.random() < 0.75 else None
    category, summary, reply = rng.choice(HOTLINE)
    on_phone = rng.random() < HOTLINE_ON_THE_PHONE
    order = services_orders.hotline_log(
        acting_user=agent,
        caller_name=desk.fake.name(),
        phone=_phone(rng),
        category=category,
        summary=summary,
        priority=_priority(rng),
        asker_org=asker_org,
        reply=reply if on_phone else "",
    )
    _backdate_order(order, when, restarted=True)
    if not on_phone:
        _lifecycle(desk, order, rng, reply=reply)


def _message(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """有话向党说 / 有事找党帮 from a member, on the website or in the app."""
    kind, category, title, detail, reply = rng.choice(MESSAGE_TOPICS)
    user = rng.choice(desk.members)
    order = services_orders.order_create(
        acting_user=user,
        source=rng.choice((OrderSource.WEB, OrderSource.APP)),
        kind=kind,
        category=category,
        summary=title,
        detail=detail,
        asker=user,
    )
    _backdate_order(order, when, restarted=True)
    _lifecycle(desk, order, rng, reply=reply)


def _public(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """A resident's question from the public site: name and phone, no account."""
    question, detail, reply = rng.choice(PUBLIC_TOPICS)
    order = services_orders.order_create(
        acting_user=None,
        source=OrderSource.PUBLIC,
        caller_name=desk.fake.name(),
        phone=_phone(rng),
        summary=question,
        detail=detail,
    )
    _backdate_order(order, when, restarted=True)
    _lifecycle(desk, order, rng, reply=reply)


def _chat(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """The bot is unsure, an agent is online: a live chat, sometimes filed as an order."""
    user = rng.choice(desk.members)
    agent = desk.agent(services_orders.path_of(services.asker_branch(user)))
    question, _category, reply = rng.choice(HARD_QUESTIONS)
    services_orders.presence_set(user=agent, online=True)
    result = services.ask(user=user, question=question, channel=Channel.APP, engine=desk.engine)
    _backdate_turn(result, when, first=True)
    services_orders.presence_set(user=agent, online=False)
    if result.chat_id is None:
        _handed_off(desk, result, when, rng, reply)
        return
    desk.tally["chats"] += 1
    chat = ChatSession.objects.get(pk=result.chat_id)
    lines = [(agent, CHAT_LINES[0]), (user, CHAT_LINES[1]), (agent, reply)]
    for n, (speaker, text) in enumerate(lines, 1):
        message = services_orders.chat_post(acting_user=speaker, chat=chat, text=text)
        Message.objects.filter(pk=message.pk).update(created_at=when + dt.timedelta(minutes=n))
    closed = when + dt.timedelta(minutes=len(lines) + 1)
    services_orders.chat_close(
        acting_user=agent, chat=chat, to_order=desk.tally["chats"] == 1 or rng.random() < 0.35
    )
    Message.objects.filter(conversation=chat.conversation, created_at__gt=closed).update(
        created_at=closed
    )
    Conversation.objects.filter(pk=chat.conversation_id).update(updated_at=closed)
    ChatSession.objects.filter(pk=chat.pk).update(
        created_at=when, updated_at=closed, closed_at=closed
    )
    if chat.work_order_id:  # what the agent promised to check comes back as a work order
        order = chat.work_order
        _backdate_order(order, closed, restarted=True)
        _lifecycle(desk, order, rng, reply=reply)


def _priority(rng: random.Random) -> str:
    return rng.choices(Priority.values, weights=[PRIORITY_WEIGHTS[p] for p in Priority.values])[0]


# --- An order's life


def _after(start: dt.datetime, work_hours: float) -> dt.datetime:
    return calendar.add_work_hours(start, max(work_hours, 0.02))


def _response_hours(rng: random.Random, sla: rules.Sla) -> tuple[float, float]:
    """Working hours from filing to (claim, reply): mostly in time, about one in ten late."""
    roll = rng.random()
    if roll < 0.08:
        claim = rng.uniform(sla.first_response_hours + 0.3, sla.first_response_hours + 9)
    else:
        claim = rng.uniform(0.05, sla.first_response_hours * (0.5 if roll < 0.8 else 0.95))
    if rng.random() < 0.1:
        reply = rng.uniform(sla.resolution_hours + 0.5, sla.resolution_hours + 14)
    else:
        reply = rng.uniform(claim + 0.2, max(claim + 0.4, sla.resolution_hours * 0.9))
    return claim, max(reply, claim + 0.2)


def _lifecycle(desk: Desk, order: WorkOrder, rng: random.Random, *, reply: str) -> None:
    """Claim, maybe coordinate, answer, rate; reopened on a poor rating, up to twice.
    Stops at the first step that would fall after the demo's "now"."""
    start = order.created_at
    for round_ in range(3):
        answered = _handle(desk, order, rng, start=start, reply=reply, again=round_ > 0)
        if answered is None:
            return
        rated = _rate(desk, order, rng, answered, again=round_ > 0)
        if rated is None:
            _publish(desk, order, rng, answered)
            return
        if order.status == OrderStatus.CLOSED:
            _publish(desk, order, rng, rated)
            if order.rating == 3 and rng.random() < 0.35:
                start = rated + dt.timedelta(hours=rng.uniform(2, 30))
                if start >= DEMO_NOW:
                    return
                services_orders.order_reopen(
                    acting_user=order.asker, order=order, reason=REOPEN_REASON
                )
                _backdate_order(order, start, restarted=True)
                continue
            return
        start = rated  # reopened by the rating


def _handle(desk, order, rng, *, start, reply: str, again: bool) -> dt.datetime | None:
    """Claim (after an escalation if late) and answer; the moment answered, or None."""
    sla = rules.sla_for(order.priority, order.category)
    claim_hours, reply_hours = _response_hours(rng, sla)
    claimed, answered = _after(start, claim_hours), _after(start, reply_hours)
    if claimed > order.first_response_due and order.org.depth > 1:
        noticed = _after(order.first_response_due, rng.uniform(0.1, 0.8))
        if noticed < min(claimed, DEMO_NOW):
            services_orders.order_escalate(order=order, now=noticed)
            _backdate_order(order, noticed)
    if claimed >= DEMO_NOW:
        return None
    agent = _claim(desk, order, claimed)
    if not again and order.category in COORDINATED and rng.random() < 0.25:
        merged = _coordinate(desk, order, rng, agent, claimed)
        if merged is None:
            return None
        answered = max(answered, merged + dt.timedelta(minutes=30))
        reply = f"{reply}\n（已征求{order.coordinations.count()}个处室意见）"
    if answered >= DEMO_NOW:
        return None
    text = f"您好！经再次核实：{reply.removeprefix('您好！')}" if again else reply
    services_orders.order_reply(acting_user=agent, order=order, text=text)
    _backdate_order(order, answered)
    return answered


def _coordinate(desk, order, rng, agent, claimed: dt.datetime) -> dt.datetime | None:
    """协商联动: two offices asked; the moment the last answered, or None if one has not."""
    asked = _after(claimed, rng.uniform(0.2, 2))
    if asked >= DEMO_NOW:
        return None
    orgs = [order.org, *([_parent(order.org)] if order.org.depth > 1 else [])]
    offices = [(org, rng.choice(OFFICES[org.depth])) for org in orgs]
    services_orders.order_coordinate(
        acting_user=agent,
        order=order,
        offices=offices,
        question=f"请就“{order.summary}”提出办理意见。",
    )
    _backdate_order(order, asked, offices=True)
    last = asked
    for item in order.coordinations.order_by("id"):
        replied = _after(asked, rng.uniform(1, 14))
        if replied >= DEMO_NOW:
            return None
        services_orders.coordination_answer(
            acting_user=desk.handler(item.org.path),
            coordination=item,
            answer=rng.choice(OFFICE_ANSWERS),
        )
        _backdate_order(order, replied, offices=True)
        last = max(last, replied)
    return last


def _parent(org: Organisation) -> Organisation:
    return tree.parent(org)


def _claim(desk: Desk, order: WorkOrder, when: dt.datetime):
    """受理 by an agent of the desk the order sits at (or was escalated to); the agent."""
    agent = desk.agent((order.escalated_to or order.org).path)
    services_orders.order_claim(acting_user=agent, order=order)
    _backdate_order(order, when)
    return agent


def _rate(desk, order, rng, answered: dt.datetime, *, again: bool) -> dt.datetime | None:
    """The asker rates (most do, within two days); the moment rated, or None."""
    if order.asker_id is None or rng.random() < 0.22:
        return None
    rated = answered + dt.timedelta(hours=rng.uniform(0.3, 50))
    if rated >= DEMO_NOW:
        return None
    weights = RATING_WEIGHTS if not again else {5: 45, 4: 35, 3: 20}
    rating = rng.choices(list(weights), weights=list(weights.values()))[0]
    services_orders.order_rate(
        acting_user=order.asker,
        order=order,
        rating=rating,
        comment=rng.choice(RATING_COMMENTS[rating]),
    )
    _backdate_order(order, rated, restarted=order.status == OrderStatus.REOPENED)
    if rating == 5 and order.source == OrderSource.HANDOFF:
        _to_case(desk, order, rated)
    return rated


def _publish(desk, order, rng, after: dt.datetime) -> None:
    """Good answers to general questions go to the public 咨询列表 (asker anonymised)."""
    if order.source == OrderSource.HOTLINE or (order.rating or 5) < 4 or rng.random() > 0.4:
        return
    when = after + dt.timedelta(hours=rng.uniform(2, 48))
    if when >= DEMO_NOW:
        return
    services_orders.order_publish(acting_user=desk.agent(order.org.path), order=order, public=True)
    _backdate_order(order, when)


def _to_case(desk, order, when) -> None:
    """把答复转为知识条目: a few well-rated answers become draft cases for the editors."""
    taken = order.summary in desk.drafted or Entry.objects.filter(question=order.summary).exists()
    if len(desk.drafted) >= CASE_DRAFTS or taken:
        return
    desk.drafted.add(order.summary)
    entry = services_orders.order_to_kb(acting_user=desk.agent(order.org.path), order=order)
    Entry.objects.filter(pk=entry.pk).update(created_at=when, updated_at=when)


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` before the demo's "now", at hour:minute."""
    return DEMO_NOW - dt.timedelta(days=days) + dt.timedelta(hours=hour, minutes=minute)


def _backlog(desk: Desk) -> None:
    """What is still on the desk at "now": one order in each open state, so every queue,
    badge and escalation list of the console has something to show."""
    if not desk.members:
        return
    # askers under a county, so an order left lying climbs county → city → province
    in_counties = [u for u in desk.members if u.member.branch.depth > DESK_DEPTH] or desk.members

    def filed(topic: int, when: dt.datetime) -> tuple[WorkOrder, str]:
        kind, category, title, detail, reply = MESSAGE_TOPICS[topic]
        user = desk.rng.choice(in_counties)
        order = services_orders.order_create(
            acting_user=user,
            source=OrderSource.WEB,
            kind=kind,
            category=category,
            summary=title,
            detail=detail,
            asker=user,
        )
        _backdate_order(order, when, restarted=True)
        return order, reply

    filed(4, _at(4, 15))  # nobody took it: the escalation job lifts it up the tree
    order, _reply = filed(8, _at(9, 10))  # taken, never answered: past its deadline
    _claim(desk, order, _at(9, 11))
    order, _reply = filed(6, _at(5, 10))  # two offices asked, one still to answer
    agent = _claim(desk, order, _at(5, 10, 40))
    offices = [(order.org, OFFICES[order.org.depth][0])]
    if order.org.depth > 1:
        offices.append((_parent(order.org), OFFICES[order.org.depth - 1][0]))
    services_orders.order_coordinate(
        acting_user=agent, order=order, offices=offices, question="请核实介绍信退回的原因。"
    )
    _backdate_order(order, _at(5, 11, 30), offices=True)
    first = order.coordinations.order_by("id").first()
    services_orders.coordination_answer(
        acting_user=desk.handler(first.org.path), coordination=first, answer=OFFICE_ANSWERS[2]
    )
    _backdate_order(order, _at(4, 16), offices=True)
    order, reply = filed(7, _at(13, 9, 30))  # answered, rated 1: back in the queue
    agent = _claim(desk, order, _at(13, 10))
    services_orders.order_reply(acting_user=agent, order=order, text=reply)
    _backdate_order(order, _at(12, 15))
    services_orders.order_rate(
        acting_user=order.asker, order=order, rating=1, comment=RATING_COMMENTS[1][1]
    )
    _backdate_order(order, _at(2, 20), restarted=True)


def _close_the_week(desk: Desk) -> None:
    """The jobs as they ran at the demo's "now": breached orders climb, askers reminded."""
    services_orders.escalate_breached(now=DEMO_NOW)
    OrderEvent.objects.filter(at__gt=DEMO_NOW).update(at=DEMO_NOW)
    WorkOrder.objects.filter(updated_at__gt=DEMO_NOW).update(updated_at=DEMO_NOW)
    services_orders.remind_unrated(now=DEMO_NOW)
