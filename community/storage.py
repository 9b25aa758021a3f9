"""Private uploaded files (CVs, proofs): kept in shared storage that every web process on every machine
reads, never among the static files, each under a random name that says nothing of the person or the file.

Where they are kept (``UploadStore``, made by ``upload_store`` from the settings):

- PostgreSQL (the default, so it stays the only required service): the table ``upload_chunk``, each file in
  chunks of ``CHUNK_BYTES``. Written and deleted in the caller's transaction: an application rolled back
  takes its CV with it, and the retention job deletes the CV in the transaction that records it.
- An S3-compatible store (``UPLOAD_STORAGE_URL=s3://bucket/prefix?endpoint=https://…&region=…``, keys from
  the usual ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``): objects ``<prefix>/<area>/<name>``. Its calls
  block, so they run in a worker thread.

Files are kept by area (``cvs``, ``proofs``). Before shared storage they were files under ``var/cvs`` and
``var/proofs`` of each machine; ``community uploads migrate`` copies them (and, when the store is S3, the
files kept in PostgreSQL) into the configured store.

Nothing here decides who may read a file: the zone that owns it checks that, then serves the bytes this
module gives back (as an attachment, with nosniff).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from litestar import Response
from sqlalchemy import (
    TIMESTAMP,
    CheckConstraint,
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)

from community.db import metadata

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from community.config import Settings

__all__ = (
    "AREAS",
    "PostgresUploads",
    "S3Location",
    "S3Uploads",
    "UploadStore",
    "is_stored_name",
    "migrate_uploads",
    "private_download",
    "upload_chunk",
    "upload_store",
)

AREAS = ("cvs", "proofs")
# What ``new_name`` makes: 32 hex characters and a short extension. Anything else is not ours.
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,5}$")
# One row of ``upload_chunk`` holds this much of a file: a CV of 10 MB is 20 rows, none of them a value
# PostgreSQL has to hold whole in memory to write or read.
CHUNK_BYTES = 512 * 1024

upload_chunk = Table(
    "upload_chunk",
    metadata,
    Column("area", String(20), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), server_default=func.now(), nullable=False),
    CheckConstraint("seq >= 0", name="seq_not_negative"),
)


def new_name(extension: str) -> str:
    """A fresh stored name: 32 random hex characters and the extension."""
    name = f"{secrets.token_hex(16)}.{extension}"
    if not _STORED_NAME.match(name):
        raise ValueError(f"not an extension we store: {extension!r}")
    return name


def is_stored_name(name: str | None) -> bool:
    """Whether ``name`` is one ``new_name`` gives (anything else is not ours and is never looked up)."""
    return bool(_STORED_NAME.match(name or ""))


class UploadStore(Protocol):
    """Private files by area and name, as every process of the site sees them."""

    async def save(self, area: str, content: bytes, extension: str) -> str:
        """Keep ``content`` under a new name in ``area``; the name."""
        ...

    async def put(self, area: str, name: str, content: bytes) -> None:
        """Keep ``content`` under ``name`` (replacing what was there): for copying files in."""
        ...

    async def read(self, area: str, name: str) -> bytes | None:
        """The file, or None when there is none (or the name is not one we give)."""
        ...

    async def exists(self, area: str, name: str) -> bool: ...

    async def names(self, area: str) -> list[str]:
        """Every file kept in ``area``."""
        ...

    async def remove(self, area: str, names: Sequence[str]) -> None:
        """Delete these files (those that exist)."""
        ...


class PostgresUploads:
    """Files in ``upload_chunk``, through the caller's session: in its transaction."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def save(self, area: str, content: bytes, extension: str) -> str:
        name = new_name(extension)
        await self.put(area, name, content)
        return name

    async def put(self, area: str, name: str, content: bytes) -> None:
        await self.remove(area, [name])
        chunks = [
            {"area": area, "name": name, "seq": seq, "data": content[start : start + CHUNK_BYTES]}
            for seq, start in enumerate(range(0, max(len(content), 1), CHUNK_BYTES))
        ]
        await self.db.execute(insert(upload_chunk), chunks)

    async def read(self, area: str, name: str) -> bytes | None:
        if not is_stored_name(name):
            return None
        rows = (
            await self.db.execute(
                select(upload_chunk.c.data)
                .where(upload_chunk.c.area == area, upload_chunk.c.name == name)
                .order_by(upload_chunk.c.seq)
            )
        ).scalars()
        parts = list(rows)
        return b"".join(parts) if parts else None

    async def exists(self, area: str, name: str) -> bool:
        found = await self.db.scalar(
            select(upload_chunk.c.seq)
            .where(upload_chunk.c.area == area, upload_chunk.c.name == name)
            .limit(1)
        )
        return found is not None

    async def names(self, area: str) -> list[str]:
        rows = await self.db.scalars(
            select(upload_chunk.c.name).where(upload_chunk.c.area == area, upload_chunk.c.seq == 0)
        )
        return list(rows)

    async def remove(self, area: str, names: Sequence[str]) -> None:
        if names:
            await self.db.execute(
                delete(upload_chunk).where(upload_chunk.c.area == area, upload_chunk.c.name.in_(list(names)))
            )


@dataclass(frozen=True)
class S3Location:
    """Where ``UPLOAD_STORAGE_URL=s3://bucket/prefix?endpoint=…&region=…`` points."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.hostname:
            raise ValueError("UPLOAD_STORAGE_URL must look like s3://bucket/prefix?endpoint=https://…")
        query = parse_qs(parts.query)
        return cls(
            bucket=parts.hostname,
            prefix=parts.path.strip("/"),
            endpoint=query.get("endpoint", [""])[0] or None,
            region=query.get("region", [""])[0] or None,
        )

    def key(self, area: str, name: str) -> str:
        return "/".join(part for part in (self.prefix, area, name) if part)


# One client per store and process (boto3 clients are safe to share between threads); a cache of clients, not
# of anything the site's correctness depends on.
_S3_CLIENTS: dict[S3Location, Any] = {}


class S3Uploads:
    """Files as objects of an S3-compatible store. boto3 blocks, so every call runs in a worker thread."""

    def __init__(self, location: S3Location) -> None:
        self.location = location

    @property
    def client(self) -> Any:
        client = _S3_CLIENTS.get(self.location)
        if client is None:
            import boto3
            from botocore.config import Config

            client = _S3_CLIENTS[self.location] = boto3.client(
                "s3",
                endpoint_url=self.location.endpoint,
                region_name=self.location.region,
                # Path-style addressing: what MinIO, Ceph and most S3-compatible stores take.
                config=Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
        return client

    async def save(self, area: str, content: bytes, extension: str) -> str:
        name = new_name(extension)
        await self.put(area, name, content)
        return name

    async def put(self, area: str, name: str, content: bytes) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.location.bucket,
            Key=self.location.key(area, name),
            Body=content,
            ContentType="application/octet-stream",
        )

    async def read(self, area: str, name: str) -> bytes | None:
        if not is_stored_name(name):
            return None

        def get() -> bytes | None:
            from botocore.exceptions import ClientError

            try:
                answer = self.client.get_object(
                    Bucket=self.location.bucket, Key=self.location.key(area, name)
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                    return None
                raise
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(get)

    async def exists(self, area: str, name: str) -> bool:
        def head() -> bool:
            from botocore.exceptions import ClientError

            try:
                self.client.head_object(Bucket=self.location.bucket, Key=self.location.key(area, name))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                    return False
                raise
            return True

        return await asyncio.to_thread(head)

    async def names(self, area: str) -> list[str]:
        def listing() -> list[str]:
            prefix = self.location.key(area, "")
            prefix = prefix if prefix.endswith("/") else prefix + "/"
            found: list[str] = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix
            )
            for page in pages:
                found.extend(item["Key"][len(prefix) :] for item in page.get("Contents", []))
            return [name for name in found if is_stored_name(name)]

        return await asyncio.to_thread(listing)

    async def remove(self, area: str, names: Sequence[str]) -> None:
        def delete_all() -> None:
            for start in range(0, len(names), 1000):  # at most 1,000 keys per request
                batch = names[start : start + 1000]
                self.client.delete_objects(
                    Bucket=self.location.bucket,
                    Delete={"Objects": [{"Key": self.location.key(area, n)} for n in batch], "Quiet": True},
                )

        if names:
            await asyncio.to_thread(delete_all)


def upload_store(settings: Settings, db: AsyncSession) -> UploadStore:
    """The site's store: S3 when ``UPLOAD_STORAGE_URL`` names one, PostgreSQL (through ``db``) otherwise."""
    if settings.upload_storage_url:
        return S3Uploads(S3Location.parse(settings.upload_storage_url))
    return PostgresUploads(db)


# --- moving files in ----------------------------------------------------------------------------------------


@dataclass
class MigrationReport:
    """What ``migrate_uploads`` did, per area."""

    copied: dict[str, int]
    already: dict[str, int]
    skipped: list[str]  # files in the old folders that are not ours (names we never give)


async def migrate_uploads(settings: Settings, db: AsyncSession) -> MigrationReport:
    """Copy into the configured store every file of ``var/cvs`` and ``var/proofs`` (the local folders of
    before), and, when the store is S3, every file kept in PostgreSQL. A file already in the store is left
    as it is, so running it again copies nothing. Nothing is deleted: the old copies stay until the operator
    removes them."""
    target = upload_store(settings, db)
    sources: list[UploadStore] = []
    if not isinstance(target, PostgresUploads):
        sources.append(PostgresUploads(db))
    report = MigrationReport(copied=dict.fromkeys(AREAS, 0), already=dict.fromkeys(AREAS, 0), skipped=[])
    for area in AREAS:
        folder = settings.var_dir / area
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        for path in files:
            if not path.is_file() or not is_stored_name(path.name):
                report.skipped.append(str(path))
                continue
            if await target.exists(area, path.name):
                report.already[area] += 1
                continue
            await target.put(area, path.name, await asyncio.to_thread(path.read_bytes))
            report.copied[area] += 1
        for source in sources:
            for name in await source.names(area):
                if await target.exists(area, name):
                    report.already[area] += 1
                    continue
                content = await source.read(area, name)
                if content is not None:
                    await target.put(area, name, content)
                    report.copied[area] += 1
    return report


def private_download(
    content: bytes, *, filename: str, media_type: str, cache_control: str
) -> Response[bytes]:
    """A private file as a download: an attachment that no browser renders in the page (nosniff), never
    kept in a shared cache. ``filename`` is ours (an id and a stored extension), plain ASCII."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": cache_control,
            "X-Content-Type-Options": "nosniff",
        },
    )
