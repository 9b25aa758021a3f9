"""community matching reindex | eval FILE.json"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from litestar.cli._utils import LitestarGroup

if TYPE_CHECKING:
    from litestar import Litestar


@click.group(cls=LitestarGroup, name="matching")
def matching_group() -> None:
    """Matching: embeddings and evaluation."""


@matching_group.command(name="reindex")  # type: ignore[untyped-decorator]
def matching_reindex(app: Litestar) -> None:
    """Compute the embeddings of every open scenario and verified profile whose text or model changed."""
    from community.cli import alchemy_config, settings_of
    from community.matching.embedder import EmbedderUnavailableError, get_embedder
    from community.matching.services import MatchingService

    settings = settings_of(app)
    config = alchemy_config(app)
    embedder = get_embedder(settings.embedding_model)

    async def run() -> None:
        try:
            async with config.get_session() as db:
                counts = await MatchingService(db, settings, embedder).reindex()
                await db.commit()
        except EmbedderUnavailableError as exc:
            click.echo(f"The embedding model cannot load: {exc}", err=True)
            raise SystemExit(2) from exc
        finally:
            await config.get_engine().dispose()
        click.echo(
            f"Model {embedder.name}: {counts['scenario']} scenario and {counts['profile']} profile"
            " vectors computed."
        )

    asyncio.run(run())


@matching_group.command(name="eval")  # type: ignore[untyped-decorator]
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def matching_eval(file: Path) -> None:
    """Rank every profile of FILE for each of its scenarios (no database); print one JSON object with
    ndcg@10, recall@10 and mrr per ranker (hybrid, lexical, semantic)."""
    from community.config import get_settings
    from community.matching.embedder import get_embedder
    from community.matching.evaluation import evaluate_file
    from community.matching.services import weights_of

    settings = get_settings()
    embedder = get_embedder(settings.embedding_model)
    embedder._load_sync()
    if not embedder.ready:
        click.echo(
            f"warning: embedding model unavailable ({embedder.error}); semantic scores are 0", err=True
        )
    result: dict[str, Any] = evaluate_file(file, embedder, weights_of(settings))
    sys.stdout.write(json.dumps(result) + "\n")
