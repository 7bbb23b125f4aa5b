"""KeyedVectors: keys mapped to vectors, gensim's query API at every Matryoshka level.

Every query takes ``level=None`` (the full dimension) or ``level=m`` for any
``1 <= m <= vector_size``: the prefix ``v[:m]``, normalised on its own. The
levels the model was trained at are recorded in ``kv.levels``.

Concurrency: the vectors, the key lists and the per-level norm cache live in
one immutable snapshot (:class:`_State`). A query reads the snapshot once and
works on it to the end; a mutation (``add_vectors``, ``__setitem__``,
``sort_by_descending_frequency``, assigning ``vectors`` ...) builds new arrays
under a lock and swaps in a new snapshot with an empty cache. So any number
of threads may query while another mutates, and nobody sees stale norms
(gensim's bug #2532). The training engine, which updates ``vectors`` in place,
calls :meth:`KeyedVectors.invalidate_norms` afterwards.
"""
import logging
import numbers
import os

import numpy as np
from scipy.linalg import blas as _blas

from w2vm.levels import validate_levels
from w2vm.models import _kv_search as _search
from w2vm.models._kv_storage import _EXTENDED_KEY_TYPES, _KEY_TYPES, KeyedVectorsStorage, _State

logger = logging.getLogger(__name__)

__all__ = ["KeyedVectors", "REAL", "pseudorandom_weak_vector"]

# gensim's name for the vectors' dtype
REAL = np.float32


def pseudorandom_weak_vector(size, seed_string=None, hashfxn=hash):
    """A small random vector, uniform in ``[-0.5, 0.5) / size`` (gensim's initialisation).

    With ``seed_string`` it is derived from ``hashfxn(seed_string)`` alone (note that
    Python's ``hash`` of a ``str`` changes between processes unless
    ``PYTHONHASHSEED`` is set); without, it is drawn from a fresh generator.
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    if seed_string:
        rng = np.random.Generator(np.random.SFC64(hashfxn(seed_string) & 0xFFFFFFFF))
    else:
        rng = np.random.default_rng()
    return (rng.random(int(size)).astype(REAL) - 0.5) / size


def _ensure_list(value):
    """gensim's convenience: a single key or 1-D vector means ``[value]``; a 2-D array, its rows."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return list(value)
    return list(value)


def unitvec(vec):
    """Unit-length copy of a dense vector, computed as gensim's ``matutils.unitvec``.

    The norm and the scaling are done in float64 BLAS and the result cast back
    to the input dtype, so similarities match gensim's bit for bit.
    """
    vec = np.asarray(vec)
    if vec.size == 0:
        return vec
    v64 = np.asarray(vec, dtype=np.float64)
    veclen = _blas.dnrm2(v64)
    if veclen > 0.0:
        return _blas.dscal(1.0 / veclen, v64).astype(vec.dtype)
    return vec


class EmptyInputError(ValueError, ZeroDivisionError):
    """An empty list of keys where at least one is needed (a ``ZeroDivisionError`` too, as gensim raised)."""


def _check_topn(topn):
    """``None`` (every score) or an int >= 0 (0 gives ``[]``, as in gensim)."""
    if topn is None:
        return None
    if isinstance(topn, (bool, np.bool_)) or not isinstance(topn, numbers.Integral):
        raise TypeError(f"topn must be an int or None, got {topn!r}")
    if topn < 0:
        raise ValueError(f"topn must be >= 0, got {topn}")
    return int(topn)


def _check_key_list(keys, what):
    if isinstance(keys, (str, bytes)):
        raise TypeError(f"{what} must be a list of keys, not a string: {keys!r:.60}")
    return list(keys)


def check_base(base, for_load=False):
    """A base is a path prefix (``base.npy``, ``base.vocab.json``, ...), never a folder.

    Without this, ``save("out")`` for a folder ``out`` would write ``out.npy``
    next to it, and ``save("out/")`` hidden files ``out/.npy`` inside it.
    """
    path = os.fspath(base)
    if isinstance(path, str) and (path.endswith(("/", os.sep))
                                  or (os.path.isdir(path)
                                      and not (for_load and os.path.exists(path + ".vocab.json")))):
        raise IsADirectoryError(f"{path!r} is a directory; a base is a path prefix such as "
                                f"{os.path.join(path, 'model')!r} (for model.vocab.json, model.npy, ...)")
    return path


class KeyedVectors(KeyedVectorsStorage):
    """Mapping between keys (words, item ids) and vectors, with nested-prefix queries.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    count : int, optional
        Slots to pre-allocate (filled by :meth:`add_vector`), as in gensim.
    dtype : numpy dtype, optional
        Storage type; float32 everywhere in w2vm.
    levels : list of int, optional
        Trained Matryoshka levels; ``None`` gives :func:`w2vm.levels.default_levels`.
    """

    # ------------------------------------------------------------------ queries
    def _as_vector(self, st, key, m, norm):
        """A key's prefix (unit if ``norm``) or a raw vector of length ``m`` or ``vector_size``."""
        if isinstance(key, np.ndarray):
            vec = key.reshape(-1)
            if vec.dtype.kind in "fc" and not np.isfinite(vec).all():
                raise ValueError("a query vector contains NaN or infinite values")
            if vec.shape[0] == self.vector_size:
                return vec[:m]
            if vec.shape[0] == m:
                return vec
            # say what would work: a prefix vector needs its level named (it is never guessed from the length)
            hint = (f"; for a prefix query pass level={vec.shape[0]}" if vec.shape[0] < self.vector_size else "")
            expected = (f"{m} (level={m}) or " if m != self.vector_size else "") + f"{self.vector_size} (the full dimension)"
            raise ValueError(f"query vector has {vec.shape[0]} values; expected {expected}{hint} "
                             f"(trained levels: {list(self.levels)})")
        index = self._index_in(st, key)
        if norm:
            return st.vectors[index, :m] / self._norms(st, m)[1][index]
        return st.vectors[index, :m]

    def _mean(self, st, keys, weights, m, pre_normalize=True, post_normalize=False, ignore_missing=True):
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        # Weight dtypes as in gensim (None or a list: the vectors' dtype; an array: its own), since
        # the total's dtype decides the precision of ``mean / total`` and so the exact results.
        if weights is None:
            weights = np.ones(len(keys), dtype=st.vectors.dtype)
        elif isinstance(weights, (list, tuple)):
            weights = np.array(weights, dtype=st.vectors.dtype)
        else:
            weights = np.asarray(weights)
        if weights.shape != (len(keys),):
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(m, dtype=st.vectors.dtype)
        total = 0
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray) or self._index_in(st, key, -1) >= 0:
                mean += w * self._as_vector(st, key, m, pre_normalize)
                total += abs(w)
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
        if total > 0:
            mean = mean / total
        if post_normalize:
            mean = unitvec(mean).astype(np.float32)
        return mean

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True, level=None):
        """Weighted mean of the (prefix) vectors of ``keys`` (keys, rows, or raw vectors)."""
        m = self._level(level)
        if isinstance(keys, np.ndarray) and keys.ndim == 2:
            keys = list(keys)
        return self._mean(self._state, keys, weights, m, pre_normalize, post_normalize, ignore_missing)

    def _candidates(self, st, restrict_vocab, clip_start=0, clip_end=None):
        """Rows to search: a slice (cheap view) or a sorted index array."""
        n = len(st.vectors)
        if restrict_vocab is None or (isinstance(restrict_vocab, numbers.Integral)
                                      and not isinstance(restrict_vocab, (bool, np.bool_))
                                      and restrict_vocab == 0):
            return slice(clip_start, clip_end or n)
        if isinstance(restrict_vocab, (bool, np.bool_)):
            raise TypeError("restrict_vocab must be an int, a collection of keys or a boolean mask, not a bool")
        if isinstance(restrict_vocab, numbers.Integral):
            if restrict_vocab < 0:
                raise ValueError(f"restrict_vocab must be non-negative, got {restrict_vocab}")
            return slice(0, int(restrict_vocab))
        if isinstance(restrict_vocab, (str, bytes)):
            raise TypeError("restrict_vocab must be an int, a collection of keys or a boolean mask, not a string")
        arr = restrict_vocab if isinstance(restrict_vocab, np.ndarray) else None
        if arr is not None and arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(f"a boolean restrict_vocab mask must have shape ({n},), got {arr.shape}")
            return np.flatnonzero(arr)
        keys = list(restrict_vocab)
        return np.unique(np.array([self._index_in(st, k) for k in keys], dtype=np.int64))

    @staticmethod
    def _cand_global(cand, pos):
        if isinstance(cand, slice):
            return pos + (cand.start or 0)
        return cand[pos]

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None, level=None):
        """Top-``topn`` keys by cosine similarity to the weighted mean of ``positive`` minus ``negative``.

        Parameters
        ----------
        positive, negative : key, vector, 2-D array, or list of them or of ``(key, weight)``
            Keys/vectors added (weight 1) or subtracted (weight -1). A 2-D array or a
            list of several positives is averaged into one query (gensim semantics);
            use :meth:`most_similar_batch` / :meth:`knn` for many independent queries.
        topn : int or None
            ``None`` returns the score array over all searched rows.
        clip_start, clip_end : int
            Search only rows ``[clip_start, clip_end)``.
        restrict_vocab : int, collection of keys, or boolean mask, optional
            The first N rows, or exactly these keys (overrides the clips).
        indexer : object, optional
            An approximate index with ``most_similar(vector, topn)`` (gensim's protocol).
        level : int, optional
            Prefix length; ``None`` = ``vector_size``.

        Returns
        -------
        list of (key, float), or numpy.ndarray when ``topn`` is None
        """
        topn = _check_topn(topn)
        if topn == 0:
            return []
        if indexer is not None and not callable(getattr(indexer, "most_similar", None)):
            raise TypeError(f"indexer must have a most_similar(vector, topn) method, got {type(indexer).__name__}")
        m = self._level(level)
        st = self._state
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        keys, weights = [], []
        for item, default in [(p, 1.0) for p in positive] + [(q, -1.0) for q in negative]:
            if isinstance(item, _EXTENDED_KEY_TYPES):
                keys.append(item)
                weights.append(default)
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                keys.append(item[0])
                weights.append(item[1])
            else:
                raise TypeError(f"positive and negative take keys, vectors or (key, weight) pairs, got {item!r:.60}")
        mean = self._mean(st, keys, np.array(weights, dtype=np.float64), m, pre_normalize=True,
                          post_normalize=True, ignore_missing=False)
        if indexer is not None and isinstance(topn, numbers.Integral):
            return indexer.most_similar(mean, topn)
        exclude = {self._index_in(st, k) for k in keys
                   if isinstance(k, _KEY_TYPES) and self._index_in(st, k, -1) >= 0}
        cand = self._candidates(st, restrict_vocab, clip_start, clip_end)
        dists = _search.scores_for(st.vectors, self._norms(st, m)[1], mean, m, cand)
        if not topn:
            return dists
        return self._ranked(st, dists, cand, exclude, topn)

    def similar_by_key(self, key, topn=10, restrict_vocab=None, level=None):
        """Keys most similar to ``key``."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab, level=level)

    def similar_by_word(self, word, topn=10, restrict_vocab=None, level=None):
        """Alias of :meth:`similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab, level=level)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None, level=None):
        """Keys most similar to a raw vector (of length ``level`` or ``vector_size``)."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab,
                                 level=level)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None, level=None):
        """3CosMul (Levy & Goldberg 2014): products of shifted cosines instead of a sum.

        ``restrict_vocab`` is honoured here (gensim 4.4 accepts and ignores it).
        """
        topn = _check_topn(topn)
        if topn == 0:
            return []
        m = self._level(level)
        st = self._state
        positive = _ensure_list(positive)
        negative = _ensure_list(negative)
        if not positive:
            raise ValueError("cannot compute similarity with no input")
        exclude = {self._index_in(st, w) for w in positive + negative
                   if isinstance(w, _KEY_TYPES) and self._index_in(st, w, -1) >= 0}
        cand = self._candidates(st, restrict_vocab)
        safe = self._norms(st, m)[1]

        def shifted(term):
            vec = np.asarray(self._as_vector(st, term, m, norm=True), dtype=st.vectors.dtype)
            return (1 + _search.scores_for(st.vectors, safe, vec, m, cand)) / 2

        pos = [shifted(t) for t in positive]
        neg = [shifted(t) for t in negative]
        dists = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001)
        if not topn:
            return dists
        return self._ranked(st, dists, cand, exclude, topn)

    def _ranked(self, st, dists, cand, exclude, topn):
        """The ``topn`` best ``(key, score)`` pairs of ``dists`` over ``cand``, without the rows in ``exclude``."""
        best = _search.topk_desc(dists, topn + len(exclude))
        rows = self._cand_global(cand, best)
        result = [(st.index_to_key[r], float(dists[b])) for r, b in zip(rows.tolist(), best.tolist())
                  if r not in exclude]
        return result[:topn]

    def _query_matrix(self, st, queries, m):
        """Unit prefix rows for :meth:`knn`, plus each query key's own row (or ``None``)."""
        if isinstance(queries, np.ndarray) or (isinstance(queries, (list, tuple)) and queries
                                               and isinstance(queries[0], (np.ndarray, list, tuple))):
            q = np.asarray(queries, dtype=np.float32)
            if q.ndim == 1:
                q = q[None, :]
            if q.ndim != 2 or q.shape[1] not in (m, self.vector_size):
                raise ValueError(f"queries must have shape (n, {m}) or (n, {self.vector_size}), got {q.shape}")
            q = q[:, :m]
            if not np.isfinite(q).all():
                raise ValueError("queries contain NaN or infinite values")
            norms = np.linalg.norm(q, axis=1, keepdims=True)
            return np.ascontiguousarray(q / np.where(norms > 0, norms, 1), dtype=np.float32), None
        if isinstance(queries, _KEY_TYPES):
            raise TypeError("knn takes a list of keys or a 2-D array; for one key use most_similar")
        idx = self._indices(list(queries), st)
        q = st.vectors[idx, :m] / self._norms(st, m)[1][idx, None]
        return np.ascontiguousarray(q, dtype=np.float32), idx

    def knn(self, queries, k=10, level=None, exclude_self=True, restrict_vocab=None):
        """Exact top-``k`` neighbours of many queries at once (one matrix product per chunk).

        Parameters
        ----------
        queries : numpy.ndarray or list of keys
            ``(n_queries, m or vector_size)`` vectors, or keys (then, with
            ``exclude_self``, each key is left out of its own answer).
        k : int
            Neighbours per query; capped at the number of candidates (minus one
            when a query's own row is excluded from them).
        level : int, optional
            Prefix length; ``None`` = ``vector_size``.
        exclude_self : bool
            For key queries, drop the key itself.
        restrict_vocab : int, collection of keys, or boolean mask, optional
            Candidate rows, as in :meth:`most_similar`.

        Returns
        -------
        indices : numpy.ndarray of int64, ``(n_queries, k)``
            Rows in :attr:`vectors` / :attr:`index_to_key`, best first.
        scores : numpy.ndarray of float32, ``(n_queries, k)``
            Cosine similarities at the level.
        """
        return self._knn(self._state, queries, k, level, exclude_self, restrict_vocab)

    def _knn(self, st, queries, k, level, exclude_self, restrict_vocab):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
            raise ValueError(f"k must be a non-negative int, got {k!r}")
        m = self._level(level)
        q, self_idx = self._query_matrix(st, queries, m)
        cand = self._candidates(st, restrict_vocab)
        if isinstance(cand, slice):
            start, stop, _ = cand.indices(len(st.vectors))
            n_cand = max(0, stop - start)
            in_cand = (self_idx >= start) & (self_idx < stop) if self_idx is not None else None
        else:
            n_cand = cand.size
            in_cand = np.isin(self_idx, cand) if self_idx is not None else None
        if not exclude_self:
            self_idx = None
        k_eff = min(int(k), n_cand - (1 if self_idx is not None and in_cand.any() else 0))
        return _search.batch_topk(st.vectors, self._norms(st, m)[1], q, m, cand, max(k_eff, 0), self_idx)

    def most_similar_batch(self, queries, topn=10, level=None, exclude_self=True, restrict_vocab=None):
        """:meth:`knn` as one ``[(key, score), ...]`` list per query."""
        st = self._state  # one snapshot for the rows and their keys
        idx, scores = self._knn(st, queries, topn, level, exclude_self, restrict_vocab)
        keys = st.index_to_key
        return [[(keys[i], s) for i, s in zip(row_i, row_s)]
                for row_i, row_s in zip(idx.tolist(), scores.tolist())]

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine similarity of ``vector_1`` with each row of ``vectors_all``."""
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        return np.dot(vectors_all, vector_1) / (norm * all_norms)

    def distances(self, word_or_vector, other_words=(), level=None):
        """Cosine distances from a key or vector to ``other_words`` (default: every key)."""
        return self._distances(self._state, word_or_vector, other_words, level)

    def _distances(self, st, word_or_vector, other_words, level):
        m = self._level(level)
        if isinstance(word_or_vector, _KEY_TYPES):
            vec = st.vectors[self._index_in(st, word_or_vector), :m]
        else:
            vec = self._as_vector(st, np.asarray(word_or_vector), m, norm=False)
        if not len(other_words):
            # Cached norms: same numbers as recomputing them, without the pass over the matrix.
            norms = self._norms(st, m)[0]
            return 1 - (st.vectors[:, :m] @ vec) / (np.linalg.norm(vec) * norms)
        return 1 - self.cosine_similarities(vec, st.vectors[self._indices(other_words, st), :m])

    def similarity(self, w1, w2, level=None):
        """Cosine similarity of two keys' prefixes."""
        m = self._level(level)
        st = self._state
        v1 = st.vectors[self._index_in(st, w1), :m]
        v2 = st.vectors[self._index_in(st, w2), :m]
        return np.dot(unitvec(v1), unitvec(v2))

    def distance(self, w1, w2, level=None):
        """``1 - similarity(w1, w2)``."""
        return 1 - self.similarity(w1, w2, level=level)

    def n_similarity(self, ws1, ws2, level=None):
        """Cosine similarity of the means of two key lists."""
        ws1 = _check_key_list(ws1, "ws1")
        ws2 = _check_key_list(ws2, "ws2")
        if not (len(ws1) and len(ws2)):
            raise EmptyInputError("At least one of the passed list is empty.")
        m = self._level(level)
        st = self._state
        for ws in (ws1, ws2):
            # missing keys are skipped (gensim); with none left the mean is zero and the score meaningless
            if not any(isinstance(w, np.ndarray) or self._index_in(st, w, -1) >= 0 for w in ws):
                raise KeyError(f"none of the keys {ws[:5]!r} is present in the vocabulary")
        mean1 = self._mean(st, list(ws1), None, m, pre_normalize=False)
        mean2 = self._mean(st, list(ws2), None, m, pre_normalize=False)
        return np.dot(unitvec(mean1), unitvec(mean2))

    def rank_by_centrality(self, words, use_norm=True, level=None):
        """``[(similarity to the centroid, key), ...]``, most central first."""
        words = _check_key_list(words, "words")
        m = self._level(level)
        st = self._state
        used = [w for w in words if self._index_in(st, w, -1) >= 0]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vectors = np.vstack([self._as_vector(st, w, m, use_norm) for w in used]).astype(np.float32)
        mean = self._mean(st, list(vectors), None, m, post_normalize=True)
        dists = vectors @ mean
        return sorted(zip(dists, used), reverse=True)

    def doesnt_match(self, words, level=None):
        """The key furthest from the mean of ``words``."""
        return self.rank_by_centrality(words, level=level)[-1][1]

    def closer_than(self, key1, key2, level=None):
        """Keys closer to ``key1`` than ``key2`` is."""
        st = self._state  # one snapshot for the distances and the keys they index
        all_distances = self._distances(st, key1, (), level)
        e1 = self._index_in(st, key1)
        e2 = self._index_in(st, key2)
        closer = np.flatnonzero(all_distances < all_distances[e2])
        return [st.index_to_key[i] for i in closer.tolist() if i != e1]

    def words_closer_than(self, word1, word2, level=None):
        """Alias of :meth:`closer_than`."""
        return self.closer_than(word1, word2, level=level)

    def rank(self, key1, key2, level=None):
        """1 + the number of keys closer to ``key1`` than ``key2``."""
        return len(self.closer_than(key1, key2, level=level)) + 1

    def most_similar_to_given(self, key1, keys_list, level=None):
        """The key of ``keys_list`` most similar to ``key1``."""
        view = self._pinned()  # every similarity from one snapshot
        return keys_list[int(np.argmax([view.similarity(key1, k, level=level) for k in keys_list]))]

    def relative_cosine_similarity(self, wa, wb, topn=10, level=None):
        """Similarity of ``wa``, ``wb`` relative to ``wa``'s ``topn`` neighbours (Leeuwenberg et al.)."""
        view = self._pinned()  # the neighbours and the similarity from one snapshot
        sims = view.similar_by_word(wa, topn, level=level)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return view.similarity(wa, wb, level=level) / sum(s for _, s in sims)

    # --------------------------------------------------------------- evaluation
    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar", level=None):
        """Analogy accuracy (3CosAdd), gensim's numbers, batched; see :mod:`w2vm.evaluation`."""
        from w2vm import evaluation
        return evaluation.evaluate_word_analogies(
            self, analogies, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown, similarity_function=similarity_function, level=level)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False, level=None):
        """``(pearson, spearman, oov_ratio)`` against human similarity judgements; see :mod:`w2vm.evaluation`."""
        from w2vm import evaluation
        return evaluation.evaluate_word_pairs(
            self, pairs, delimiter=delimiter, encoding=encoding, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown, level=level)

    def evaluate_levels(self, analogies=None, pairs=None, levels=None, restrict_vocab=300000,
                        case_insensitive=True):
        """One row of scores per level (default: ``self.levels``); see :func:`w2vm.evaluation.evaluate_levels`."""
        from w2vm import evaluation
        # pinned: every level is scored on the same snapshot
        return evaluation.evaluate_levels(self._pinned(), analogies=analogies, pairs=pairs, levels=levels,
                                          restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)

    # --------------------------------------------------------------- documents
    def wmdistance(self, document1, document2, norm=True, level=None):
        """Word Mover's Distance between two token lists (Kusner et al., 2015), as gensim computes it.

        Out-of-vocabulary tokens are dropped; ``inf`` when a document has no known
        token left, ``0.0`` when both hold the same single token. The optimal
        transport problem is solved exactly with scipy's linear-programming
        solver (gensim needs the POT package for it). ``norm`` uses unit vectors.
        """
        from w2vm.models.wmd import word_movers_distance
        m = self._level(level)
        st = self._state
        docs = []
        for name, doc in (("document1", document1), ("document2", document2)):
            doc = _check_key_list(doc, name)
            docs.append([t for t in doc if isinstance(t, _KEY_TYPES) and self._index_in(st, t, -1) >= 0])
        dropped = (len(document1) - len(docs[0]), len(document2) - len(docs[1]))
        if any(dropped):
            logger.info("removed %d and %d OOV words from document 1 and 2 (respectively)", *dropped)
        if not docs[0] or not docs[1]:
            logger.warning("at least one of the documents had no words that were in the vocabulary")
            return float("inf")

        def vectors(keys):
            rows = [self._index_in(st, k) for k in keys]
            out = np.asarray(st.vectors[rows, :m], dtype=np.float64)
            if norm:
                out = out / self._norms(st, m)[1][rows, None]
            return out

        return word_movers_distance(docs[0], docs[1], vectors)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors with the vectors of those ``keys`` that are present, deduplicated, in order.

        ``allow_inference`` matters for subclasses that infer vectors (gensim's
        FastText); here only present keys have vectors. ``copy_vecattrs`` copies
        the per-key attributes (``count`` ...).
        """
        if isinstance(keys, (str, bytes)):
            raise TypeError("keys must be an iterable of keys, not a string")
        st = self._state
        seen, rows, present = set(), [], []
        for key in keys:
            if key in seen:
                continue
            seen.add(key)
            row = self._index_in(st, key, -1) if isinstance(key, _KEY_TYPES) else -1
            if row >= 0:
                rows.append(row)
                present.append(key)
        kv = type(self)(self.vector_size, dtype=st.vectors.dtype, levels=self.levels)
        extras = None
        if copy_vecattrs:
            with self._lock:
                self.allocate_vecattrs()
                extras = {attr: np.asarray(values)[rows] for attr, values in self.expandos.items()}
        kv.add_vectors(present, np.asarray(st.vectors[rows], dtype=st.vectors.dtype).reshape(len(rows), -1),
                       extras=extras)
        return kv

    # -------------------------------------------------------------------- files
    def save(self, fname_or_handle=None, meta=None, *, base=None, separately=None, sep_limit=None,
             ignore=frozenset(), pickle_protocol=None, **kwargs):
        """Write ``base.vocab.json``, ``base.npy``, ``base.counts.npy`` and ``base.meta.json`` as one atomic set.

        ``meta`` (a JSON-serialisable dict) is merged into the meta file; the
        model uses it for its training state. gensim's ``separately``,
        ``sep_limit`` and ``pickle_protocol`` are accepted and ignored (with a
        warning, once): the vectors are always a separate ``.npy`` file, and
        nothing is pickled. ``ignore`` may name ``'count'``/``'expandos'`` (no
        counts file); names of derived data (``'norms'``, ``'vectors_norm'``)
        are never stored anyway.
        """
        from w2vm.io.npy_vocab import save_base
        from w2vm.models import gensim_compat
        base = check_base(gensim_compat.saved_base(fname_or_handle, base, "KeyedVectors.save"))
        gensim_compat.legacy_save_keywords(separately=separately, sep_limit=sep_limit,
                                           pickle_protocol=pickle_protocol, **kwargs)
        omit = gensim_compat.check_ignore(ignore, ("count", "expandos"))
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
        st, counts = self._snapshot_with_counts()
        own = {"levels": list(self.levels)}
        own.update(meta or {})
        save_base(base, st.index_to_key, st.vectors, meta=own, counts=None if omit else counts)

    @classmethod
    def load(cls, fname=None, mmap=None, check_finite=None, *, base=None, **kwargs):
        """Load vectors saved by :meth:`save`, by ``Word2Vec.save`` or by word2vec-matryoshka.

        Parameters
        ----------
        fname : str or os.PathLike
            Path prefix used at save time (``base=`` is the same).
        mmap : {None, 'r', 'r+', 'c'}
            Memory-map the vectors; ``'r'`` is zero-copy and read-only.
        check_finite : bool, optional
            Scan for NaN/inf (default: only when not memory-mapping).

        Raises
        ------
        w2vm.models.gensim_compat.GensimFileError
            ``fname`` is a file gensim pickled: it names the way out
            (:meth:`from_gensim`, ``w2vm convert OLD NEW --from gensim``).
        """
        from w2vm.io.atomic import reading_file_set
        from w2vm.io.npy_vocab import load_base, load_counts, paths
        from w2vm.models import gensim_compat
        base = check_base(gensim_compat.loaded_base(fname, base, "KeyedVectors.load", kwargs), for_load=True)
        with reading_file_set(base):  # the files of one save, even if one is in progress or was killed
            index_to_key, vectors, meta = load_base(base, mmap=mmap, check_finite=check_finite)
            counts = load_counts(base, meta, len(index_to_key))
        d = vectors.shape[1]
        try:
            levels = validate_levels(meta.get("levels"), d)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{paths(base)['meta']}: bad levels: {exc}") from None
        kv = cls(d, levels=levels)
        kv._state = _State(vectors, index_to_key, None)  # key_to_index is built on first use
        kv.next_index = len(index_to_key)
        kv.expandos = {"count": counts if counts is not None else np.zeros(len(index_to_key), np.int64)}
        return kv

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count", level=None):
        """Write the C word2vec text/binary format (gensim's bytes); ``level=m`` exports ``v[:m]``.

        Records are written in descending order of the per-key attribute
        ``sort_attr`` (most frequent first); ``append=True`` adds them after
        the file's current content (still an atomic write).
        """
        from w2vm.io.word2vec_format import save_word2vec_format
        m = self._level(level)
        with self._lock:
            st = self._state
            self.allocate_vecattrs()
            order_by = self.expandos.get(sort_attr)
        if order_by is None:
            if fvocab is not None:
                raise ValueError(f"cannot store the vocabulary with {sort_attr!r}: no such per-key attribute "
                                 f"(known: {sorted(self.expandos)})")
            logger.warning("attribute %s not present in %s; storing in index order", sort_attr, self)
        save_word2vec_format(fname, st.index_to_key, st.vectors[:, :m], counts=order_by, fvocab=fvocab,
                             binary=binary, total_vec=total_vec, write_header=write_header, prefix=prefix,
                             append=append)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=np.float32, no_header=False):
        """Read the C word2vec text/binary format or GloVe text (``no_header=True``), like gensim.

        The vectors are a new writable array whatever the format.
        """
        from w2vm.io.word2vec_format import load_word2vec_format
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Integral)):
            raise TypeError(f"limit must be an int or None, got {limit!r}")
        try:
            float_type = np.issubdtype(np.dtype(datatype), np.floating)
        except TypeError:
            float_type = False
        if not float_type:
            raise TypeError(f"datatype must be a floating-point type such as numpy.float32, got {datatype!r}")
        keys, vectors, counts = load_word2vec_format(
            fname, fvocab=fvocab, binary=binary, encoding=encoding, unicode_errors=unicode_errors,
            limit=limit, datatype=datatype, no_header=no_header)
        kv = cls(vectors.shape[1], dtype=datatype)
        kv._state = _State(vectors, keys, None)
        kv.next_index = len(keys)
        kv.expandos = {"count": counts}
        return kv

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Adopt the vectors of a C word2vec file for the keys already here, and lock them.

        No key is added; keys of the file found here take its vector and the
        lock factor ``lockf`` (0.0, the default, freezes them during later
        training; 1.0 lets them train). ``vectors_lockf`` becomes one factor
        per key if it was not already (gensim requires the caller to do that).
        Returns the number of keys merged.
        """
        from w2vm.io.word2vec_format import load_word2vec_format
        lockf = float(lockf)
        if not np.isfinite(lockf):
            raise ValueError(f"lockf must be finite, got {lockf}")
        keys, vectors, _ = load_word2vec_format(fname, binary=binary, encoding=encoding,
                                                unicode_errors=unicode_errors)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"incompatible vector size {vectors.shape[1]} in file {fname} "
                             f"(these vectors have {self.vector_size})")
        with self._lock:
            st = self._state
            found = [(row, self._index_in(st, key, -1)) for row, key in enumerate(keys)]
            found = [(row, index) for row, index in found if index >= 0]
            n = len(st.index_to_key)
            factors = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
            if factors.size != n:
                factors = factors[np.arange(n) % factors.size] if factors.size else np.ones(n, np.float32)
            factors = np.array(factors, dtype=np.float32)
            if found:
                rows, indices = (np.array(x, dtype=np.int64) for x in zip(*found))
                updated = np.array(st.vectors, dtype=st.vectors.dtype)
                updated[indices] = vectors[rows]
                factors[indices] = lockf
                self.vectors = updated
            self.vectors_lockf = factors
        logger.info("merged %d vectors into %s matrix from %s", len(found), st.vectors.shape, fname)
        return len(found)

    @classmethod
    def from_gensim(cls, obj, levels=None):
        """Copy a gensim ``KeyedVectors`` (or a model with ``.wv``), live or saved, into w2vm.

        ``obj`` may be the path of a file gensim saved: it is loaded with
        gensim's own loader, which unpickles it, so only pass a file you trust.
        ``levels`` are recorded with the vectors (default ``[vector_size]``:
        gensim trained one level).
        """
        from w2vm.models.gensim_compat import from_gensim
        return from_gensim(obj, cls=cls, levels=levels)

    def to_gensim(self, level=None):
        """A gensim ``KeyedVectors`` with the same keys, (prefix) vectors and counts."""
        from w2vm.models.gensim_compat import to_gensim
        return to_gensim(self, level=level)
