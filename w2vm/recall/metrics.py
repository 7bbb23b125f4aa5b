"""Top-K metrics over all users at once: recall, hit rate, NDCG, MRR, coverage.

Relevance is binary: an item is relevant to a user if it appears in the
user's test interactions (duplicates count once). Every metric is averaged
over the users that have at least one test item.
"""
import numbers

import numpy as np

from w2vm.recall.interactions import Interactions

__all__ = ["DEFAULT_KS", "evaluate", "format_table"]

DEFAULT_KS = (10, 50, 100, 200)


def evaluate(recs, test, users=None, ks=DEFAULT_KS, n_items=None):
    """Metrics of top-K lists against held-out interactions.

    Parameters
    ----------
    recs : int array (n, K)
        Item codes per row, best first; ``-1`` pads short lists.
    test : Interactions
        Held-out interactions (same code spaces as the lists).
    users : int array (n,), optional
        User code of each row of ``recs`` (default: row ``u`` is user ``u``).
    ks : sequence of int
        Cut-offs; each must be ``<= K``.
    n_items : int, optional
        Catalogue size for coverage (default: ``test.n_items``).

    Returns
    -------
    dict
        ``recall@k``, ``hit@k``, ``ndcg@k``, ``coverage@k`` for each k, plus
        ``mrr`` (first hit within K) and ``users`` (how many were evaluated).
    """
    if not isinstance(test, Interactions):
        raise TypeError(f"test must be an Interactions, not {type(test).__name__}")
    recs = np.asarray(recs)
    if recs.ndim != 2 or (recs.size and recs.dtype.kind not in "iu"):
        raise ValueError(f"recs must be a 2-d int array (n, K), got shape {recs.shape} dtype {recs.dtype}")
    recs = recs.astype(np.int64)
    n, K = recs.shape
    users = np.arange(n, dtype=np.int64) if users is None else np.asarray(users, dtype=np.int64)
    if users.shape != (n,):
        raise ValueError(f"users must have shape ({n},), got {users.shape}")
    ks = list(ks) if hasattr(ks, "__iter__") and not isinstance(ks, (str, bytes)) else ks
    if not isinstance(ks, list) or not all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in ks):
        raise TypeError(f"ks must be a sequence of ints (cut-offs such as [10, 50]), got {ks!r}")
    ks = sorted({int(x) for x in ks})
    if not ks or ks[0] < 1 or ks[-1] > K:
        raise ValueError(f"ks must be ints in [1, K={K}], got {ks}")
    n_items = test.n_items if n_items is None else int(n_items)

    rel_keys = np.unique(test.users * test.n_items + test.items)
    n_rel_user = np.bincount(rel_keys // test.n_items, minlength=test.n_users)
    n_rel = n_rel_user[users] if users.size and users.max() < test.n_users else np.zeros(n, np.int64)
    active = n_rel > 0
    if not active.any():
        raise ValueError("no row of recs belongs to a user with test interactions")
    R = recs[active]
    nr = n_rel[active].astype(np.float64)
    q = users[active][:, None] * test.n_items + np.maximum(R, 0)
    pos = np.minimum(np.searchsorted(rel_keys, q), rel_keys.size - 1)
    hits = (rel_keys[pos] == q) & (R >= 0)

    discount = 1.0 / np.log2(np.arange(2, K + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discount)])   # ideal[j]: DCG of j hits on top
    cum_hits = np.cumsum(hits, axis=1)
    cum_dcg = np.cumsum(hits * discount, axis=1)
    out = {"users": int(active.sum())}
    for k in ks:
        h = cum_hits[:, k - 1]
        out[f"recall@{k}"] = float(np.mean(h / nr))
        out[f"hit@{k}"] = float(np.mean(h > 0))
        out[f"ndcg@{k}"] = float(np.mean(cum_dcg[:, k - 1] / ideal[np.minimum(nr, k).astype(np.int64)]))
        top = recs[:, :k]
        out[f"coverage@{k}"] = float(np.unique(top[top >= 0]).size / max(n_items, 1))
    first = np.where(hits.any(axis=1), hits.argmax(axis=1), -1)
    out["mrr"] = float(np.mean(np.where(first >= 0, 1.0 / (np.maximum(first, 0) + 1.0), 0.0)))
    return out


def format_table(results, metrics=None, ks=None, digits=4):
    """A plain-text table: one row per method, one column per metric.

    Parameters
    ----------
    results : dict
        ``{method name: metrics dict}`` (as :func:`evaluate` returns, maybe
        with extra numeric fields such as ``train_s``).
    metrics : list of str, optional
        Columns (default: recall/hit/ndcg at each k, then mrr and coverage at the largest k).
    """
    if not results:
        raise ValueError("results is empty")
    if metrics is None:
        first = next(iter(results.values()))
        if ks is None:
            ks = sorted(int(key.split("@")[1]) for key in first if key.startswith("recall@"))
        metrics = ([f"recall@{k}" for k in ks] + [f"hit@{k}" for k in ks] + [f"ndcg@{k}" for k in ks]
                   + ["mrr", f"coverage@{ks[-1]}"])
        metrics += [m for m in ("train_s", "recall_s") if m in first]
    name_w = max(len("method"), *(len(str(name)) for name in results))
    widths = [max(len(m), digits + 2) for m in metrics]
    lines = ["  ".join(["method".ljust(name_w)] + [m.rjust(w) for m, w in zip(metrics, widths)])]
    for name, res in results.items():
        cells = []
        for m, w in zip(metrics, widths):
            v = res.get(m)
            if isinstance(v, numbers.Real) and not isinstance(v, bool):
                cells.append(f"{v:.{digits if not m.endswith('_s') else 2}f}".rjust(w))
            else:
                cells.append(("-" if v is None else str(v)).rjust(w))
        lines.append("  ".join([str(name).ljust(name_w)] + cells))
    return "\n".join(lines)
