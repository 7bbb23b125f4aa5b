"""The whole recall pipeline in one call: load, split, train, user vectors, recall, evaluate.

:func:`run_pipeline` is what ``python -m w2vm recall`` and
``benchmarks/bench_recall.py`` run. Each method (baselines, item2vec at each
Matryoshka level, each index, the optional two-tower model) is scored by
the same :func:`~w2vm.recall.metrics.evaluate` on the same users.
"""
import time

import numpy as np

from w2vm.levels import default_levels
from w2vm.recall.baselines import popularity_recommend, random_recommend
from w2vm.recall.interactions import leave_last_out, load_interactions, random_split, sessionize
from w2vm.recall.item2vec import ITEM2VEC_DEFAULTS, item_vectors, train_item2vec
from w2vm.recall.metrics import DEFAULT_KS, evaluate
from w2vm.recall.retrieval import ItemRecall
from w2vm.recall.users import user_vectors

__all__ = ["SPLITS", "run_pipeline", "split_log"]

SPLITS = ("temporal", "random")


def split_log(log, split="temporal", test_fraction=0.2, seed=1):
    """``(train, test)`` by :func:`leave_last_out` (``'temporal'``) or :func:`random_split`."""
    if split == "temporal":
        return leave_last_out(log)
    if split == "random":
        return random_split(log, test_fraction=test_fraction, seed=seed)
    raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def run_pipeline(source, split="temporal", ks=DEFAULT_KS, *, test_fraction=0.2, min_weight=None,
                 session_gap=None, item2vec=None, levels=None, eval_levels=None, user_method="last",
                 last_n=20, half_life=10.0, time_unit="events", indexes=("brute",), index_level=None,
                 index_params=None, search_params=None, baselines=("popularity", "random"),
                 two_tower=None, seed=1, workers=2, log=None, progress=None):
    """Run the recall pipeline on an interaction log and score every method.

    Parameters
    ----------
    source : path, DataFrame, dict, tuple or Interactions
        See :func:`~w2vm.recall.interactions.load_interactions`.
    split : {'temporal', 'random'}
    ks : sequence of int
    test_fraction : float
        For the random split.
    min_weight : float, optional
        Keep only interactions with at least this weight (e.g. rating >= 4).
    session_gap : number, optional
        Split each user's training history into sessions at gaps above this
        (timestamp units) before item2vec; ``None``: one sequence per user.
    item2vec : dict, optional
        Overrides of :data:`~w2vm.recall.item2vec.ITEM2VEC_DEFAULTS`
        (``vector_size``, ``window``, ``epochs`` ...).
    levels : list of int, optional
        Matryoshka levels (default ``[d/4, d/2, d]``).
    eval_levels : list of int, optional
        Prefixes scored with exact search (default: every level).
    user_method, last_n, half_life, time_unit
        See :func:`~w2vm.recall.users.user_vectors`.
    indexes : sequence of str
        ``'brute'``, ``'hnsw'``, ``'ivf'`` or ``'lsh'``, optionally with
        ``'@M'`` (e.g. ``'hnsw@25'``): built and walked at prefix ``M``,
        re-ranked on the full vector (funnel). Without ``@M``, approximate
        indexes use ``index_level`` (default: the full vector). The exact
        per-level rows come from ``eval_levels``.
    index_params : dict, optional
        ``{kind: {param: value}}`` for the index constructors.
    search_params : dict, optional
        ``{kind: {param: value}}`` per search (e.g. ``{'hnsw': {'ef': 200}}``).
    baselines : sequence of {'popularity', 'random'}
    two_tower : dict, optional
        Train :class:`~w2vm.recall.torch_two_tower.TwoTower` with these
        parameters (needs torch) and score it with the exact index.
    seed, workers : int
    log : callable, optional
        Called with progress strings.
    progress : callable, optional
        ``progress(step, n_steps, label)`` as each step starts (``step`` from
        0), and ``progress(n_steps, n_steps, 'done')`` at the end: for a
        progress bar.

    Returns
    -------
    dict
        ``results``: ``{method: metrics (+ train_s, recall_s)}``; ``info``:
        data sizes, parameters and timings.
    """
    say = log or (lambda msg: None)
    ks = sorted({int(k) for k in ks})
    kmax = ks[-1]
    step = _Steps(progress, baselines, item2vec, levels, eval_levels, indexes, index_level, two_tower)
    t_start = time.perf_counter()
    t0 = time.perf_counter()
    step("loading the interactions")
    data = load_interactions(source, min_weight=min_weight)
    train, test = split_log(data, split, test_fraction, seed)
    users = np.flatnonzero(test.counts_per_user() > 0)
    if users.size == 0:
        raise ValueError("the split left no user with test interactions")
    load_s = time.perf_counter() - t0
    say(f"{len(data)} interactions, {data.n_users} users, {data.n_items} items; "
        f"{split} split: {len(train)} train, {len(test)} test rows for {users.size} users")
    results = {}

    def score(name, recs, train_s, recall_s, **extra):
        res = evaluate(recs, test, users=users, ks=ks, n_items=data.n_items)
        res.update(train_s=train_s, recall_s=recall_s, **extra)
        results[name] = res
        say(f"{name}: recall@{ks[0]} {res[f'recall@{ks[0]}']:.4f}, recall@{kmax} "
            f"{res[f'recall@{kmax}']:.4f} ({recall_s:.2f} s)")

    for b in baselines:
        step(f"{b} baseline")
        t0 = time.perf_counter()
        if b == "popularity":
            recs, _ = popularity_recommend(train, k=kmax, users=users)
        elif b == "random":
            recs, _ = random_recommend(train, k=kmax, users=users, seed=seed)
        else:
            raise ValueError(f"unknown baseline {b!r}: expected 'popularity' or 'random'")
        score(b, recs, 0.0, time.perf_counter() - t0)

    params = dict(item2vec or {})
    d = int(params.get("vector_size", ITEM2VEC_DEFAULTS["vector_size"]))
    step("training item2vec")
    t0 = time.perf_counter()
    seqs = sessionize(train, gap=session_gap, min_length=2)
    model = train_item2vec(seqs, levels=levels, seed=seed, workers=workers, **params)
    train_s = time.perf_counter() - t0
    say(f"item2vec: {len(model.wv)} items, d={d}, levels {model.levels}, trained in {train_s:.1f} s")
    V, _known = item_vectors(model.wv, train.item_labels)
    uv = dict(method=user_method, last_n=last_n, half_life=half_life, time_unit=time_unit)
    index_params = index_params or {}
    search_params = search_params or {}

    counts = train.item_counts()   # popularity for users without a known item (cold users)
    eval_levels = list(model.levels) if eval_levels is None else [int(m) for m in eval_levels]
    for m in eval_levels:
        step(f"exact recall at d={m}")
        t0 = time.perf_counter()
        U = user_vectors(train, V, level=m, **uv)
        rec = ItemRecall(V[:, :m], index="brute")
        recs, _ = rec.recommend(U, k=kmax, exclude=train, users=users, fallback=counts)
        score(f"item2vec d={m} exact", recs, train_s, time.perf_counter() - t0)
    U_full = user_vectors(train, V, **uv)
    for spec in indexes:
        kind, _, walk = str(spec).partition("@")
        level = int(walk) if walk else (index_level if kind != "brute" else None)
        if kind == "brute" and level is None and d in eval_levels:
            continue   # already scored as "exact"
        step(f"{spec} index: build and recall")
        t0 = time.perf_counter()
        rec = ItemRecall(V, index=kind, level=level, **index_params.get(kind, {}))
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        recs, _ = rec.recommend(U_full, k=kmax, exclude=train, users=users, fallback=counts,
                                **search_params.get(kind, {}))
        tag = f"item2vec d={d} {kind}" + (f" walk@{level}" if level and level < d else "")
        score(tag, recs, train_s, time.perf_counter() - t0, build_s=build_s)

    if two_tower is not None:
        from w2vm.recall.torch_two_tower import train_two_tower

        step("training the two-tower model")
        t0 = time.perf_counter()
        tt = train_two_tower(train, V, levels=model.levels, seed=seed, **two_tower)
        tt_train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        item_kv, U_tt = tt.export(train)
        tt_items, _ = item_vectors(item_kv, train.item_labels)
        recs, _ = ItemRecall(tt_items).recommend(U_tt, k=kmax, exclude=train, users=users, fallback=counts)
        score(f"two-tower d={d} exact", recs, train_s + tt_train_s, time.perf_counter() - t0,
              two_tower_train_s=tt_train_s)

    info = {
        "interactions": len(data), "users": data.n_users, "items": data.n_items,
        "train_rows": len(train), "test_rows": len(test), "eval_users": int(users.size),
        "split": split, "ks": ks, "vector_size": d, "levels": list(model.levels),
        "item2vec": {**ITEM2VEC_DEFAULTS, **params}, "user_method": uv, "sequences": len(seqs),
        "load_s": load_s, "item2vec_train_s": train_s, "total_s": time.perf_counter() - t_start,
    }
    step.finish()
    return {"results": results, "info": info}


class _Steps:
    """Counts the pipeline's steps for ``progress(step, n_steps, label)``; the count is planned up front."""

    def __init__(self, progress, baselines, item2vec, levels, eval_levels, indexes, index_level, two_tower):
        self.progress, self.done = progress, 0
        d = int(dict(item2vec or {}).get("vector_size", ITEM2VEC_DEFAULTS["vector_size"]))
        planned = list(eval_levels if eval_levels is not None else levels if levels is not None
                       else default_levels(d))
        exact_full = sum(1 for spec in indexes if str(spec) == "brute" and index_level is None and d in planned)
        self.total = (1 + len(baselines) + 1 + len(planned) + len(indexes) - exact_full
                      + (1 if two_tower is not None else 0))

    def __call__(self, label):
        if self.progress is not None:
            self.progress(min(self.done, self.total - 1), self.total, label)
        self.done += 1

    def finish(self):
        if self.progress is not None:
            self.progress(self.total, self.total, "done")
