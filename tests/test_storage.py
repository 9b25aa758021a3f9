"""The contract every upload store keeps (community.storage): PostgreSQL always, an S3-compatible store when
UPLOAD_STORAGE_URL is set in the environment (s3://bucket?endpoint=…&region=…, keys in AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY), as the search backends' contract runs Meilisearch when MEILISEARCH_URL is set."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from community.storage import CHUNK_BYTES, PostgresUploads, S3Location, S3Uploads, UploadStore, upload_chunk

BACKENDS = ["postgres", "s3"]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, services: Any) -> AsyncIterator[UploadStore]:
    if request.param == "postgres":
        yield PostgresUploads(services)
        return
    url = os.environ.get("UPLOAD_STORAGE_URL")
    if not url:
        pytest.skip(
            "S3 contract tests need UPLOAD_STORAGE_URL (and AWS_ACCESS_KEY_ID / _SECRET_); not set here"
        )
    base = S3Location.parse(url)
    # A prefix of this run's own inside the bucket, emptied at the end.
    location = S3Location(
        base.bucket,
        "/".join(p for p in (base.prefix, f"test-{secrets.token_hex(4)}") if p),
        base.endpoint,
        base.region,
    )
    s3 = S3Uploads(location)
    try:
        yield s3
    finally:
        for area in ("cvs", "proofs"):
            await s3.remove(area, await s3.names(area))


def _content(size: int) -> bytes:
    return secrets.token_bytes(size)


async def test_a_file_comes_back_as_it_was_kept_whatever_its_size(store: UploadStore) -> None:
    for size in (1, CHUNK_BYTES - 1, CHUNK_BYTES, 2 * CHUNK_BYTES + 17, 10 * 1024 * 1024):
        content = _content(size)
        name = await store.save("cvs", content, "pdf")
        assert name.endswith(".pdf") and len(name) == 36
        assert await store.read("cvs", name) == content
        assert await store.exists("cvs", name)


async def test_names_are_random_and_areas_apart(store: UploadStore) -> None:
    cv = await store.save("cvs", b"%PDF-1.4 cv", "pdf")
    proof = await store.save("proofs", b"\x89PNG proof", "png")
    assert cv != proof
    assert await store.read("proofs", cv) is None and await store.read("cvs", proof) is None
    assert cv in await store.names("cvs") and proof not in await store.names("cvs")
    assert proof in await store.names("proofs")


async def test_a_removed_file_is_gone_and_others_stay(store: UploadStore) -> None:
    kept = await store.save("cvs", b"kept", "pdf")
    gone = [await store.save("cvs", f"gone {n}".encode(), "pdf") for n in range(3)]
    await store.remove("cvs", gone)
    await store.remove("cvs", [])  # nothing to do
    await store.remove("cvs", gone)  # twice: nothing more to do
    for name in gone:
        assert await store.read("cvs", name) is None and not await store.exists("cvs", name)
    assert await store.read("cvs", kept) == b"kept"


async def test_put_keeps_a_named_file_and_replaces_it(store: UploadStore) -> None:
    name = "0123456789abcdef0123456789abcdef.pdf"
    await store.put("cvs", name, _content(CHUNK_BYTES * 3))
    await store.put("cvs", name, b"shorter")  # no chunk of the longer one is left behind
    assert await store.read("cvs", name) == b"shorter"


async def test_names_that_are_not_ours_are_never_looked_up(store: UploadStore) -> None:
    await store.save("cvs", b"x", "pdf")
    for name in (
        "",
        "../secret_key",
        "cvs/../../etc/passwd",
        "ABC.pdf",
        "0123456789abcdef0123456789abcdef.p/df",
    ):
        assert await store.read("cvs", name) is None


async def test_postgres_keeps_a_file_in_the_transaction_that_wrote_it(services: Any) -> None:
    """A request that fails after saving a CV (rolled back) leaves no file behind."""
    store = PostgresUploads(services)
    name = await store.save("cvs", _content(CHUNK_BYTES + 1), "pdf")
    assert await store.exists("cvs", name)
    await services.rollback()
    assert not await store.exists("cvs", name)
    assert await services.scalar(select(func.count()).select_from(upload_chunk)) == 0
