"""community matching reindex | eval FILE.json | tune FILE.json"""

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
@click.option("--batch", default=32, show_default=True, help="Texts embedded, then committed, at a time.")
def matching_reindex(app: Litestar, batch: int) -> None:
    """Compute the embeddings of every kind of text matching embeds (scenarios, capability profiles,
    positions, talent profiles) whose text or model changed, with a progress bar on stderr. Each batch is
    committed as it is done: the indexes of running processes take the new vectors as they come."""
    from community.cli import alchemy_config, settings_of
    from community.matching.embedder import EmbedderUnavailableError, get_embedder
    from community.matching.models import OWNER_POSITION, OWNER_PROFILE, OWNER_SCENARIO, OWNER_TALENT
    from community.matching.services import EmbeddingService, MatchingService
    from community.matching.talent import TalentMatcher

    settings = settings_of(app)
    config = alchemy_config(app)
    embedder = get_embedder(settings.embedding_model)
    batch = max(1, batch)

    async def run() -> dict[str, int]:
        counts = dict.fromkeys((OWNER_SCENARIO, OWNER_PROFILE, OWNER_POSITION, OWNER_TALENT), 0)
        try:
            if not await embedder.load():
                raise EmbedderUnavailableError(embedder.error or "the embedding model is not loaded")
            async with config.get_session() as db:
                kinds = await MatchingService(db, settings, embedder).documents()
                kinds += await TalentMatcher(db, settings, embedder).documents()
            total = sum(len(docs) for _kind, docs in kinds)
            with click.progressbar(
                length=total, label=f"Embedding with {embedder.name}", file=sys.stderr, show_pos=True
            ) as bar:
                for owner_type, docs in kinds:
                    for start in range(0, len(docs), batch):
                        chunk = docs[start : start + batch]
                        async with config.get_session() as db:
                            counts[owner_type] += await EmbeddingService(db, embedder).store(
                                owner_type, chunk
                            )
                            await db.commit()
                        bar.update(len(chunk))
        except EmbedderUnavailableError as exc:
            click.echo(f"The embedding model cannot load: {exc}", err=True)
            raise SystemExit(2) from exc
        finally:
            await config.get_engine().dispose()
        return counts

    counts = asyncio.run(run())
    click.echo(
        f"Model {embedder.name}: {counts[OWNER_SCENARIO]} scenario, {counts[OWNER_PROFILE]} profile,"
        f" {counts[OWNER_POSITION]} position and {counts[OWNER_TALENT]} talent profile vectors computed."
    )


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
    result: dict[str, Any] = evaluate_file(file, embedder, weights_of(settings, embedder.name))
    sys.stdout.write(json.dumps(result) + "\n")


@matching_group.command(name="tune")  # type: ignore[untyped-decorator]
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--folds", default=5, show_default=True, help="Folds of the cross-validation.")
@click.option("--step", default=0.05, show_default=True, help="Grid step of each weight (they sum to 1).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def matching_tune(files: tuple[Path, ...], folds: int, step: float, as_json: bool) -> None:
    """Search the hybrid's weights (semantic, lexical, domain, district) for the configured embedding model
    on FILES (pooled), with k-fold cross-validation (scenario i in fold i mod k: the same files give the same
    result); print the chosen weights, each held-out fold's nDCG@10, and the setting that applies them."""
    from community.config import get_settings
    from community.matching.embedder import get_embedder
    from community.matching.services import weights_of
    from community.matching.tuning import tune, weights_dict

    settings = get_settings()
    embedder = get_embedder(settings.embedding_model)
    embedder._load_sync()
    if not embedder.ready:
        click.echo(
            f"warning: embedding model unavailable ({embedder.error}); tuning without meaning", err=True
        )
    data = [json.loads(file.read_text(encoding="utf-8")) for file in files]
    defaults = weights_of(settings, embedder.name)
    result = tune(data, embedder, defaults=defaults, folds=folds, step=step)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict()) + "\n")
        return
    chosen = weights_dict(result.weights)
    click.echo(f"model: {result.model}")
    click.echo(f"chosen weights: {json.dumps(chosen)}  (nDCG@10 on the whole file {result.ndcg:.4f})")
    click.echo("fold  scenarios  held-out nDCG@10  train nDCG@10  weights chosen on the other folds")
    for fold in result.folds:
        click.echo(
            f"{fold.index:>4}  {fold.scenarios:>9}  {fold.held_out_ndcg:>16.4f}  {fold.train_ndcg:>13.4f}"
            f"  {json.dumps(weights_dict(fold.weights))}"
        )
    click.echo(f"mean held-out nDCG@10: {result.held_out_mean:.4f}")
    click.echo(f"COMMUNITY_MATCHING_WEIGHTS='{json.dumps({result.model: chosen})}'")
