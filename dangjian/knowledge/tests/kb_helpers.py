"""Shared helpers of the knowledge-base tests: entries made through the services."""

from dangjian.knowledge.services import kb as services

SAMPLE = [
    {
        "question": "如何转接党组织关系？",
        "answer": "向所在党支部提出申请，经党委审核后开具**介绍信**。",
        "alternatives": ["组织关系怎么转"],
        "category": "组织关系转接",
        "source": "《中国共产党党员组织关系转接工作细则》",
    },
    {
        "question": "党费按什么比例交纳？",
        "answer": "月工资收入（税后）3000元以下（含）交纳1%以下的0.5%。",
        "alternatives": ["交纳党费的标准是什么"],
        "category": "党费",
        "source": "中组发〔2008〕3号",
    },
    {
        "question": "预备党员的预备期是多长时间？",
        "answer": "预备期为一年，从支部大会通过之日起计算。",
        "category": "入党申请与发展党员",
        "source": "《中国共产党章程》第七条",
    },
]


def make_entry(org, *, publish=True, user=None, **fields):
    data = {**SAMPLE[0], **fields}
    return services.entry_create(acting_user=user, org=org, publish=publish, **data)


def make_base(org, *, publish=True):
    return [
        services.entry_create(acting_user=None, org=org, publish=publish, **row) for row in SAMPLE
    ]


class ScriptedEngine:
    """An engine that answers every question with the same hits: the bot's own logic
    (threshold, middle band, filtering, hand-off) tested apart from the retrieval model's
    numbers."""

    threshold = 0.5
    lower = 0.2  # from here up to the threshold: 您是不是想问 (the middle band)

    def __init__(self, hits=(), confidence=0.0):
        from dangjian.knowledge.retrieval import Answer, Hit

        self.hits = [Hit(id=e.pk, question=e.question, score=0.0, confidence=c) for e, c in hits]
        best = self.hits[0] if self.hits else None
        self.answer = Answer(
            best=best,
            confidence=confidence,
            confident=confidence >= self.threshold,
            candidates=self.hits,
        )

    def ask(self, query, k=5):
        return self.answer
