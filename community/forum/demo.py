# ruff: noqa: E501 - tables of demo text
"""Demo content for the technical exchange zone: the AI tool directory, a few hundred believable topics in
Chinese and English over the last half year, with answers, accepted answers, tags and votes.

Safe to run again: when the demo's forum members already have topics, nothing is added twice.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from community.accounts.models import User
from community.forum.documents import reply_document, topic_document
from community.forum.models import (
    Member,
    Post,
    PostRevision,
    Tag,
    Tool,
    ToolKind,
    Topic,
    TopicKind,
    TopicTag,
    TopicTool,
    Visibility,
    Vote,
)
from community.forum.services.catalog import CatalogService
from community.forum.services.common import slugify
from community.forum.services.trust import REP_ACCEPTED, REP_UPVOTE, TrustService
from community.kernel.clock import now
from community.markup import render_markdown
from community.search.services import enqueue_upsert

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# (slug, name, kind, homepage, licence, description, tags)
TOOLS = [
    ("langchain", "LangChain", ToolKind.FRAMEWORK, "https://www.langchain.com", "MIT", "构建大模型应用的编排框架：链、检索、工具调用。", "rag, agent"),
    ("langgraph", "LangGraph", ToolKind.AGENT, "https://langchain-ai.github.io/langgraph/", "MIT", "以图的方式编排有状态的多智能体流程。", "agent"),
    ("llamaindex", "LlamaIndex", ToolKind.FRAMEWORK, "https://www.llamaindex.ai", "MIT", "面向检索增强生成（RAG）的数据框架。", "rag"),
    ("vllm", "vLLM", ToolKind.FRAMEWORK, "https://github.com/vllm-project/vllm", "Apache-2.0", "高吞吐的大模型推理与服务引擎（PagedAttention）。", "inference"),
    ("ollama", "Ollama", ToolKind.FRAMEWORK, "https://ollama.com", "MIT", "在本机一条命令运行开源大模型。", "local, inference"),
    ("qwen2.5", "Qwen2.5", ToolKind.MODEL, "https://github.com/QwenLM/Qwen2.5", "Apache-2.0 / Qwen", "通义千问开源模型系列，中文能力强，0.5B 到 72B。", "llm, 中文"),
    ("deepseek-v3", "DeepSeek-V3", ToolKind.MODEL, "https://github.com/deepseek-ai/DeepSeek-V3", "MIT / Model License", "MoE 架构的开源大模型，推理成本低。", "llm, moe"),
    ("glm-4", "GLM-4", ToolKind.MODEL, "https://github.com/THUDM/GLM-4", "GLM-4 License", "智谱开源的对话模型，支持长上下文与工具调用。", "llm, 中文"),
    ("bge-m3", "BGE-M3", ToolKind.MODEL, "https://huggingface.co/BAAI/bge-m3", "MIT", "多语言、多粒度的向量模型，适合中英混合检索。", "embedding"),
    ("dify", "Dify", ToolKind.AGENT, "https://dify.ai", "Dify Open Source License", "可视化搭建大模型应用与智能体的平台。", "agent, low-code"),
    ("autogen", "AutoGen", ToolKind.AGENT, "https://github.com/microsoft/autogen", "MIT / CC-BY-4.0", "多智能体对话框架。", "agent"),
    ("crewai", "CrewAI", ToolKind.AGENT, "https://www.crewai.com", "MIT", "按角色分工编排智能体团队。", "agent"),
    ("ragflow", "RAGFlow", ToolKind.FRAMEWORK, "https://github.com/infiniflow/ragflow", "Apache-2.0", "基于深度文档理解的 RAG 引擎。", "rag"),
    ("milvus", "Milvus", ToolKind.FRAMEWORK, "https://milvus.io", "Apache-2.0", "开源向量数据库。", "vector"),
    ("pgvector", "pgvector", ToolKind.FRAMEWORK, "https://github.com/pgvector/pgvector", "PostgreSQL", "PostgreSQL 的向量检索扩展。", "vector, postgresql"),
    ("mcp", "Model Context Protocol", ToolKind.AGENT, "https://modelcontextprotocol.io", "MIT", "让模型以统一协议调用外部工具与数据源。", "agent, protocol"),
]  # fmt: skip

FORUM_MEMBERS = [
    ("forum.zhang@example.com", "张一帆"), ("forum.li@example.com", "李思琪"), ("forum.wang@example.com", "王浩然"),
    ("forum.chen@example.com", "陈晓雨"), ("forum.liu@example.com", "刘子墨"), ("forum.yang@example.com", "杨可欣"),
    ("forum.zhao@example.com", "赵天宇"), ("forum.huang@example.com", "黄嘉怡"), ("forum.zhou@example.com", "周博文"),
    ("forum.wu@example.com", "吴雨桐"), ("forum.kevin@example.com", "Kevin Zhang"), ("forum.amy@example.com", "Amy Liu"),
    ("forum.tom@example.com", "Tom Chen"), ("forum.xu@example.com", "徐明轩（Max）"), ("forum.sun@example.com", "孙悦"),
    ("forum.ma@example.com", "马骏"), ("forum.zhu@example.com", "朱琳"), ("forum.hu@example.com", "胡晨"),
    ("forum.guo@example.com", "郭子涵"), ("forum.lin@example.com", "林一"),
]  # fmt: skip

QUESTIONS = [
    ("{t} 部署到单张 4090 上显存不够，怎么排查？", "用 {t} 跑 14B 模型，启动就 OOM。已经试过把 max_model_len 调小，还是不行。\n\n```bash\nCUDA out of memory. Tried to allocate 2.00 GiB\n```\n\n有没有人在 24G 显存上跑通过？", "qa", ["部署", "显存"]),
    ("How do I stream tokens from {t} through a Litestar endpoint?", "I want server-sent events so the browser shows the answer as it is generated.\n\n```python\n@get(\"/chat\")\nasync def chat(q: str) -> Stream:\n    ...  # how do I wire {t} here?\n```", "qa", ["python", "streaming"]),
    ("{t} 做中文 RAG 时切分效果差，有什么好的策略？", "政策文件按 512 字切分后，检索经常命中半句话。大家用 {t} 时怎么做中文切分？按段落、按标题，还是语义切分？", "qa", ["rag", "中文"]),
    ("Is {t} good enough for a one-person company's customer-service bot?", "I run a one-person studio in 光谷 and want a support bot for three small clients. Has anyone used {t} in production? What broke first?", "qa", ["opc", "客服"]),
    ("{t} 的许可证可以商用吗？", "准备把 {t} 集成进给企业交付的系统里，许可证这块有没有坑？需要在交付文档里写什么？", "qa", ["许可证", "合规"]),
    ("{t} 调用工具时参数经常填错，怎么提高稳定性？", "用 {t} 做工单分派，函数调用的 JSON 参数十次有两次格式不对。有没有办法约束输出？", "qa", ["function-calling", "agent"]),
    ("Why is {t} so slow on the first request after a deploy?", "The first call takes ~40 s, the rest ~300 ms. Is it model loading, CUDA graph capture, or something in my container?", "qa", ["performance", "部署"]),
]  # fmt: skip
ARTICLES = [
    ("{t} 实战：为区政务热线搭建知识库问答", "记录一次用 {t} 为政务热线搭建知识库问答的全过程：数据清洗、切分、检索、评测与上线。\n\n## 数据\n\n三千条历史工单、两百份政策文件……\n\n## 效果\n\n人工抽检准确率从 62% 提升到 88%。", "analysis", ["rag", "政务服务"]),
    ("Benchmarking {t} on a single 4090: latency and cost notes", "Numbers from a week of testing {t} for a small studio: p50/p95 latency, tokens per second and cost per thousand requests.\n\n| batch | tokens/s | p95 ms |\n|---|---|---|\n| 1 | 42 | 310 |\n| 8 | 260 | 820 |", "analysis", ["benchmark", "inference"]),
    ("一人公司如何用 {t} 做工业质检的小样本微调", "只有两百张缺陷图片时，怎么用 {t} 做出可交付的质检模型？分享数据增强、评测和边缘部署的经验。", "analysis", ["工业软件", "微调"]),
]  # fmt: skip
CODES = [
    ("{t} 最小可用示例：带重试的调用封装", "一个带超时、重试和日志的封装，拿去即用。\n\n```python\nimport asyncio\n\nasync def call_with_retry(fn, *args, retries: int = 3, timeout: float = 30):\n    for attempt in range(retries):\n        try:\n            return await asyncio.wait_for(fn(*args), timeout)\n        except (TimeoutError, ConnectionError):\n            await asyncio.sleep(2 ** attempt)\n    raise RuntimeError(\"{t} did not answer\")\n```", "code", ["python", "snippet"], "Python"),
    ("A tiny {t} evaluation harness in 40 lines", "Score retrieval with recall@k on your own questions.\n\n```python\ndef recall_at_k(hits: list[list[str]], gold: list[str], k: int = 5) -> float:\n    found = sum(1 for h, g in zip(hits, gold) if g in h[:k])\n    return found / max(1, len(gold))\n```", "code", ["python", "evaluation"], "Python"),
]  # fmt: skip
DISCUSSIONS = [
    ("一人公司选 {t} 还是 {u}？说说你们的理由", "最近在给客户做方案，{t} 和 {u} 都能满足需求。大家从维护成本、社区活跃度、许可证角度怎么选？", "analysis", ["选型"]),
    ("Open-source project: a {t} starter for Wuhan OPCs, looking for contributors", "We published a starter kit that wires {t} with Chinese segmentation and a small admin UI. Issues labelled good-first-issue are waiting!", "open-source", ["开源", "starter"]),
    ("站务：希望增加 {t} 专题板块", "最近 {t} 相关的帖子很多，建议在工具与模型目录里加一个专题页，把常见问题汇总起来。", "meta", ["站务"]),
]  # fmt: skip
ANSWERS = [
    "我们遇到过同样的问题：先确认 {t} 的版本，老版本有已知的内存泄漏，升级后就好了。",
    "Try lowering the batch size first and pin the model in memory at start-up (the lifespan hook), so the first request does not pay for loading {t}.",
    "中文切分建议先按标题和段落切，再对过长的段落按句号二次切分，重叠 50 字左右，召回会明显提升。",
    "Read the licence file of {t} carefully: the code and the weights often have different terms. Keep a copy with your delivery.",
    "可以用 JSON Schema 约束输出，再加一层校验，失败就带着错误信息让模型重写一次，稳定性能到 99%。",
    "I measured the same thing: most of the cold start is CUDA graph capture. Warm the server with one dummy request before the load balancer adds it.",
    "补充一点：在武汉这边用国产卡的话，记得用厂商提供的 {t} 分支，官方版本算子支持不全。",
    "Thanks for writing this up — the table alone saved me a day of testing.",
]


async def load_forum_demo(db: AsyncSession, password_hash: str, topics_wanted: int = 320) -> list[str]:
    first = await db.scalar(select(User.id).where(User.email == FORUM_MEMBERS[0][0]))
    if first is not None and await db.scalar(
        select(func.count()).select_from(Topic).where(Topic.author_id == first)
    ):
        return ["Forum: demo topics already there."]
    rng = random.Random(2026)
    categories = {c.slug: c for c in await CatalogService(db).categories()}
    # The directory.
    tools: dict[str, Tool] = {}
    for slug, name, tool_kind, homepage, licence, description, tags in TOOLS:
        tool = await db.scalar(select(Tool).where(Tool.slug == slug))
        if tool is None:
            tool = Tool(slug=slug, name=name, kind=tool_kind, homepage=homepage, license=licence,
                        description=description, tags=tags, approved=True)  # fmt: skip
            db.add(tool)
        tools[slug] = tool
    # The people.
    people: list[User] = []
    for email, name in FORUM_MEMBERS:
        user = await db.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=name, password_hash=password_hash)
            db.add(user)
        people.append(user)
    await db.flush()
    # Every date is relative to the moment the demo is loaded, and in the past: topics over the last half
    # year, each answer after the one before and before now.
    loaded = now()
    start = loaded - timedelta(days=180)
    for user in people:
        user.created_at = start - timedelta(days=rng.randint(1, 200))
    tag_cache: dict[str, Tag] = {t.name: t for t in (await db.scalars(select(Tag))).all()}
    reputation: dict[object, int] = {}
    posts_by: dict[object, int] = {}
    made = 0
    templates: list[tuple[str, tuple[Any, ...]]] = [("question", q) for q in QUESTIONS] * 3 + [
        ("article", a) for a in ARTICLES
    ] * 2
    templates += [("code", c) for c in CODES] * 2 + [("discussion", d) for d in DISCUSSIONS]
    tool_slugs = list(tools)
    for index in range(topics_wanted):
        kind, template = rng.choice(templates)
        slug = tool_slugs[index % len(tool_slugs)]
        other = rng.choice([s for s in tool_slugs if s != slug])
        tool_name, other_name = tools[slug].name, tools[other].name
        title = template[0].format(t=tool_name, u=other_name)
        body = template[1].format(t=tool_name, u=other_name)
        author = rng.choice(people)
        created = start + timedelta(minutes=rng.randint(0, 179 * 24 * 60))
        rendered = render_markdown(body)
        topic = Topic(
            category_id=categories[template[2]].id, author_id=author.id, kind=TopicKind(kind), title=title,
            slug=slugify(title), excerpt=rendered.text[:280], visibility=Visibility.VISIBLE, last_posted_at=created,
            code_language=template[4] if kind == "code" else None,
        )  # fmt: skip
        topic.created_at = topic.updated_at = created
        db.add(topic)
        await db.flush()
        opening = Post(
            topic_id=topic.id, number=1, author_id=author.id, body_md=body, body_html=rendered.html
        )
        opening.created_at = opening.updated_at = created
        db.add(opening)
        posts_by[author.id] = posts_by.get(author.id, 0) + 1
        names = [*template[3], rng.choice(tools[slug].tags.split(", "))]
        for name in dict.fromkeys(n.lower() for n in names):
            tag = tag_cache.get(name)
            if tag is None:
                tag = Tag(name=name)
                db.add(tag)
                await db.flush()
                tag_cache[name] = tag
            tag.topic_count += 1
            db.add(TopicTag(topic_id=topic.id, tag_id=tag.id))
        db.add(
            TopicTool(
                topic_id=topic.id, tool_id=tools[slug].id, version=rng.choice(["", "0.3", "latest", "2025.1"])
            )
        )
        answers = [] if rng.random() < 0.18 else rng.sample(ANSWERS, rng.randint(1, 4))
        last = created
        replies: list[Post] = []
        for number, text in enumerate(answers, start=2):
            answerer = rng.choice([p for p in people if p.id != author.id])
            # A day or two later, or, for a recent topic, sooner: half the time left before now at most.
            last = last + min(timedelta(minutes=rng.randint(5, 3000)), (loaded - last) / 2)
            text = text.format(t=tool_name)
            reply = Post(topic_id=topic.id, number=number, author_id=answerer.id, body_md=text,
                         body_html=render_markdown(text).html)  # fmt: skip
            reply.created_at = reply.updated_at = last
            db.add(reply)
            replies.append(reply)
            posts_by[answerer.id] = posts_by.get(answerer.id, 0) + 1
        await db.flush()
        for post in [opening, *replies]:
            db.add(PostRevision(post_id=post.id, number=1, editor_id=post.author_id, body_md=post.body_md,
                                title=title if post.number == 1 else None))  # fmt: skip
            voters = rng.sample([p for p in people if p.id != post.author_id], rng.randint(0, 6))
            for voter in voters:
                value = 1 if rng.random() < 0.9 else -1
                db.add(Vote(post_id=post.id, user_id=voter.id, value=value))
                post.score += value
                reputation[post.author_id] = reputation.get(post.author_id, 0) + (
                    REP_UPVOTE if value > 0 else -2
                )
        topic.score = opening.score
        topic.reply_count = len(replies)
        topic.last_posted_at = last
        if kind == "question" and replies and rng.random() < 0.6:
            best = max(replies, key=lambda p: p.score)
            topic.accepted_post_id = best.id
            reputation[best.author_id] = reputation.get(best.author_id, 0) + REP_ACCEPTED
        tag_names = list(dict.fromkeys(x.lower() for x in names))
        enqueue_upsert(db, topic_document(topic, body, tag_names, categories[template[2]].name_zh))
        for reply in replies:
            enqueue_upsert(db, reply_document(topic, reply, categories[template[2]].name_zh))
        made += 1
    await db.flush()
    trust = TrustService(db)
    for user in people:
        member = await trust.member(user.id)
        await db.execute(
            update(Member)
            .where(Member.id == member.id)
            .values(reputation=reputation.get(user.id, 0), post_count=posts_by.get(user.id, 0))
        )
    await trust.recompute_all()
    return [f"Forum: {made} topics with answers and votes, {len(TOOLS)} tool directory entries."]
