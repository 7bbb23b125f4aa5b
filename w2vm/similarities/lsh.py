"""Random-hyperplane LSH with several tables and multi-probe, re-ranked exactly."""
import math

import numpy as np

from w2vm.similarities import _lsh
from w2vm.similarities.base import BaseIndex, check_int


class LSHIndex(BaseIndex):
    """Sign-of-random-projection hashing (Charikar's SimHash) in ``n_tables`` tables.

    Parameters
    ----------
    n_bits : int, optional
        Bits per signature (<= 64); default ``round(log2(n / 8))`` within [4, 64]:
        about eight items per bucket.
    n_tables : int
        Independent hash tables; more tables raise recall and memory.
    n_probe : int
        Buckets visited per table (per-query knob): the query's own and those
        one or two bit-flips away, cheapest flips first.
    seed : int, optional
        Seeds the hyperplanes.
    metric, index_level, shortlist_factor, n_threads, rotation
        See :class:`~w2vm.similarities.base.BaseIndex`.

    Notes
    -----
    Hyperplanes through the origin approximate angles, so cosine is the
    natural metric; every candidate is scored exactly with the chosen metric.
    """

    kind = "lsh"
    _query_param_names = ("n_probe",)

    def __init__(self, n_bits=None, n_tables=16, n_probe=24, seed=None, metric="cosine",
                 index_level=None, shortlist_factor=4, n_threads=None, rotation=None):
        super().__init__(metric=metric, index_level=index_level, shortlist_factor=shortlist_factor,
                         n_threads=n_threads, rotation=rotation)
        self.n_bits = None if n_bits is None else check_int(n_bits, "n_bits", 1, 64)
        self.n_tables = check_int(n_tables, "n_tables", 1, 1024)
        self.n_probe = check_int(n_probe, "n_probe", 1, 1 << 16)
        self.seed = None if seed is None else check_int(seed, "seed", 0)
        self._planes = None

    def _params(self):
        p = super()._params()
        p.update(n_bits=self.n_bits, n_tables=self.n_tables, n_probe=self.n_probe, seed=self.seed,
                 n_threads=self.n_threads)
        return p

    def _check_params(self, params):
        params = super()._check_params(params)
        if "n_probe" in params:
            params["n_probe"] = check_int(params["n_probe"], "n_probe", 1, 1 << 16)
        return params

    @property
    def bits(self):
        return self._planes.shape[0] // self.n_tables

    def _signatures(self, X):
        B = self.bits
        weights = (np.uint64(1) << np.arange(B, dtype=np.uint64))
        out = np.empty((self.n_tables, len(X)), np.uint64)
        step = max(1, (1 << 22) // self._planes.shape[0])
        for s in range(0, len(X), step):
            P = X[s:s + step] @ self._planes.T > 0             # (chunk, T*B)
            P = P.reshape(len(P), self.n_tables, B).astype(np.uint64)
            out[:, s:s + step] = (P * weights).sum(axis=2, dtype=np.uint64).T
        return out

    def _build_structure(self):
        n = len(self._ids)
        B = self.n_bits or int(min(64, max(4, round(math.log2(max(n, 2) / 8)))))
        rng = np.random.default_rng(self.seed)
        self._planes = rng.standard_normal((self.n_tables * B, self.index_level)).astype(np.float32)
        self._sigs = self._signatures(self._data)
        self._rebuild_tables()

    def _add_structure(self, new_slots):
        self._sigs = np.concatenate([self._sigs, self._signatures(self._data[new_slots])], axis=1)
        self._rebuild_tables()

    def _on_remove(self, slots):
        self._rebuild_tables()

    def _rebuild_tables(self):
        live = np.flatnonzero(self._deleted == 0)
        sigs = self._sigs[:, live]
        order = np.argsort(sigs, axis=1, kind="stable")
        self._keys_sorted = np.ascontiguousarray(np.take_along_axis(sigs, order, axis=1))
        self._slots_sorted = np.ascontiguousarray(live[order].astype(np.int32))

    def _search_slots(self, queries, n_out, allowed, n_threads, params):
        n_probe = min(params.get("n_probe", self.n_probe), _lsh.max_probes(self.bits))
        n_threads = max(1, min(n_threads, len(queries)))
        out_ids = np.empty((len(queries), n_out), np.int32)
        out_d = np.empty((len(queries), n_out), np.float32)
        pooled = self._borrow_visited(n_threads)
        try:
            _lsh.query(self._planes, self._keys_sorted, self._slots_sorted, self._data, queries,
                       self.bits, n_probe, 1 if self.metric == "l2" else 0, allowed,
                       pooled[0], pooled[1], n_threads, out_ids, out_d)
        finally:
            self._return_visited(pooled)
        return out_ids, out_d

    def _state_arrays(self):
        return {"planes": self._planes, "signatures": self._sigs}

    def _set_state(self, meta, arrays):
        planes, sigs = arrays["planes"], arrays["signatures"]
        n = len(self._ids)
        if planes.dtype != np.float32 or planes.ndim != 2 or planes.shape[1] != self.index_level \
                or planes.shape[0] % self.n_tables or not 1 <= planes.shape[0] // self.n_tables <= 64:
            raise ValueError(f"planes must be float32 (n_tables * n_bits, {self.index_level})")
        if sigs.dtype != np.uint64 or sigs.shape != (self.n_tables, n):
            raise ValueError(f"signatures must be uint64 ({self.n_tables}, {n})")
        self._planes = np.ascontiguousarray(planes)
        self._sigs = np.array(sigs)
        self._rebuild_tables()
