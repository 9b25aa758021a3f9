"""Forum fixtures: members who register through the site, trust thresholds set through the admin's service."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import FormClient

CODE_QUESTION = """我在用 FastAPI 做 RAG 服务，向量检索这一步很慢：

```python
def search(query: str) -> list[str]:
    vectors = embed(query)  # 每次都重新加载模型
    return index.query(vectors, top_k=5)
```

How do I keep the model loaded between requests?"""


DEFAULTS = {1: ("3", "0", "1"), 2: ("15", "50", "7"), 3: ("50", "500", "30"), 4: ("200", "2000", "90")}


async def open_levels(services: Any, up_to: int) -> None:
    """Trust levels up to ``up_to`` need nothing (set as an admin would); the higher ones keep their defaults.
    Level 2 lets everyone flag and create tags without being a moderator."""
    from community.forum.services import TrustService

    await TrustService(services).set_thresholds(
        {level: ("0", "0", "0") if level <= up_to else DEFAULTS[level] for level in (1, 2, 3, 4)}
    )
    await services.commit()


Member = Callable[..., Awaitable[FormClient]]


@pytest.fixture
def member(make_client: Any) -> Member:
    async def make(email: str, name: str = "测试用户") -> FormClient:
        person: FormClient = await make_client()
        response = await person.register(email, name)
        assert response.status_code == 200, response.text
        return person

    return make


def topic_path(response: Any) -> str:
    match = re.search(r"/forum/t/(\d+)/[^\"?#]+", str(response.url))
    assert match, response.url
    return match.group(0)


def topic_id(response: Any) -> int:
    return int(topic_path(response).split("/")[3])


async def ask(person: FormClient, title: str = "FastAPI 里如何复用 embedding 模型？", **extra: str) -> Any:
    form = {"title": title, "body": CODE_QUESTION, "kind": "question", "category": "qa", "tags": "", **extra}
    response = await person.submit("/forum/new", form)
    assert response.status_code == 200, response.text[:3000]
    return response


async def admin(make_client: Any, services: Any, email: str = "admin@example.com") -> FormClient:
    from community.accounts.services import AccountService

    await AccountService(services).create_admin(email, "correct horse 42", "管理员")
    await services.commit()
    person: FormClient = await make_client()
    await person.login(email)
    return person
