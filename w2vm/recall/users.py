"""User vectors from item vectors and each user's history, for all users at once.

Every method is a weighted mean of the (unit-normalised) vectors of the
items a user interacted with, written as one sparse ``(users x items)``
weight matrix times the item matrix: one sparse-dense product, no Python
loop over users.
"""
import numbers

import numpy as np
import scipy.sparse as sp

from w2vm.recall.interactions import Interactions

__all__ = ["USER_METHODS", "user_vectors"]

USER_METHODS = ("mean", "recency", "last")


def _normalize(x, level):
    x = np.ascontiguousarray(x[:, :level], dtype=np.float32)
    norms = np.linalg.norm(x, axis=1)
    norms[norms == 0] = 1.0
    return x / norms[:, None]


def user_vectors(history, item_vecs, method="mean", last_n=20, half_life=10.0, time_unit="events",
                 level=None, normalize_items=True, use_weights=False):
    """One vector per user code from that user's history.

    Parameters
    ----------
    history : Interactions
        Training interactions (time-ordered per user).
    item_vecs : float32 array (n_items, d)
        Rows by item code (:func:`w2vm.recall.item2vec.item_vectors`); zero
        rows (unknown items) are left out of the means.
    method : {'mean', 'recency', 'last'}
        ``'mean'``: all items equally; ``'recency'``: weight
        ``0.5 ** (age / half_life)``; ``'last'``: mean of the last ``last_n`` items.
    last_n : int
        Items kept by ``'last'``.
    half_life : float
        For ``'recency'``, in events (``time_unit='events'``: the last event
        has age 0, the one before 1, ...) or in timestamp units
        (``time_unit='time'``: age = last timestamp - timestamp).
    time_unit : {'events', 'time'}
    level : int, optional
        Use the prefix ``v[:level]`` (default: full vectors).
    normalize_items : bool
        Normalise item prefixes before averaging, so that items with long
        vectors do not dominate (cosine retrieval then matches cosine averaging).
    use_weights : bool
        Multiply by ``history.weights`` (e.g. ratings).

    Returns
    -------
    float32 array (n_users, level)
        Zero rows for users with no known item.
    """
    if not isinstance(history, Interactions):
        raise TypeError(f"history must be an Interactions, not {type(history).__name__}")
    item_vecs = np.asarray(item_vecs)
    if item_vecs.ndim != 2 or item_vecs.shape[0] != history.n_items:
        raise ValueError(f"item_vecs must have shape (n_items={history.n_items}, d), got {item_vecs.shape}")
    if method not in USER_METHODS:
        raise ValueError(f"method must be one of {USER_METHODS}, got {method!r}")
    d = item_vecs.shape[1]
    if level is None:
        level = d
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not 1 <= level <= d:
        raise ValueError(f"level must be an int in [1, {d}], got {level!r}")
    V = _normalize(item_vecs, level) if normalize_items else np.ascontiguousarray(item_vecs[:, :level],
                                                                                  dtype=np.float32)
    known = np.any(item_vecs != 0, axis=1)

    off = history.offsets
    users, items = history.users, history.items
    n = len(history)
    # age of each event in events: 0 for a user's last row
    age_events = (off[users + 1] - 1 - np.arange(n)).astype(np.float64)
    if method == "mean":
        w = np.ones(n)
    elif method == "last":
        if isinstance(last_n, bool) or not isinstance(last_n, numbers.Integral) or last_n < 1:
            raise ValueError(f"last_n must be an int >= 1, got {last_n!r}")
        w = (age_events < last_n).astype(np.float64)
    else:
        if not isinstance(half_life, numbers.Real) or not half_life > 0:
            raise ValueError(f"half_life must be a positive number, got {half_life!r}")
        if time_unit == "events":
            age = age_events
        elif time_unit == "time":
            last_t = history.timestamps[np.maximum(off[1:] - 1, 0)]
            age = (last_t[users] - history.timestamps).astype(np.float64)
        else:
            raise ValueError(f"time_unit must be 'events' or 'time', got {time_unit!r}")
        w = np.exp2(-age / float(half_life))
    if use_weights:
        if history.weights is None:
            raise ValueError("use_weights=True but the interactions have no weights")
        w = w * history.weights
    w = w * known[items]
    W = sp.csr_matrix((w.astype(np.float32), (users, items)), shape=(history.n_users, history.n_items))
    U = np.asarray(W @ V, dtype=np.float32)
    total = np.asarray(W.sum(axis=1)).ravel()
    total[total == 0] = 1.0
    U /= total[:, None].astype(np.float32)
    return U
