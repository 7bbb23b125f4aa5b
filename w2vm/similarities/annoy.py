"""gensim's ``AnnoyIndexer`` for w2vm vectors: Spotify's Annoy trees behind ``most_similar(indexer=...)``.

gensim's own ``AnnoyIndexer`` checks that its model is a gensim class, so it
refuses w2vm's. This one takes any object with ``.wv`` or the vectors
themselves (``vector_size``, ``index_to_key``, ``get_normed_vectors``), answers
``most_similar(vector, num_neighbors)`` as gensim's does, and saves without
pickle: the Annoy file plus ``fname.json`` for the keys. It also answers the
index contract's ``search(queries, k) -> (indices, scores)``.

Annoy is an optional dependency (``pip install annoy`` or ``w2vm[annoy]``),
imported when an index is built or loaded.

>>> from w2vm.models import Word2Vec
>>> from w2vm.similarities.annoy import AnnoyIndexer
>>> model = Word2Vec([["cute", "cat", "say", "meow"], ["cute", "dog", "say", "woof"]], min_count=1)
>>> indexer = AnnoyIndexer(model, num_trees=2)
>>> model.wv.most_similar("cat", topn=2, indexer=indexer)  # doctest: +SKIP
"""
import json
import os
import shutil
import tempfile

import numpy as np

from w2vm.io.atomic import atomic_file_set, atomic_open, atomic_save_json
from w2vm.similarities.base import check_int

__all__ = ["AnnoyIndexer"]

FORMAT = "w2vm-annoy"
FORMAT_VERSION = 1


def _annoy_index_class():
    try:
        from annoy import AnnoyIndex
    except ImportError:
        raise ImportError("AnnoyIndexer needs the annoy package: pip install annoy") from None
    return AnnoyIndex


class AnnoyIndexer:
    """Approximate cosine neighbours of a model's vectors in Annoy trees (gensim's class).

    Parameters
    ----------
    model : object with ``.wv``, or KeyedVectors, optional
        The vectors to index; without it, call :meth:`load`.
    num_trees : int, optional
        Annoy trees: more trees, better recall, bigger index.
    level : int, optional
        Index the prefix ``v[:level]`` of each vector (default: all of it);
        queries may then have ``level`` or ``vector_size`` values.
    """

    def __init__(self, model=None, num_trees=None, level=None):
        self.index = None
        self.labels = None
        self.model = model
        self.num_trees = num_trees
        self.level = level
        if model is not None and num_trees:
            self.num_trees = check_int(num_trees, "num_trees", 1)
            kv = getattr(model, "wv", model)
            if not all(hasattr(kv, a) for a in ("vector_size", "index_to_key", "get_normed_vectors")):
                raise ValueError("only a model with .wv or a KeyedVectors can be indexed, got "
                                 f"{type(model).__name__}")
            self.level = kv.vector_size if level is None else check_int(level, "level", 1, kv.vector_size)
            try:
                vectors = kv.get_normed_vectors(level=self.level)
            except TypeError:  # a KeyedVectors without levels (gensim's)
                vectors = kv.get_normed_vectors()[:, :self.level]
            self._build(np.asarray(vectors, dtype=np.float32), list(kv.index_to_key))

    def _build(self, vectors, labels):
        index = _annoy_index_class()(vectors.shape[1], "angular")
        for row, vector in enumerate(vectors):
            index.add_item(row, vector)
        index.build(self.num_trees)
        self.index, self.labels = index, labels

    def __len__(self):
        return 0 if self.labels is None else len(self.labels)

    def _query(self, vector):
        if self.index is None:
            raise ValueError("the indexer is empty: build it from a model or load() it first")
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.level:
            if vector.shape[0] < self.level:
                raise ValueError(f"query has {vector.shape[0]} values; the index holds {self.level}")
            vector = vector[:self.level]  # a full vector queried against a prefix index
        if not np.isfinite(vector).all():
            raise ValueError("the query contains NaN or infinite values")
        return vector

    def most_similar(self, vector, num_neighbors):
        """The ``num_neighbors`` keys closest to ``vector``: ``[(key, cosine similarity), ...]``."""
        num_neighbors = check_int(num_neighbors, "num_neighbors", 0)
        query = self._query(vector)
        ids, distances = self.index.get_nns_by_vector(query, num_neighbors, include_distances=True) \
            if num_neighbors else ([], [])
        # Annoy's angular distance is sqrt(2 - 2 cos)
        return [(self.labels[i], 1.0 - d * d / 2.0) for i, d in zip(ids, distances)]

    def search(self, queries, k=10):
        """Rows and cosine similarities of the ``k`` nearest keys of each query (the index contract)."""
        k = check_int(k, "k", 0)
        queries = np.asarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        k = min(k, len(self))
        indices = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for q, query in enumerate(queries):
            query = self._query(query)
            ids, distances = self.index.get_nns_by_vector(query, k, include_distances=True)
            indices[q, :len(ids)] = ids
            scores[q, :len(ids)] = 1.0 - np.asarray(distances, dtype=np.float32) ** 2 / 2.0
        return indices, scores

    def save(self, fname, protocol=None):
        """Write the Annoy trees to ``fname`` and the keys to ``fname.json``, as one atomic set.

        ``protocol`` (gensim's pickle protocol) is accepted and ignored: nothing is pickled.
        """
        if self.index is None:
            raise ValueError("nothing to save: the indexer is empty")
        fname = os.fspath(fname)
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "f": int(self.level),
                "num_trees": int(self.num_trees), "labels": list(self.labels)}
        with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(fname))) as scratch:
            built = os.path.join(scratch, "index.ann")
            self.index.save(built)  # Annoy writes by name; copied into the atomic set below
            # after save() Annoy serves queries from the file it wrote: reload from the final one later
            with atomic_file_set(fname):
                with atomic_open(fname, "wb") as out, open(built, "rb") as src:
                    shutil.copyfileobj(src, out)
                atomic_save_json(fname + ".json", meta)
            self.index.unload()
        self.index = _annoy_index_class()(self.level, "angular")
        self.index.load(fname)

    def load(self, fname):
        """Read an index written by :meth:`save` (the model is not part of it: set ``.model``)."""
        fname = os.fspath(fname)
        meta_path = fname + ".json"
        if not (os.path.isfile(fname) and os.path.isfile(meta_path)):
            raise FileNotFoundError(f"can't find index files {fname!r} and {meta_path!r}")
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{meta_path}: not a readable index description ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"{meta_path}: not an AnnoyIndexer description")
        level, labels = meta.get("f"), meta.get("labels")
        if not isinstance(level, int) or level < 1 or not isinstance(labels, list):
            raise ValueError(f"{meta_path}: bad dimension or keys")
        index = _annoy_index_class()(level, "angular")
        index.load(fname)
        if index.get_n_items() != len(labels):
            raise ValueError(f"{fname}: {index.get_n_items()} vectors for {len(labels)} keys in {meta_path}")
        self.index, self.labels, self.level = index, labels, level
        self.num_trees = meta.get("num_trees")
        return self
