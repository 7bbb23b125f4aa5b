"""Baselines a recall model must beat: most popular items and random items.

They share :func:`w2vm.recall.retrieval.drop_excluded` with
:class:`~w2vm.recall.retrieval.ItemRecall`, so seen items are excluded and
lists are cut exactly as for the model, and the same :func:`evaluate` scores them.
"""
import numbers

import numpy as np

from w2vm.recall.interactions import Interactions
from w2vm.recall.retrieval import _excluded_keys, drop_excluded, exclusion_csr

__all__ = ["popularity_recommend", "random_recommend"]


def _check(train, users, k):
    if not isinstance(train, Interactions):
        raise TypeError(f"train must be an Interactions, not {type(train).__name__}")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    users = np.arange(train.n_users, dtype=np.int64) if users is None else np.asarray(users, np.int64)
    if users.ndim != 1 or (users.size and (users.min() < 0 or users.max() >= train.n_users)):
        raise ValueError(f"users must be user codes in [0, {train.n_users})")
    return users


def _serve(ranking_for, train, users, k, exclude_seen, batch_size):
    """Run ``ranking_for(batch_rows, fetch) -> (ids, scores)`` batch by batch, dropping seen items."""
    indptr, indices = exclusion_csr(train if exclude_seen else None, train.n_users, train.n_items)
    out_ids = np.full((users.size, k), -1, np.int64)
    out_sc = np.full((users.size, k), np.nan, np.float32)
    n_excl = indptr[users + 1] - indptr[users]
    by_load = np.argsort(n_excl, kind="stable")
    for s in range(0, users.size, batch_size):
        pos = by_load[s:s + batch_size]
        r = users[pos]
        fetch = min(train.n_items, k + int(n_excl[pos].max()))
        ids, sc = ranking_for(r, fetch)
        keys = _excluded_keys(indptr, indices, r, train.n_items)
        out_ids[pos], out_sc[pos] = drop_excluded(ids, sc, keys, train.n_items, k)
    return out_ids, out_sc


def popularity_recommend(train, k=100, users=None, exclude_seen=True, batch_size=4096):
    """The ``k`` most frequent training items each user has not seen.

    Parameters
    ----------
    train : Interactions
    k : int
    users : int array, optional
        User codes to serve (default: every user code).
    exclude_seen : bool
    batch_size : int

    Returns
    -------
    items : int64 (n, k), scores : float32 (n, k)
        Scores are the items' training counts.
    """
    users = _check(train, users, k)
    counts = train.item_counts()
    # ties broken by item code, so the ranking is deterministic
    ranking = np.lexsort((np.arange(train.n_items), -counts)).astype(np.int64)

    def ranking_for(r, fetch):
        top = ranking[:fetch]
        return (np.broadcast_to(top, (r.size, fetch)).copy(),
                np.broadcast_to(counts[top].astype(np.float32), (r.size, fetch)))

    return _serve(ranking_for, train, users, k, exclude_seen, batch_size)


def random_recommend(train, k=100, users=None, exclude_seen=True, seed=0, batch_size=1024,
                     items_pool=None):
    """``k`` random unseen items per user.

    Parameters
    ----------
    train : Interactions
    k : int
    users : int array, optional
    exclude_seen : bool
    seed : int
    batch_size : int
    items_pool : int array, optional
        Draw only from these item codes (default: items seen in training).

    Returns
    -------
    items : int64 (n, k), scores : float32 (n, k)
    """
    users = _check(train, users, k)
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(train.item_counts() > 0) if items_pool is None else np.asarray(items_pool, np.int64)
    if pool.size == 0:
        raise ValueError("no item to draw from")

    def ranking_for(r, fetch):
        fetch = min(fetch, pool.size)
        noise = rng.random((r.size, pool.size))
        part = np.argpartition(noise, fetch - 1, axis=1)[:, :fetch] if fetch < pool.size else \
            np.broadcast_to(np.arange(pool.size), (r.size, pool.size))
        return pool[part], np.zeros(part.shape, np.float32)

    return _serve(ranking_for, train, users, k, exclude_seen, batch_size)
