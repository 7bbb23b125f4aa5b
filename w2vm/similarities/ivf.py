"""IVF-Flat: k-means cells, inverted lists stored as CSR, exact scan of ``n_probe`` lists."""
import math

import numpy as np
from scipy import sparse

from w2vm.similarities import _ivf
from w2vm.similarities.base import BaseIndex, check_int


def _nearest_centroid(X, C, metric, chunk=4096):
    """Index of the best centroid per row, by BLAS products (numpy ``@`` = sgemm)."""
    out = np.empty(len(X), np.int32)
    csq = np.einsum("ij,ij->i", C, C) if metric == "l2" else None
    for s in range(0, len(X), chunk):
        S = X[s:s + chunk] @ C.T
        if metric == "l2":
            S = 2 * S - csq[None, :]      # argmax of 2x.c - |c|^2 = argmin |x - c|^2
        out[s:s + chunk] = np.argmax(S, axis=1)
    return out


def kmeans(X, n_clusters, n_iter=10, metric="cosine", seed=None, init="random"):
    """Lloyd's k-means; spherical (unit centroids) for cosine.

    ``init='random'`` picks random points (faiss's choice); ``'k-means++'``
    seeds by D^2 sampling. On word vectors k-means++ seeds the isolated
    rare-word vectors first and leaves the dense regions in few, big cells
    (largest list 2,334 against 1,359 on 243k w2vm vectors), which makes
    probes scan more: bench_index.py measured 0.96-0.98x faiss's queries/s at
    recall 0.90 for k-means++ against 1.01-1.06x for random seeding.

    Returns float32 centroids of shape (n_clusters, d).
    """
    rng = np.random.default_rng(seed)
    n = len(X)
    n_clusters = min(n_clusters, n)
    C = np.empty((n_clusters, X.shape[1]), np.float32)
    if init == "random":
        C[:] = X[np.sort(rng.choice(n, size=n_clusters, replace=False))]
    else:
        # k-means++ on a sample: each step is one matrix-vector product.
        sample = X[rng.choice(n, size=min(n, 32 * n_clusters), replace=False)] if n > 32 * n_clusters else X
        xsq = np.einsum("ij,ij->i", sample, sample)
        C[0] = sample[rng.integers(len(sample))]
        d2 = np.maximum(xsq - 2 * sample @ C[0] + C[0] @ C[0], 0)
        for c in range(1, n_clusters):
            total = d2.sum()
            idx = rng.integers(len(sample)) if not total > 0 else \
                min(int(np.searchsorted(np.cumsum(d2), rng.random() * total)), len(sample) - 1)
            C[c] = sample[idx]
            np.minimum(d2, np.maximum(xsq - 2 * sample @ C[c] + C[c] @ C[c], 0), out=d2)
    # Up to 256 points per cell, as faiss: fewer leave big, unbalanced cells
    # (k-means++ seeds outliers first), and every probe of a big cell costs.
    train = X[rng.choice(n, size=min(n, 256 * n_clusters), replace=False)] if n > 256 * n_clusters else X
    # Spherical case: points and centroids are unit vectors, so the nearest
    # centroid is the one of largest inner product; no |c|^2 correction pass.
    assign_metric = "cosine" if metric == "cosine" else "l2"
    for _ in range(n_iter):
        assign = _nearest_centroid(train, C, assign_metric)
        counts = np.bincount(assign, minlength=n_clusters)
        # Per-cell sums as one sparse product (np.add.at is far slower).
        onehot = sparse.csr_matrix((np.ones(len(train), np.float32), (assign, np.arange(len(train)))),
                                   shape=(n_clusters, len(train)))
        sums = np.asarray(onehot @ train, dtype=np.float64)
        nonempty = counts > 0
        C[nonempty] = (sums[nonempty] / counts[nonempty, None]).astype(np.float32)
        empty = np.flatnonzero(~nonempty)
        if empty.size:  # re-seed empty cells on random points
            C[empty] = train[rng.choice(len(train), size=empty.size, replace=False)]
        if metric == "cosine":
            nrm = np.linalg.norm(C, axis=1)
            nrm[nrm == 0] = 1
            C /= nrm[:, None]
    return np.ascontiguousarray(C, dtype=np.float32)


class IVFFlatIndex(BaseIndex):
    """Inverted-file index with exact (flat) vectors, as faiss's IndexIVFFlat.

    Parameters
    ----------
    n_lists : int, optional
        Number of k-means cells; default ``round(2 * sqrt(n))``.
    n_probe : int, optional
        Cells scanned per query (per-query knob); default ``max(8, n_lists // 16)``.
    n_iter : int
        k-means iterations.
    init : {'random', 'k-means++'}
        k-means seeding (see :func:`kmeans`): random points by default, as
        faiss, since it gave balanced cells and faster probes on word vectors.
    seed : int, optional
        Seeds k-means.
    metric, index_level, shortlist_factor, n_threads, rotation
        See :class:`~w2vm.similarities.base.BaseIndex`.

    Notes
    -----
    Centroids are trained by :meth:`build`; :meth:`add` assigns new vectors
    to the existing cells. Removing marks items deleted and the lists are
    compacted once half of them are.
    """

    kind = "ivf_flat"
    _query_param_names = ("n_probe",)

    def __init__(self, n_lists=None, n_probe=None, n_iter=10, seed=None, init="random", metric="cosine",
                 index_level=None, shortlist_factor=4, n_threads=None, rotation=None):
        super().__init__(metric=metric, index_level=index_level, shortlist_factor=shortlist_factor,
                         n_threads=n_threads, rotation=rotation)
        self.n_lists = None if n_lists is None else check_int(n_lists, "n_lists", 1, 1 << 24)
        self.n_probe = None if n_probe is None else check_int(n_probe, "n_probe", 1, 1 << 24)
        self.n_iter = check_int(n_iter, "n_iter", 0, 1000)
        self.seed = None if seed is None else check_int(seed, "seed", 0)
        if init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++' or 'random', got {init!r}")
        self.init = init
        self._centroids = None

    def _params(self):
        p = super()._params()
        p.update(n_lists=self.n_lists, n_probe=self.n_probe, n_iter=self.n_iter, seed=self.seed, init=self.init,
                 n_threads=self.n_threads)
        return p

    def _check_params(self, params):
        params = super()._check_params(params)
        if "n_probe" in params:
            params["n_probe"] = check_int(params["n_probe"], "n_probe", 1, 1 << 24)
        return params

    @property
    def _n_cells(self):
        return len(self._centroids)

    def _build_structure(self):
        n = len(self._ids)
        n_lists = self.n_lists or max(1, int(round(2 * math.sqrt(n))))
        self._centroids = kmeans(self._data, min(n_lists, n), self.n_iter, self.metric, self.seed, self.init)
        self._assign = _nearest_centroid(self._data, self._centroids, self.metric)
        self._rebuild_lists()

    def _add_structure(self, new_slots):
        new = _nearest_centroid(self._data[new_slots], self._centroids, self.metric)
        self._assign = np.concatenate([self._assign, new])
        self._rebuild_lists()

    def _rebuild_lists(self):
        live = np.flatnonzero(self._deleted == 0)
        order = live[np.argsort(self._assign[live], kind="stable")]
        counts = np.bincount(self._assign[live], minlength=self._n_cells)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._list_slots = order.astype(np.int32)
        # Vectors copied in list order: a probe then scans contiguous memory.
        self._list_data = np.ascontiguousarray(self._data[order])

    def _on_remove(self, slots):
        self._rebuild_lists()

    def default_n_probe(self):
        return self.n_probe or max(8, self._n_cells // 16)

    def _search_slots(self, queries, n_out, allowed, n_threads, params):
        n_probe = min(params.get("n_probe", self.default_n_probe()), self._n_cells)
        probes = np.ascontiguousarray(
            self._top_cells(queries, n_probe), dtype=np.int32)
        out_ids = np.empty((len(queries), n_out), np.int32)
        out_d = np.empty((len(queries), n_out), np.float32)
        _ivf.scan(self._list_data, self._list_slots, self._offsets, probes, queries,
                  1 if self.metric == "l2" else 0, allowed, max(1, min(n_threads, len(queries))),
                  out_ids, out_d)
        return out_ids, out_d

    def _top_cells(self, queries, n_probe):
        S = queries @ self._centroids.T
        if self.metric == "l2":
            S = 2 * S - np.einsum("ij,ij->i", self._centroids, self._centroids)[None, :]
        if n_probe >= S.shape[1]:
            return np.broadcast_to(np.arange(S.shape[1]), S.shape)
        return np.argpartition(-S, n_probe - 1, axis=1)[:, :n_probe]

    def _state_arrays(self):
        return {"centroids": self._centroids, "assign": self._assign}

    def _set_state(self, meta, arrays):
        C, assign = arrays["centroids"], arrays["assign"]
        n = len(self._ids)
        if C.dtype != np.float32 or C.ndim != 2 or C.shape[1] != self.index_level or len(C) < 1:
            raise ValueError(f"centroids must be float32 (n_lists, {self.index_level})")
        if assign.dtype != np.int32 or assign.shape != (n,) or (n and (assign.min() < 0 or assign.max() >= len(C))):
            raise ValueError("assign must be int32 cell numbers, one per item")
        self._centroids = np.ascontiguousarray(C)
        self._assign = np.array(assign)
        self._rebuild_lists()
