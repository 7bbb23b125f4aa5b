"""ItemRecall: top-K candidate items per user from an index of item vectors.

The index comes from :mod:`w2vm.similarities` (exact brute force by
default; HNSW, IVF or LSH for large catalogues; Matryoshka funnel search
through ``level``/``levels``). Index ids are item codes, so results index
``Interactions.item_labels`` directly.

Excluding already-seen items: an index filter is one mask shared by a
whole batch, and every user has seen different items, so instead each user
asks for ``k + (number of items it has seen)`` neighbours and the seen ones
are dropped afterwards. Users are served in batches of similar history
length so that a few heavy users do not inflate everyone's request.
"""
import numbers

import numpy as np
import scipy.sparse as sp

from w2vm.recall.interactions import Interactions

__all__ = ["ItemRecall", "make_index", "exclusion_csr", "drop_excluded", "INDEX_KINDS"]

INDEX_KINDS = ("auto", "brute", "hnsw", "ivf", "lsh")
AUTO_HNSW_ABOVE = 100_000  # catalogue size above which 'auto' picks HNSW over an exact scan


def make_index(kind="brute", vectors=None, metric="cosine", level=None, *, n_items=None, **params):
    """An index of ``kind``, built on ``vectors`` when they are given.

    Parameters
    ----------
    kind : {'auto', 'brute', 'hnsw', 'ivf', 'lsh'}
        ``'auto'``: exact up to 100k items, HNSW above.
    vectors : array (n, d) or KeyedVectors, optional
        The item vectors: the index is returned built on them (walked at
        ``level``). Without them the index is returned empty, for ``build`` later.
    metric, level, **params
        The index's constructor arguments (``level`` is its ``index_level``).
    n_items : int, optional
        Without ``vectors``: the catalogue size ``'auto'`` decides on. (An
        int passed as ``vectors`` is taken as ``n_items``, as before.)
    """
    from w2vm.similarities import BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex

    if isinstance(vectors, numbers.Integral) and not isinstance(vectors, bool):
        vectors, n_items = None, int(vectors)
    if vectors is not None:
        n_items = len(getattr(vectors, "vectors", vectors))
    classes = {"brute": BruteForceIndex, "hnsw": HNSWIndex, "ivf": IVFFlatIndex, "lsh": LSHIndex}
    if kind == "auto":
        kind = "hnsw" if n_items is not None and n_items > AUTO_HNSW_ABOVE else "brute"
    if kind not in classes:
        raise ValueError(f"index must be one of {INDEX_KINDS} or a w2vm.similarities index, got {kind!r}")
    index = classes[kind](metric=metric, index_level=level, **params)
    return index.build(vectors) if vectors is not None else index


def exclusion_csr(exclude, n_rows, n_items):
    """``(indptr, indices)`` of the items to exclude for each of ``n_rows`` query rows.

    ``exclude`` may be None, an :class:`Interactions` (rows = user codes),
    a scipy sparse matrix (rows x items; stored entries are excluded) or a
    sequence of arrays of item codes (one per row).
    """
    if exclude is None:
        return np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int64)
    if isinstance(exclude, Interactions):
        if exclude.n_users != n_rows:
            raise ValueError(f"exclude has {exclude.n_users} users but there are {n_rows} query rows")
        if exclude.n_items != n_items:
            raise ValueError(f"exclude has {exclude.n_items} item codes, the recall has {n_items}")
        return exclude.offsets, exclude.items
    if sp.issparse(exclude):
        m = sp.csr_matrix(exclude)
        if m.shape != (n_rows, n_items):
            raise ValueError(f"exclude matrix must have shape ({n_rows}, {n_items}), got {m.shape}")
        return m.indptr.astype(np.int64), m.indices.astype(np.int64)
    if isinstance(exclude, (list, tuple)):
        if len(exclude) != n_rows:
            raise ValueError(f"exclude has {len(exclude)} rows but there are {n_rows} query rows")
        arrays = [np.asarray(x, dtype=np.int64).ravel() for x in exclude]
        lengths = np.fromiter((a.size for a in arrays), np.int64, count=n_rows)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return indptr, (np.concatenate(arrays) if arrays else np.zeros(0, np.int64))
    raise TypeError("exclude must be None, an Interactions, a scipy sparse matrix or a list of arrays, "
                    f"not {type(exclude).__name__}")


def _excluded_keys(indptr, indices, rows, n_items):
    """Sorted ``local_row * n_items + item`` keys of the excluded pairs of ``rows``."""
    counts = indptr[rows + 1] - indptr[rows]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    local = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    # positions of each row's slice in `indices`, gathered without a Python loop
    starts = np.repeat(indptr[rows] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    items = indices[starts + np.arange(total)]
    return np.unique(local * n_items + items)


def drop_excluded(ids, scores, keys, n_items, k):
    """Remove excluded (and ``-1``) ids from each row, keep the order, cut to ``k`` columns.

    ``keys`` are sorted ``row * n_items + item`` pairs (rows local to ``ids``).
    Rows left short are padded with ``-1`` ids and ``nan`` scores.
    """
    bad = ids < 0
    if keys.size:
        q = np.arange(ids.shape[0], dtype=np.int64)[:, None] * n_items + np.maximum(ids, 0)
        pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
        bad |= keys[pos] == q
    # stable argsort of the mask moves the good ids to the front in their order
    order = np.argsort(bad, axis=1, kind="stable")[:, :k]
    ids = np.take_along_axis(ids, order, axis=1)
    scores = np.take_along_axis(scores, order, axis=1).astype(np.float32)
    bad = np.take_along_axis(bad, order, axis=1)
    ids[bad] = -1
    scores[bad] = np.nan
    if ids.shape[1] < k:
        pad = k - ids.shape[1]
        ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=np.nan)
    return ids, scores


class ItemRecall:
    """Top-K item candidates per user, excluding what each user has already seen.

    Parameters
    ----------
    item_vecs : float32 array (n_items, d) or KeyedVectors
        Rows by item code. Zero rows (items without a vector) are not indexed.
        A KeyedVectors is indexed row by row (ids = its row numbers).
    index : {'auto', 'brute', 'hnsw', 'ivf', 'lsh'} or BaseIndex
        ``'auto'``: exact below 100k items, HNSW above. An (unbuilt or built)
        index object is used as it is.
    level : int, optional
        Prefix the index is built on and walked at (Matryoshka funnel: the
        shortlist is then re-ranked on the query's full length).
    levels : list of int, optional
        Funnel stages for every search, e.g. ``[16, 32, 64]`` (must start at ``level``).
    metric : {'cosine', 'ip', 'l2'}
    **index_params
        Passed to the index class, e.g. ``M=16, ef_construction=200, ef=100``.

    Examples
    --------
    >>> rec = ItemRecall(item_vecs, index="hnsw", level=16, ef=200)      # doctest: +SKIP
    >>> items, scores = rec.recommend(user_vecs, k=100, exclude=train)  # doctest: +SKIP
    """

    def __init__(self, item_vecs, index="brute", level=None, levels=None, metric="cosine", **index_params):
        from w2vm.similarities import BaseIndex

        if hasattr(item_vecs, "vectors") and hasattr(item_vecs, "index_to_key"):
            item_vecs = item_vecs.vectors
        vecs = np.ascontiguousarray(item_vecs, dtype=np.float32)
        if vecs.ndim != 2 or vecs.shape[0] == 0:
            raise ValueError(f"item_vecs must be a non-empty 2-d array (n_items, d), got shape {vecs.shape}")
        self.n_items, self.dim = vecs.shape
        known = np.any(vecs != 0, axis=1)
        if not known.any():
            raise ValueError("every item vector is zero: nothing to index")
        self.item_ids = np.flatnonzero(known).astype(np.int64)
        self.levels = None if levels is None else [int(m) for m in levels]
        if isinstance(index, BaseIndex):
            self.index = index
            if index._vectors is None:
                index.build(vecs[self.item_ids], ids=self.item_ids, level=level)
        else:
            self.index = make_index(index, n_items=self.item_ids.size, metric=metric, level=level,
                                    **index_params)
            self.index.build(vecs[self.item_ids], ids=self.item_ids)

    def _item_filter(self, filter):
        """A bool mask over item codes (what the index's filter takes), or None."""
        if filter is None:
            return None
        f = np.asarray(filter)
        if f.dtype == bool:
            if f.shape != (self.n_items,):
                raise ValueError(f"a boolean filter must have shape (n_items={self.n_items},), got {f.shape}")
            return f
        if f.size and not np.issubdtype(f.dtype, np.integer):
            raise TypeError(f"filter must be a bool mask or item codes (ints), got dtype {f.dtype}")
        f = f.astype(np.int64).ravel()
        if f.size and (f.min() < 0 or f.max() >= self.n_items):
            raise ValueError(f"filter item codes must be in [0, {self.n_items})")
        mask = np.zeros(self.n_items, dtype=bool)
        mask[f] = True
        return mask

    def recommend(self, user_vecs, k=100, exclude=None, users=None, filter=None, rerank=None,
                  rerank_k=None, fallback=None, batch_size=1024, **search_params):
        """Top-``k`` item codes for each user, best first.

        Parameters
        ----------
        user_vecs : float array (n_users, d_q)
            Query vectors (``index level <= d_q <= d``).
        k : int
        exclude : Interactions, sparse matrix or list of arrays, optional
            Items never to return for a user (rows aligned with ``user_vecs``),
            typically the training interactions.
        users : int array, optional
            Serve only these rows of ``user_vecs`` (default: all).
        filter : bool array (n_items,) or item codes, optional
            Only these items may be recommended (e.g. in stock).
        rerank : callable, optional
            ``rerank(users, candidates) -> scores``: ``users`` int64 (b,) row
            numbers, ``candidates`` int64 (b, c) item codes (``-1`` = none);
            returns (b, c) scores, larger is better. The top ``k`` by these
            scores are returned.
        rerank_k : int, optional
            Candidates passed to ``rerank`` per user (default ``4 * k``).
        fallback : float array (n_items,), optional
            Item scores (e.g. training counts) that rank items for users
            whose vector is all zero (no known item in their history): they
            get the top unseen, allowed items by these scores instead of an
            arbitrary list.
        batch_size : int
            Users per index call.
        **search_params
            Index knobs, e.g. ``ef=200`` (HNSW) or ``n_probe=8`` (IVF).

        Returns
        -------
        items : int64 array (n, k)
            Item codes, ``-1`` where fewer than ``k`` could be found.
        scores : float32 array (n, k)
            Index similarities (or the rerank scores); ``nan`` for padding.
        """
        Q = np.asarray(user_vecs, dtype=np.float32)
        if Q.ndim != 2:
            raise ValueError(f"user_vecs must be 2-d (n_users, d), got shape {Q.shape}")
        for name, v, lo in (("k", k, 1), ("batch_size", batch_size, 1)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
        if rerank is not None and not callable(rerank):
            raise TypeError(f"rerank must be callable, not {type(rerank).__name__}")
        n_cand = k
        if rerank is not None:
            n_cand = 4 * k if rerank_k is None else rerank_k
            if isinstance(n_cand, bool) or not isinstance(n_cand, numbers.Integral) or n_cand < k:
                raise ValueError(f"rerank_k must be an int >= k={k}, got {rerank_k!r}")
        rows = np.arange(Q.shape[0], dtype=np.int64) if users is None else np.asarray(users, dtype=np.int64)
        if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= Q.shape[0])):
            raise ValueError(f"users must be a 1-d array of row numbers in [0, {Q.shape[0]})")
        indptr, indices = exclusion_csr(exclude, Q.shape[0], self.n_items)
        item_filter = self._item_filter(filter)
        n_searchable = int(self.item_ids.size if item_filter is None else item_filter[self.item_ids].sum())

        out_ids = np.full((rows.size, k), -1, np.int64)
        out_sc = np.full((rows.size, k), np.nan, np.float32)
        n_excl = indptr[rows + 1] - indptr[rows]
        by_load = np.argsort(n_excl, kind="stable")
        for s in range(0, rows.size, batch_size):
            pos = by_load[s:s + batch_size]           # positions in the output
            r = rows[pos]
            keys = _excluded_keys(indptr, indices, r, self.n_items)
            fetch = min(max(1, n_searchable), n_cand + int(n_excl[pos].max()))
            while True:
                ids, sc = self.index.search(Q[r], k=fetch, filter=item_filter, levels=self.levels,
                                            **search_params)
                ids, sc = drop_excluded(np.asarray(ids, np.int64), sc, keys, self.n_items, n_cand)
                # an approximate walk can return fewer than asked: ask again, wider
                if not (ids[:, -1] < 0).any() or fetch >= n_searchable:
                    break
                fetch = min(n_searchable, 2 * fetch)
            if rerank is not None:
                ids, sc = self._apply_rerank(rerank, r, ids, k)
            out_ids[pos] = ids[:, :k]
            out_sc[pos] = sc[:, :k]
        if fallback is not None:
            self._fill_cold(Q, rows, k, fallback, item_filter, indptr, indices, out_ids, out_sc)
        return out_ids, out_sc

    def _fill_cold(self, Q, rows, k, fallback, item_filter, indptr, indices, out_ids, out_sc):
        scores = np.asarray(fallback, dtype=np.float64)
        if scores.shape != (self.n_items,):
            raise ValueError(f"fallback must have shape (n_items={self.n_items},), got {scores.shape}")
        cold = np.flatnonzero(~np.any(Q[rows] != 0, axis=1))
        if cold.size == 0:
            return
        pool = np.zeros(self.n_items, dtype=bool)
        pool[self.item_ids] = True
        if item_filter is not None:
            pool &= item_filter
        cand = np.flatnonzero(pool)
        ranking = cand[np.lexsort((cand, -scores[cand]))]   # ties by item code: deterministic
        r = rows[cold]
        n_excl = indptr[r + 1] - indptr[r]
        fetch = min(ranking.size, k + int(n_excl.max()))
        ids = np.broadcast_to(ranking[:fetch], (cold.size, fetch)).copy()
        sc = np.broadcast_to(scores[ranking[:fetch]].astype(np.float32), (cold.size, fetch))
        keys = _excluded_keys(indptr, indices, r, self.n_items)
        out_ids[cold], out_sc[cold] = drop_excluded(ids, sc, keys, self.n_items, k)

    @staticmethod
    def _apply_rerank(rerank, users, cand, k):
        scores = np.asarray(rerank(users, cand), dtype=np.float64)
        if scores.shape != cand.shape:
            raise ValueError(f"rerank returned shape {scores.shape}, expected {cand.shape}")
        scores = np.where(cand < 0, -np.inf, scores)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        ids = np.take_along_axis(cand, order, axis=1)
        sc = np.take_along_axis(scores, order, axis=1).astype(np.float32)
        sc[ids < 0] = np.nan
        return ids, sc
