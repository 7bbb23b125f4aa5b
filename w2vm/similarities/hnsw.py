"""HNSW: a layered proximity graph (Malkov & Yashunin), native core in ``_hnsw.pyx``."""
import math

import numpy as np

from w2vm.similarities import _hnsw
from w2vm.similarities.base import BaseIndex, append_rows, check_int

_MAX_LEVEL = 31


class HNSWIndex(BaseIndex):
    """Hierarchical navigable small-world graph.

    Parameters
    ----------
    M : int
        Links per node on levels >= 1 (2M on level 0), as in hnswlib.
    ef_construction : int
        Size of the candidate list while inserting.
    ef : int
        Default size of the candidate list while searching (at least ``k``,
        and at least the funnel's shortlist); settable per query and saved.
    seed : int, optional
        Seeds the level draws. With ``n_threads=1`` the graph is deterministic;
        parallel insertion order depends on thread timing.
    metric, index_level, shortlist_factor, n_threads, rotation
        See :class:`~w2vm.similarities.base.BaseIndex`.

    Notes
    -----
    ``remove`` marks items deleted: they still route searches but are never
    returned. :meth:`compact` rebuilds without them (not automatic: a
    rebuild costs as much as the first build).
    """

    kind = "hnsw"
    _query_param_names = ("ef",)
    _auto_compact = False

    def __init__(self, M=16, ef_construction=200, ef=50, seed=None, metric="cosine",
                 index_level=None, shortlist_factor=4, n_threads=None, rotation=None):
        super().__init__(metric=metric, index_level=index_level, shortlist_factor=shortlist_factor,
                         n_threads=n_threads, rotation=rotation)
        self.M = check_int(M, "M", 2, 2048)
        self.ef_construction = check_int(ef_construction, "ef_construction", 1, 1 << 20)
        self.ef = check_int(ef, "ef", 1, 1 << 20)
        self.seed = None if seed is None else check_int(seed, "seed", 0)
        self._rng = np.random.default_rng(seed)
        self._clear_graph()

    def _clear_graph(self):
        self._links0 = np.zeros((0, 2 * self.M + 1), np.int32)
        self._levels = np.zeros(0, np.int32)
        self._upper_off = np.zeros(0, np.int64)
        self._upper = np.zeros(1, np.int32)   # never empty: native code takes &upper[0]
        self._state = np.array([-1, -1], np.int64)  # entry point, max level

    def _params(self):
        p = super()._params()
        p.update(M=self.M, ef_construction=self.ef_construction, ef=self.ef, seed=self.seed,
                 n_threads=self.n_threads)
        return p

    def _check_params(self, params):
        params = super()._check_params(params)
        if "ef" in params:
            params["ef"] = check_int(params["ef"], "ef", 1, 1 << 20)
        return params

    # ----------------------------------------------------------------- building
    def _draw_levels(self, n):
        # Level ~ floor(-ln U * mL), mL = 1/ln M: each level holds ~1/M of the one below.
        u = 1.0 - self._rng.random(n)          # (0, 1]
        lv = np.floor(-np.log(u) / math.log(self.M)).astype(np.int64)
        return np.minimum(lv, _MAX_LEVEL).astype(np.int32)

    def _grow(self, n_new):
        """Append zeroed link storage for ``n_new`` nodes; returns their levels."""
        levels = self._draw_levels(n_new)
        block = self.M + 1
        start = len(self._upper)
        sizes = levels.astype(np.int64) * block
        offs = start + np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        offs[levels == 0] = 0
        spare = self._spare
        self._upper = append_rows(self._upper, np.zeros(int(sizes.sum()), np.int32), spare)
        self._links0 = append_rows(self._links0, np.zeros((n_new, 2 * self.M + 1), np.int32), spare)
        self._levels = append_rows(self._levels, levels, spare)
        self._upper_off = append_rows(self._upper_off, offs, spare)
        return levels

    def _insert(self, slots):
        if len(slots) == 0:
            return
        if self._state[0] < 0:
            first = int(slots[0])
            self._state[:] = [first, self._levels[first]]
            slots = slots[1:]
        nt = self.n_threads
        visited = np.zeros((nt, len(self._ids)), np.uint16)
        tags = np.zeros(nt, np.uint16)
        _hnsw.insert_batch(self._data, self._links0, self._levels, self._upper_off, self._upper,
                           self.M, self._metric_code(), np.ascontiguousarray(slots, np.int32),
                           self.ef_construction, self._state, visited, tags, nt)

    def _metric_code(self):
        return 1 if self.metric == "l2" else 0

    def _build_structure(self):
        if len(self._ids) >= 2**31 - 1:
            raise ValueError("HNSWIndex holds at most 2**31 - 2 items")
        self._rng = np.random.default_rng(self.seed)
        self._clear_graph()
        self._grow(len(self._ids))
        self._insert(np.arange(len(self._ids), dtype=np.int32))

    def _add_structure(self, new_slots):
        if len(self._ids) >= 2**31 - 1:
            raise ValueError("HNSWIndex holds at most 2**31 - 2 items")
        if not self._state.flags.writeable:
            self._state = np.array(self._state)
        self._grow(len(new_slots))
        self._insert(new_slots)

    # ----------------------------------------------------------------- search
    def _search_slots(self, queries, n_out, allowed, n_threads, params):
        ef = max(params.get("ef", self.ef), n_out)
        n_threads = max(1, min(n_threads, len(queries)))
        out_ids = np.empty((len(queries), n_out), np.int32)
        out_d = np.empty((len(queries), n_out), np.float32)
        pooled = self._borrow_visited(n_threads)
        try:
            _hnsw.search_batch(self._data, self._links0, self._levels, self._upper_off, self._upper,
                               self.M, self._metric_code(), int(self._state[0]), int(self._state[1]),
                               queries, ef, allowed, pooled[0], pooled[1], n_threads, out_ids, out_d)
        finally:
            self._return_visited(pooled)
        return out_ids, out_d

    # ------------------------------------------------------------ persistence
    def _state_arrays(self):
        return {"links0": self._links0, "levels": self._levels, "upper_off": self._upper_off,
                "upper": self._upper, "entry": self._state}

    def _set_state(self, meta, arrays):
        n = len(self._ids)
        M = self.M
        links0, levels = arrays["links0"], arrays["levels"]
        upper_off, upper, state = arrays["upper_off"], arrays["upper"], arrays["entry"]
        if links0.dtype != np.int32 or links0.shape != (n, 2 * M + 1) or not links0.flags.c_contiguous:
            raise ValueError(f"links0 must be C-ordered int32 ({n}, {2 * M + 1})")
        if levels.dtype != np.int32 or levels.shape != (n,):
            raise ValueError("levels must be int32, one per item")
        if upper_off.dtype != np.int64 or upper_off.shape != (n,):
            raise ValueError("upper_off must be int64, one per item")
        if upper.dtype != np.int32 or upper.ndim != 1 or upper.shape[0] < 1:
            raise ValueError("upper must be a non-empty 1-d int32 array")
        if state.dtype != np.int64 or state.shape != (2,):
            raise ValueError("entry must be int64 [entry point, max level]")
        if n == 0:
            raise ValueError("an index must hold at least one item")
        if levels.min() < 0 or levels.max() > _MAX_LEVEL:
            raise ValueError("node levels out of range")
        # Level 0: counts in [0, 2M] and every used link a valid node.
        counts = links0[:, 0]
        if counts.min() < 0 or counts.max() > 2 * M:
            raise ValueError("level-0 link counts out of range")
        used = np.arange(2 * M)[None, :] < counts[:, None]
        body = links0[:, 1:]
        if used.any() and (body[used].min() < 0 or body[used].max() >= n):
            raise ValueError("level-0 links point outside the index")
        # Upper levels: every block inside the pool, counts in [0, M], links valid.
        has = levels > 0
        block = M + 1
        if has.any():
            if upper_off[has].min() < 1 or upper_off[has].max() > upper.shape[0]:
                raise ValueError("upper-level blocks outside the link pool")
            ends = upper_off[has] + levels[has].astype(np.int64) * block  # cannot overflow now
            if ends.max() > upper.shape[0]:
                raise ValueError("upper-level blocks outside the link pool")
            blk_level = np.concatenate([np.arange(1, lv + 1) for lv in levels[has]])
            starts = np.repeat(upper_off[has], levels[has]) + (blk_level - 1) * block
            cnt = upper[starts]
            if cnt.min() < 0 or cnt.max() > M:
                raise ValueError("upper-level link counts out of range")
            pos = starts[:, None] + 1 + np.arange(M)[None, :]
            valid = np.arange(M)[None, :] < cnt[:, None]
            vals = upper[pos[valid]]
            if vals.size and (vals.min() < 0 or vals.max() >= n):
                raise ValueError("upper-level links point outside the index")
            # A link at level l must reach a node that has level l, or the walk
            # would read a block the target does not own.
            if vals.size and (levels[vals] < np.repeat(blk_level, cnt)).any():
                raise ValueError("upper-level links point to nodes without that level")
        entry, max_level = int(state[0]), int(state[1])
        if not 0 <= entry < n or levels[entry] != max_level:
            raise ValueError("entry point or max level inconsistent with the graph")
        self._links0, self._levels, self._upper_off, self._upper = links0, levels, upper_off, upper
        self._state = state
        self._rng = np.random.default_rng(None if self.seed is None else self.seed + n)
