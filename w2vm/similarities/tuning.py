"""Recall against exact search, and the cheapest funnel setting for a target recall."""
import time

import numpy as np

from w2vm.similarities.base import check_int


def exact_neighbors(index, queries, k=10):
    """Exact top-``k`` ids over the index's live items at full dimension (BLAS)."""
    q, _ = index._check_queries(queries)
    if q.shape[1] != index.dim:
        raise ValueError("exact ground truth needs full-dimension queries")
    slots, _ = index._exact(q, index.dim, min(k, len(index)))
    return np.where(slots >= 0, index._ids[np.maximum(slots, 0)], -1)


def recall_at_k(found, truth):
    """Mean fraction of each row of ``truth`` present in the same row of ``found``."""
    found, truth = np.atleast_2d(found), np.atleast_2d(truth)
    hits = sum(len(np.intersect1d(f[f >= 0], t[t >= 0])) for f, t in zip(found, truth))
    return hits / max(1, (truth >= 0).sum())


def measure_recall(index, queries, k=10, reference=None, n_threads=1, **search_kwargs):
    """Recall@k and queries/s of ``index.search(queries, k, **search_kwargs)``.

    Parameters
    ----------
    reference : int array (q, k), optional
        Exact neighbour ids; computed with :func:`exact_neighbors` when omitted.

    Returns
    -------
    dict with ``recall``, ``qps``, ``seconds`` and the parameters used.
    """
    k = check_int(k, "k", 1)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if reference is None:
        reference = exact_neighbors(index, queries, k)
    t0 = time.perf_counter()
    ids, _ = index.search(queries, k=k, n_threads=n_threads, **search_kwargs)
    dt = time.perf_counter() - t0
    return {"recall": float(recall_at_k(ids, reference)), "qps": len(queries) / max(dt, 1e-9),
            "seconds": dt, **search_kwargs}


def _default_grid(index):
    kind = index.kind
    if kind == "hnsw":
        knob = ("ef", [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 640])
    elif kind == "ivf_flat":
        knob = ("n_probe", [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if v <= index._n_cells]
                or [index._n_cells])
    elif kind == "lsh":
        knob = ("n_probe", [1, 2, 4, 8, 16, 32, 64, 79])
    else:
        knob = (None, [None])
    factors = [1, 2, 4, 8, 16] if index.index_level < index.dim else [None]
    return knob, factors


def sample_queries(index, n_queries=200, seed=0):
    """A random sample of the index's own live vectors, as queries (full dimension)."""
    n_queries = check_int(n_queries, "n_queries", 1)
    live = np.flatnonzero(index._deleted == 0)
    rows = np.random.default_rng(seed).choice(live, size=min(n_queries, live.size), replace=False)
    q = index._vectors[np.sort(rows)]
    if index._rotation is not None:     # stored rotated; search() rotates queries itself
        q = q @ index._rotation.T
    return np.ascontiguousarray(q, dtype=np.float32)


def suggest_params(index, queries=None, k=10, target_recall=0.9, grid=None, n_threads=1, repeats=1,
                   n_queries=200, seed=0):
    """Cheapest search setting of ``index`` reaching ``target_recall`` on ``queries``.

    Sweeps the index's knob (``ef`` or ``n_probe``) upwards for each funnel
    ``shortlist_factor`` and keeps the first setting reaching the target;
    among those, the one with the highest measured queries/s wins.

    Parameters
    ----------
    queries : array (q, d), optional
        Held-out queries; default: ``n_queries`` of the index's own vectors
        (each finds itself in both the exact and the approximate answer).
    grid : (name, values), optional
        Override the knob sweep, e.g. ``("ef", [16, 32, 64])``.
    repeats : int
        Timings are the best of this many runs (shared machines are noisy).

    Returns
    -------
    dict
        ``params`` (kwargs for ``search``, or None if the target was never
        reached), ``recall``, ``qps`` and ``trials`` (every measurement).
    """
    if not 0 < target_recall <= 1:
        raise ValueError(f"target_recall must be in (0, 1], got {target_recall}")
    if queries is None:
        queries = sample_queries(index, n_queries, seed)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    reference = exact_neighbors(index, queries, k)
    (name, values), factors = _default_grid(index)
    if grid is not None:
        name, values = grid
    trials, best = [], None
    for sf in factors:
        for v in values:
            kwargs = {}
            if name is not None:
                kwargs[name] = v
            if sf is not None:
                kwargs["shortlist_factor"] = sf
            runs = [measure_recall(index, queries, k, reference, n_threads, **kwargs)
                    for _ in range(max(1, repeats))]
            res = max(runs, key=lambda r: r["qps"])
            trials.append(res)
            if res["recall"] >= target_recall:
                if best is None or res["qps"] > best["qps"]:
                    best = res
                break
    if best is None:
        return {"params": None, "recall": None, "qps": None, "trials": trials}
    params = {key: best[key] for key in best if key not in ("recall", "qps", "seconds")}
    return {"params": params, "recall": best["recall"], "qps": best["qps"], "trials": trials}
