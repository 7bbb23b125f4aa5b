"""The contract every w2vm index follows, and the machinery they share.

An index stores, per *slot* (row): the raw full vector (``_vectors``, which may
be the caller's array or a memory map, never copied unless needed), a caller
*id* (int64; row numbers by default), a deleted flag, and ``_data``: the
contiguous float32 prefix ``v[:index_level]`` the native code walks
(unit-normalised for cosine). Subclasses add their structure (graph, lists,
tables) and implement ``_search_slots``.

Search is a Matryoshka funnel: the structure returns a shortlist of
``k * shortlist_factor`` slots scored on the ``index_level`` prefix, which is
re-ranked exactly on longer prefixes (``levels``), ending at the full vector.
When the index is built on the full vector there is nothing to re-rank.

Scores: cosine and inner product return similarities (larger is closer);
``'l2'`` returns squared Euclidean distances (smaller is closer).
"""
import abc
import json
import numbers
import os
import threading

import numpy as np

from w2vm.levels import check_query_level, validate_levels
from w2vm.similarities import _common
from w2vm.utils import ParameterTypeError

METRICS = ("cosine", "ip", "l2")
FORMAT_NAME = "w2vm-index"
FORMAT_VERSION = 1
_MAX_K = 1 << 20  # far above any sensible top-K; keeps native buffers bounded


def check_int(value, name, low, high=None):
    """Return ``value`` as int, or raise ``ValueError`` (``ParameterTypeError`` for a non-int) naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        rng = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be in {rng}, got {value}")
    return value


def _check_index_path(path, for_load=False):
    """An index path is a prefix (``path.json``, ``path.ids.npy``, ...), never a folder."""
    path = os.fspath(path)
    if isinstance(path, str) and (path.endswith(("/", os.sep))
                                  or (os.path.isdir(path) and not (for_load and os.path.exists(path + ".json")))):
        raise IsADirectoryError(f"{path!r} is a directory; an index is named by a path prefix such as "
                                f"{os.path.join(path, 'words')!r} (for words.json, words.ids.npy, ...)")
    return path


def _plain_file_name(name):
    """An array file named in the JSON: a bare name in the index's folder, nothing that leads elsewhere."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name \
            or os.path.basename(name) != name:
        raise ValueError(f"array file {name!r} must be a plain file name in the index's folder")
    return name


def _referenced_vectors(folder, ref, jpath):
    """The path of the JSON's ``vectors_file`` reference, or None; it must stay inside ``folder``.

    The check is on the path as written (after normalising ``..``): a saved
    index references its KeyedVectors' ``.npy`` relative to its own folder.
    """
    if ref is None or ref == "":
        return None
    if not isinstance(ref, str) or "\0" in ref or not ref.endswith(".npy"):
        raise ValueError(f"{jpath}: vectors_file {ref!r} must be the relative path of a .npy file")
    target = os.path.normpath(os.path.join(folder, ref))
    if os.path.isabs(ref) or os.path.splitdrive(ref)[0] or os.path.commonpath([folder, target]) != folder:
        raise ValueError(f"{jpath}: vectors_file {ref!r} points outside the index's folder; if you trust "
                         f"it, pass its path as load(..., vectors_file=...)")
    return target


def default_threads():
    return max(1, _common.max_threads())


class _RWLock:
    """Many concurrent searches, or one writer (add/remove/build) alone.

    Writers may reallocate the arrays native searches are reading, so the two
    must never overlap. A waiting writer goes before searches that arrive after
    it: otherwise a steady stream of overlapping searches would hold an
    ``add`` back for ever. Not re-entrant: code holding it must not take it again.
    """

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self):
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1

    def release_read(self):
        with self._cond:
            self._readers -= 1
            if self._readers == 0:
                self._cond.notify_all()

    def acquire_write(self):
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True

    def release_write(self):
        with self._cond:
            self._writer = False
            self._cond.notify_all()


class _Reading:
    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        self.lock.acquire_read()

    def __exit__(self, *exc):
        self.lock.release_read()


class _Writing(_Reading):
    def __enter__(self):
        self.lock.acquire_write()

    def __exit__(self, *exc):
        self.lock.release_write()


def append_rows(current, rows, spare):
    """``current`` with ``rows`` appended, reusing spare capacity behind it.

    ``spare`` maps ``id`` of a returned view to its backing buffer. When
    ``current`` is such a view and the buffer has room, the rows are written
    in place (existing rows are never moved, so views readers already hold
    stay valid); otherwise a buffer 1.5x the new size is allocated. Adding
    one item at a time is then amortised O(1) instead of a full copy per call
    (hnswlib's ``resize_index`` does the same by hand).
    """
    n, k = current.shape[0], rows.shape[0]
    buf = spare.pop(id(current), None)
    if buf is None or buf.shape[0] < n + k or buf.shape[1:] != current.shape[1:] or buf.dtype != current.dtype \
            or buf.ctypes.data != current.ctypes.data or not current.flags.c_contiguous:
        cap = max(n + k, (3 * (n + k)) // 2 + 16)
        buf = np.empty((cap,) + current.shape[1:], dtype=current.dtype)
        buf[:n] = current
    buf[n:n + k] = rows
    out = buf[:n + k]
    spare[id(out)] = buf
    return out


def unpack_vectors(vectors):
    """``(vectors, keys, levels)`` from an array or anything KeyedVectors-like."""
    keys = None
    levels = None
    if hasattr(vectors, "vectors") and hasattr(vectors, "index_to_key"):
        keys = list(vectors.index_to_key)
        levels = getattr(vectors, "levels", None)
        vectors = vectors.vectors
    arr = vectors if isinstance(vectors, np.ndarray) else np.asarray(vectors)
    if arr.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array (n, d), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError("vectors must have at least one column")
    if arr.dtype != np.float32 or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    if keys is not None and len(keys) != arr.shape[0]:
        raise ValueError(f"index_to_key has {len(keys)} keys but vectors has {arr.shape[0]} rows")
    return arr, keys, levels


def _finite_rows(arr, what):
    # Chunked so that a memory-mapped matrix is not pulled into RAM at once.
    step = max(1, (1 << 22) // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], step):
        if not np.isfinite(arr[start:start + step]).all():
            raise ValueError(f"{what} contain NaN or infinite values")


def pca_rotation(x):
    """Orthogonal (d, d) matrix whose columns are the eigenvectors of ``x.T @ x``, largest first.

    Uncentred on purpose: cosine and inner product are about directions from
    the origin, and an orthogonal map leaves them (and L2) unchanged.
    """
    d = x.shape[1]
    gram = np.zeros((d, d), np.float64)
    step = max(1, (1 << 22) // d)
    for s in range(0, x.shape[0], step):
        chunk = np.asarray(x[s:s + step], dtype=np.float64)
        gram += chunk.T @ chunk
    evals, evecs = np.linalg.eigh(gram)
    return np.ascontiguousarray(evecs[:, ::-1], dtype=np.float32)


class BaseIndex(abc.ABC):
    """Abstract base of every w2vm index: build, add, remove, search, save, load.

    Parameters
    ----------
    metric : {'cosine', 'ip', 'l2'}
        Similarity. Cosine normalises every prefix to unit length.
    index_level : int or None
        Prefix length the structure is built and walked on (``None``: the
        full vector). Can also be given to :meth:`build` as ``level``.
    shortlist_factor : int
        The funnel keeps ``k * shortlist_factor`` candidates from the
        structure before re-ranking on longer prefixes.
    n_threads : int or None
        Threads for batch queries and parallel building (``None``: all cores).
    rotation : {None, 'pca'}
        ``'pca'`` rotates every vector (and query) by the eigenvectors of the
        data's second-moment matrix, largest first. The rotation is
        orthogonal, so full-dimension scores are unchanged, but the leading
        coordinates then carry the most energy: funnel search works on
        vectors that were not trained with Matryoshka levels (e.g. gensim's).
        Vectors are then stored rotated (a copy, never a reference).
    """

    kind = None            # name stored in the saved JSON
    _query_param_names = ()  # per-query knobs accepted by search(), e.g. ("ef",)

    def __init__(self, metric="cosine", index_level=None, shortlist_factor=4, n_threads=None,
                 rotation=None):
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        if rotation not in (None, "pca"):
            raise ValueError(f"rotation must be None or 'pca', got {rotation!r}")
        self.rotation = rotation
        self._rotation = None   # (d, d) float32 matrix once built
        self.metric = metric
        self.index_level = None if index_level is None else check_int(index_level, "index_level", 1)
        self.shortlist_factor = check_int(shortlist_factor, "shortlist_factor", 1, 1 << 16)
        self.n_threads = default_threads() if n_threads is None else check_int(n_threads, "n_threads", 1, 1024)
        self.dim = None
        self.levels = None
        self._keys = None
        self._key_index = None
        self._vectors = None
        self._data = None
        self._ids = np.zeros(0, dtype=np.int64)
        self._deleted = np.zeros(0, dtype=np.uint8)
        self._n_deleted = 0
        self._lookup = None
        self._inv_norm_cache = {}
        self._lock = _RWLock()
        self._pool_lock = threading.Lock()
        self._visited_pool = []
        self._spare = {}   # append_rows' buffers: id(view) -> buffer with room to grow

    # ------------------------------------------------------------------ build
    def build(self, vectors, ids=None, level=None, _rotated=False):
        """Index ``vectors`` (an (n, d) array or a KeyedVectors), replacing any content.

        Parameters
        ----------
        vectors : array (n, d) or KeyedVectors-like
            Anything with ``.vectors`` and ``.index_to_key`` is read as a
            KeyedVectors; its rows are used as they are (a memory map stays one).
        ids : array of int, optional
            One non-negative int64 id per row; default ``0..n-1`` (the row
            numbers, i.e. the KeyedVectors' indices).
        level : int, optional
            Prefix length to build the structure on (overrides ``index_level``).

        Returns
        -------
        self
        """
        arr, keys, levels = unpack_vectors(vectors)
        n, d = arr.shape
        if n == 0:
            raise ValueError("cannot build an index from zero vectors")
        _finite_rows(arr, "vectors")
        level = self.index_level if level is None else level
        level = check_query_level(level, d)
        ids = self._check_new_ids(ids, n, fresh=True)
        if self.rotation == "pca" and not _rotated:
            self._rotation = pca_rotation(arr)
            arr = self._rotate(arr)
        elif self.rotation is None:
            self._rotation = None
        with _Writing(self._lock):
            self._install(arr, ids, level, keys, levels)
        return self

    def _install(self, arr, ids, level, keys, levels):
        """Replace the whole content by ``arr`` (prepared, validated); the caller holds the write lock."""
        n, d = arr.shape
        self.dim = d
        self.index_level = level
        self.levels = [int(m) for m in levels] if levels is not None else None
        self._keys = keys
        self._key_index = None
        self._vectors = arr
        self._ids = ids
        self._deleted = np.zeros(n, dtype=np.uint8)
        self._n_deleted = 0
        self._lookup = None
        self._inv_norm_cache = {}
        self._visited_pool = []
        self._spare = {}
        self._data = self._prepare(arr)
        self._build_structure()

    def _prepare(self, vectors):
        """The contiguous walking copy: ``v[:index_level]``, normalised for cosine."""
        m = self.index_level
        if m == vectors.shape[1] and self.metric != "cosine":
            return vectors  # already contiguous float32: no copy
        out = np.array(vectors[:, :m], dtype=np.float32, order="C")
        if self.metric == "cosine":
            norms = np.linalg.norm(out, axis=1)
            norms[norms == 0] = 1.0
            out /= norms[:, None]
        return out

    def _check_new_ids(self, ids, n, fresh=False):
        if ids is None:
            start = 0 if fresh or len(self._ids) == 0 else int(self._ids.max()) + 1
            if start + n > 1 << 63:
                raise ValueError(f"the largest id is {start - 1}: no room for {n} default ids above it; pass ids=")
            return np.arange(start, start + n, dtype=np.int64)
        ids = np.asarray(ids)
        if ids.ndim == 0:
            ids = ids.reshape(1)
        if ids.ndim != 1 or ids.shape[0] != n:
            raise ValueError(f"ids must be a 1-d array of {n} ints, got shape {ids.shape}")
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        if ids.size and ids.min() < 0:
            raise ValueError("ids must be non-negative")
        if np.unique(ids).size != n:
            raise ValueError("ids must be unique")
        if not fresh and ids.size:
            live = self._slots_of(ids, missing="ignore")
            if (live >= 0).any():
                raise ValueError(f"ids already in the index: {ids[live >= 0][:5].tolist()}")
        return ids

    @abc.abstractmethod
    def _build_structure(self):
        """Build the structure over every slot of ``self._data``."""

    @abc.abstractmethod
    def _add_structure(self, new_slots):
        """Extend the structure with ``new_slots`` (already in ``_data``)."""

    @abc.abstractmethod
    def _search_slots(self, queries, n_out, allowed, n_threads, params):
        """Return ``(slots int32 (q, n_out), distances float32)`` at ``index_level``.

        ``queries`` are prepared prefixes; ``allowed`` is None or a uint8 mask
        over slots; slots < 0 pad missing results.
        """

    def _check_params(self, params):
        """Validate per-query parameters; subclasses override."""
        unknown = set(params) - set(self._query_param_names)
        if unknown:
            raise ValueError(f"unknown search parameter(s) for {type(self).__name__}: {sorted(unknown)}")
        return params

    # ---------------------------------------------------------------- add / remove
    def add(self, vectors, ids=None):
        """Add rows; ``ids`` default to ``max(existing id) + 1 ...``. Returns the ids."""
        self._require_built()
        arr, _, _ = unpack_vectors(vectors)
        if arr.shape[1] != self.dim:
            raise ValueError(f"vectors have dimension {arr.shape[1]}, the index has {self.dim}")
        _finite_rows(arr, "vectors")
        arr = self._rotate(arr)
        n_new = arr.shape[0]
        with _Writing(self._lock):
            ids = self._check_new_ids(ids, n_new)
            if n_new == 0:
                return ids
            n_old = len(self._ids)
            data_is_vectors = self._data is self._vectors
            self._vectors = append_rows(self._vectors, arr, self._spare)
            new_data = self._prepare(arr)
            self._data = self._vectors if data_is_vectors and new_data is arr \
                else append_rows(self._data, new_data, self._spare)
            self._ids = append_rows(self._ids, ids, self._spare)
            self._deleted = append_rows(self._deleted, np.zeros(n_new, np.uint8), self._spare)
            self._lookup = None
            self._inv_norm_cache = {}
            self._visited_pool = []
            self._add_structure(np.arange(n_old, n_old + n_new, dtype=np.int32))
        return ids

    def remove(self, ids):
        """Delete ``ids``: they are never returned again. Raises ``KeyError`` for unknown ids.

        Space is reclaimed by :meth:`compact`, which indexes that rebuild
        cheaply call by themselves once half the slots are deleted.
        """
        self._require_built()
        ids = np.atleast_1d(np.asarray(ids))
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
        with _Writing(self._lock):
            slots = self._slots_of(ids.astype(np.int64), missing="ignore")
            if (slots < 0).any():
                raise KeyError(f"ids not in the index: {ids[slots < 0][:5].tolist()}")
            if not self._deleted.flags.writeable:
                self._deleted = np.array(self._deleted)
            self._deleted[slots] = 1
            self._n_deleted = int(self._deleted.sum())
            self._lookup = None
            self._on_remove(slots)
        if self._auto_compact and self._n_deleted * 2 >= len(self._ids) and len(self) > 0:
            self.compact()

    mark_deleted = remove
    _auto_compact = True

    def _on_remove(self, slots):
        pass

    def compact(self):
        """Rebuild without the deleted slots (ids, keys and parameters kept)."""
        self._require_built()
        # One write-locked step: a search sees the old index or the new one, keys included, and
        # an add or remove from another thread cannot fall between reading the live rows and
        # installing them.
        with _Writing(self._lock):
            live = np.flatnonzero(self._deleted == 0)
            if live.size == len(self._ids):
                return self
            if live.size == 0:
                raise ValueError("cannot compact an index whose every item is deleted")
            self._install(np.ascontiguousarray(self._vectors[live]), self._ids[live], self.index_level,
                          self._keys, self.levels)
        return self

    # ------------------------------------------------------------------- lookup
    def _slots_of(self, ids, missing="raise"):
        """Live slot of each id (-1 when absent if ``missing='ignore'``)."""
        if self._lookup is None:
            live = np.flatnonzero(self._deleted == 0)
            order = np.argsort(self._ids[live], kind="stable")
            self._lookup = (self._ids[live][order], live[order].astype(np.int64))
        keys, slots = self._lookup
        pos = np.searchsorted(keys, ids)
        pos_c = np.minimum(pos, max(len(keys) - 1, 0))
        found = (pos < len(keys)) & (keys[pos_c] == ids) if len(keys) else np.zeros(len(ids), bool)
        out = np.where(found, slots[pos_c] if len(keys) else -1, -1)
        if missing == "raise" and not found.all():
            raise KeyError(f"ids not in the index: {np.asarray(ids)[~found][:5].tolist()}")
        return out

    def __len__(self):
        with _Reading(self._lock):  # two attributes that a concurrent compact() replaces one by one
            return self._n_live()

    def _n_live(self):
        return len(self._ids) - self._n_deleted

    def __contains__(self, item):
        if self._vectors is None or isinstance(item, bool) or not isinstance(item, numbers.Integral):
            return False
        with _Reading(self._lock):
            return bool(self._slots_of(np.array([item], dtype=np.int64), missing="ignore")[0] >= 0)

    @property
    def ids(self):
        """Ids of the live items, in slot order."""
        with _Reading(self._lock):  # add() grows _ids and _deleted one after the other
            return self._ids[self._deleted == 0]

    def _require_built(self):
        if self._vectors is None:
            raise ValueError(f"{type(self).__name__} is empty: call build() first")

    # ------------------------------------------------------------------- search
    def _inv_norms(self, m):
        """1 / |v[:m]| per slot, cached per prefix length (cosine re-ranking)."""
        inv = self._inv_norm_cache.get(m)
        if inv is None:
            step = max(1, (1 << 22) // m)
            inv = np.empty(len(self._vectors), dtype=np.float32)
            for s in range(0, len(inv), step):
                nrm = np.linalg.norm(self._vectors[s:s + step, :m], axis=1)
                nrm[nrm == 0] = 1.0
                inv[s:s + step] = 1.0 / nrm
            self._inv_norm_cache[m] = inv
        return inv

    def _prep_queries(self, q, m):
        out = np.array(q[:, :m], dtype=np.float32, order="C")
        if self.metric == "cosine":
            norms = np.linalg.norm(out, axis=1)
            norms[norms == 0] = 1.0
            out /= norms[:, None]
        return out

    def _check_queries(self, queries):
        q = np.asarray(queries)
        single = q.ndim == 1
        if single:
            q = q[None, :]
        if q.ndim != 2:
            raise ValueError(f"queries must be a vector or a 2-d array, got shape {q.shape}")
        if q.dtype.kind not in "fiu":
            raise ValueError(f"queries must be numeric, got dtype {q.dtype}")
        if not self.index_level <= q.shape[1] <= self.dim:
            raise ValueError(f"queries have dimension {q.shape[1]}; this index needs between "
                             f"index_level={self.index_level} and dim={self.dim}")
        q = np.ascontiguousarray(q, dtype=np.float32)
        if not np.isfinite(q).all():
            raise ValueError("queries contain NaN or infinite values")
        if self._rotation is not None:
            if q.shape[1] != self.dim:
                raise ValueError("a rotated (rotation='pca') index needs full-dimension queries")
            q = self._rotate(q)
        return q, single

    def _rotate(self, x):
        if self._rotation is None:
            return x
        return np.ascontiguousarray(x @ self._rotation, dtype=np.float32)

    def _allowed(self, filter):
        """uint8 mask over slots (None: everything live), from a filter over ids."""
        if filter is None:
            if self._n_deleted == 0:
                return None
            return (self._deleted == 0).view(np.uint8)
        f = np.asarray(filter)
        if f.dtype == bool:
            if f.ndim != 1:
                raise ValueError("a boolean filter must be 1-d, indexed by id")
            inside = self._ids < f.shape[0]
            allowed = np.zeros(len(self._ids), dtype=bool)
            allowed[inside] = f[self._ids[inside]]
        else:
            if isinstance(filter, (set, frozenset, dict)):
                filter = list(filter)
                f = np.asarray(filter) if filter else np.zeros(0, np.int64)
            f = np.atleast_1d(f)
            if f.dtype.kind in "UO" and self._keys is not None:
                # Keys of the KeyedVectors the index was built from: their ids are their rows.
                if self._key_index is None:
                    self._key_index = {key: i for i, key in enumerate(self._keys)}
                f = np.array([self._key_index.get(key, -1) for key in f.tolist()], dtype=np.int64)
            if f.size and not np.issubdtype(f.dtype, np.integer):
                raise ValueError("filter must be a boolean mask over ids or a collection of int ids")
            allowed = np.isin(self._ids, f.astype(np.int64))
        allowed &= self._deleted == 0
        return allowed.view(np.uint8)

    def _plan(self, qdim, levels, rerank_level):
        """Prefix lengths of the re-ranking stages after the index walk."""
        if levels is not None:
            if rerank_level is not None:
                raise ValueError("give either levels or rerank_level, not both")
            levels = [check_query_level(m, self.dim) for m in levels]
            if not levels or levels[0] != self.index_level:
                raise ValueError(f"levels must start at this index's index_level={self.index_level}, got {levels}")
            if any(b <= a for a, b in zip(levels, levels[1:])):
                raise ValueError(f"levels must be strictly increasing, got {levels}")
            stages = levels[1:]
        else:
            final = check_query_level(rerank_level, self.dim) if rerank_level is not None else qdim
            if final < self.index_level:
                raise ValueError(f"rerank_level={final} is below index_level={self.index_level}")
            stages = [final] if final > self.index_level else []
        if stages and stages[-1] > qdim:
            raise ValueError(f"re-ranking at level {stages[-1]} needs queries of that dimension, got {qdim}")
        return stages

    def search(self, queries, k=10, filter=None, *, levels=None, rerank_level=None,
               shortlist_factor=None, n_threads=None, **query_params):
        """Approximate top-``k`` of one query (1-d) or a batch (2-d).

        Parameters
        ----------
        queries : array (d,) or (q, d)
            ``d`` is the full dimension, or any prefix length down to ``index_level``.
        k : int
            Neighbours per query.
        filter : bool array indexed by id, or a collection of ids (or keys), optional
            Only these ids may be returned (turned into a mask over rows that
            native code checks per candidate; no Python call per candidate).
        levels : list of int, optional
            Funnel stages, e.g. ``[25, 50, 100]``: walk at 25, re-rank at 50 then 100.
        rerank_level : int, optional
            Single re-ranking stage (default: the query's dimension).
        shortlist_factor : int, optional
            Overrides the index's shortlist factor for this query.
        n_threads : int, optional
            Threads for a batch (the GIL is released).
        **query_params
            Index knobs, e.g. ``ef`` (HNSW) or ``n_probe`` (IVF, LSH).

        Returns
        -------
        ids : int64 array (k,) or (q, k)
            Best first. At most ``min(k, searchable items)`` columns; -1 pads a
            row where the approximate walk found fewer.
        scores : float32 array, same shape
            Similarities (cosine, ip; larger first) or squared distances (l2;
            smaller first). At a prefix level, scores are those of the prefix.
        """
        self._require_built()
        q, single = self._check_queries(queries)
        k = check_int(k, "k", 1, _MAX_K)
        sf = self.shortlist_factor if shortlist_factor is None else check_int(
            shortlist_factor, "shortlist_factor", 1, 1 << 16)
        nt = self.n_threads if n_threads is None else check_int(n_threads, "n_threads", 1, 1024)
        params = self._check_params(dict(query_params))
        stages = self._plan(q.shape[1], levels, rerank_level)
        with _Reading(self._lock):
            allowed = self._allowed(filter)
            n_allowed = self._n_live() if allowed is None else int(allowed.sum())
            k_eff = max(1, min(k, n_allowed))
            final = stages[-1] if stages else self.index_level
            if n_allowed == 0:
                slots = np.full((len(q), k_eff), -1, np.int32)
                dist = np.full((len(q), k_eff), np.inf, np.float32)
            elif allowed is not None and n_allowed <= max(2048, len(self._ids) // 50):
                # A selective filter starves graph and list walks; scanning the
                # few allowed rows exactly is both faster and exact.
                slots, dist = self._exact(q, final, k_eff, np.flatnonzero(allowed))
            else:
                n_short = min(k_eff * sf, len(self._ids)) if stages else k_eff
                qi = self._prep_queries(q, self.index_level)
                slots, dist = self._search_slots(qi, n_short, allowed, nt, params)
                for i, m in enumerate(stages):
                    keep = k_eff if i == len(stages) - 1 else max(k_eff, n_short >> (i + 1))
                    slots, dist = self._rerank(q, m, slots, keep, nt)
            ids = np.where(slots >= 0, self._ids[np.maximum(slots, 0)], -1)
        scores = dist if self.metric == "l2" else -dist
        if single:
            return ids[0], scores[0]
        return ids, scores

    def _rerank(self, q, m, slots, keep, n_threads):
        keep = min(keep, slots.shape[1])
        qm = self._prep_queries(q, m)
        out_ids = np.empty((len(q), keep), np.int32)
        out_d = np.empty((len(q), keep), np.float32)
        inv = self._inv_norms(m) if self.metric == "cosine" else None
        _common.rerank(self._vectors, inv, 0 if self.metric != "l2" else 1, qm,
                       np.ascontiguousarray(slots, dtype=np.int32), n_threads, out_ids, out_d)
        return out_ids, out_d

    def _exact(self, q, m, k, subset=None):
        """Exact top-k at prefix ``m`` with BLAS (sgemm through numpy), over ``subset`` slots."""
        qm = self._prep_queries(q, m)
        if m == self.index_level:
            X = self._data
            inv = None
        else:
            X = self._vectors[:, :m]
            inv = self._inv_norms(m) if self.metric == "cosine" else None
        if subset is not None:
            X = X[subset]
            inv = None if inv is None else inv[subset]
        n = X.shape[0]
        k = min(k, n)
        sq = (np.einsum("ij,ij->i", X, X) if self.metric == "l2" else None)
        out_s = np.empty((len(q), k), np.int32)
        out_d = np.empty((len(q), k), np.float32)
        step = max(1, (1 << 24) // max(n, 1))
        for s in range(0, len(q), step):
            S = qm[s:s + step] @ X.T
            if self.metric == "l2":
                D = sq[None, :] - 2 * S + np.einsum("ij,ij->i", qm[s:s + step], qm[s:s + step])[:, None]
                np.maximum(D, 0, out=D)
            else:
                if inv is not None:
                    S *= inv[None, :]
                D = np.negative(S, out=S)
            if subset is None and self._n_deleted:
                D[:, self._deleted.view(bool)] = np.inf
            if k < n:
                part = np.argpartition(D, k - 1, axis=1)[:, :k]
            else:
                part = np.broadcast_to(np.arange(n), (D.shape[0], n))
            dpart = np.take_along_axis(D, part, axis=1)
            order = np.argsort(dpart, axis=1, kind="stable")
            sel = np.take_along_axis(part, order, axis=1)
            out_d[s:s + step] = np.take_along_axis(dpart, order, axis=1)
            out_s[s:s + step] = sel if subset is None else subset[sel]
        out_s[~np.isfinite(out_d)] = -1
        return out_s, out_d

    def _borrow_visited(self, n_threads):
        """Per-thread visited arrays, reused across searches (hnswlib's visited-list pool)."""
        n = len(self._ids)
        with self._pool_lock:
            for i, (vis, tags) in enumerate(self._visited_pool):
                if vis.shape[0] >= n_threads and vis.shape[1] == n:
                    return self._visited_pool.pop(i)
        return np.zeros((n_threads, n), np.uint16), np.zeros(n_threads, np.uint16)

    def _return_visited(self, item):
        if item[0].shape[1] != len(self._ids):
            return
        with self._pool_lock:
            if len(self._visited_pool) < 8:
                self._visited_pool.append(item)

    # ---------------------------------------------------------- gensim indexer
    def most_similar(self, vector, num_neighbors):
        """``[(key or id, similarity), ...]``, as gensim's indexers return.

        Lets any index serve ``KeyedVectors.most_similar(..., indexer=index)``.
        For an index built from a KeyedVectors, ids are mapped back to keys.
        """
        num_neighbors = check_int(num_neighbors, "num_neighbors", 1, _MAX_K)
        vector = np.asarray(vector, dtype=np.float32).ravel()
        ids, scores = self.search(vector, k=min(num_neighbors, max(1, len(self))))
        out = []
        for i, s in zip(ids.tolist(), scores.tolist()):
            if i < 0:
                continue
            key = self._keys[i] if self._keys is not None and i < len(self._keys) else i
            out.append((key, float(s)))
        return out

    # ------------------------------------------------------------- persistence
    def _params(self):
        """Constructor parameters saved in the JSON (subclasses extend)."""
        return {"metric": self.metric, "shortlist_factor": self.shortlist_factor, "rotation": self.rotation}

    def _state_arrays(self):
        """Structure arrays to save (subclasses extend)."""
        return {}

    def _state_meta(self):
        return {}

    def _set_state(self, meta, arrays):
        """Restore the structure from loaded arrays; validate every native-facing value."""

    def save(self, path, vectors_file=None):
        """Write ``path.json`` and ``path.<array>.npy`` files as one atomic set, without pickle.

        Parameters
        ----------
        path : str or os.PathLike
            Base name; the folder must exist.
        vectors_file : str, optional
            An existing ``.npy`` holding exactly this index's vectors (e.g. the
            KeyedVectors' ``base.npy``): it is referenced (by a path relative
            to the index's folder) instead of copied. :meth:`load` follows the
            reference by itself only when the file is inside the index's
            folder; for one elsewhere, pass ``vectors_file=`` to :meth:`load`.
        """
        from w2vm.io.atomic import atomic_file_set, atomic_save_json, atomic_save_npy

        self._require_built()
        path = _check_index_path(path)
        folder = os.path.dirname(os.path.abspath(path))
        base = os.path.basename(path)
        # one set: a crash leaves all the old files or all the new ones (the folder lock is taken first)
        with atomic_file_set(path), _Reading(self._lock):
            arrays = {"ids": self._ids, "deleted": self._deleted}
            arrays.update(self._state_arrays())
            if self._rotation is not None:
                arrays["rotation"] = self._rotation
            vec_ref = None
            if vectors_file is not None and self._rotation is not None:
                raise ValueError("a rotated index stores rotated vectors: it cannot reference vectors_file")
            if vectors_file is not None:
                ref = np.load(os.fspath(vectors_file), mmap_mode="r", allow_pickle=False)
                if ref.shape != self._vectors.shape or ref.dtype != np.float32:
                    raise ValueError(f"{vectors_file}: shape {ref.shape} {ref.dtype} does not match "
                                     f"the index's vectors {self._vectors.shape} float32")
                probe = np.unique(np.linspace(0, len(ref) - 1, num=min(len(ref), 16)).astype(np.int64))
                if not np.array_equal(ref[probe], self._vectors[probe]):
                    raise ValueError(f"{vectors_file} does not hold this index's vectors")
                vec_ref = os.path.relpath(os.path.abspath(os.fspath(vectors_file)), folder)
            else:
                arrays["vectors"] = self._vectors
            files = {}
            for name, arr in arrays.items():
                fname = f"{base}.{name}.npy"
                atomic_save_npy(os.path.join(folder, fname), np.ascontiguousarray(arr))
                files[name] = {"file": fname, "shape": list(arr.shape), "dtype": str(arr.dtype)}
            meta = {
                "format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": self.kind,
                "params": self._params(), "dim": self.dim, "index_level": self.index_level,
                "levels": self.levels, "keys": self._keys, "vectors_file": vec_ref,
                "arrays": files, "state": self._state_meta(),
            }
            atomic_save_json(path + ".json", meta)

    @classmethod
    def load(cls, path, mmap=None, vectors_file=None):
        """Load an index written by :meth:`save`; ``mmap='r'`` memory-maps the arrays.

        Only files inside the index's folder are read: the JSON's array
        entries must be plain file names, and a ``vectors_file`` reference
        (see :meth:`save`) is followed only when it stays inside that folder,
        so a downloaded index cannot make ``load`` read files elsewhere. To
        use vectors referenced elsewhere (or moved), pass their ``.npy`` as
        ``vectors_file``.

        Raises ``ValueError`` naming the file for anything inconsistent.
        """
        from w2vm.io.atomic import reading_file_set
        # the files of one save, even if one is in progress or was killed
        with reading_file_set(_check_index_path(path, for_load=True)):
            return cls._load_files(path, mmap, vectors_file)

    @classmethod
    def _load_files(cls, path, mmap, vectors_file):
        from w2vm.io.atomic import resolve
        from w2vm.io.npy_vocab import load_npy
        from w2vm.similarities import INDEX_CLASSES

        path = _check_index_path(path, for_load=True)
        if mmap not in (None, "r", "r+", "c"):
            raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', got {mmap!r}")
        mmap = "r" if mmap == "r+" else mmap  # the index never writes through a map
        folder = os.path.dirname(os.path.abspath(path))
        jpath = path + ".json"
        try:
            with open(resolve(jpath), encoding="utf-8") as fh:
                meta = json.load(fh)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{jpath}: not a valid index file ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ValueError(f"{jpath}: not a w2vm index file")
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{jpath}: unsupported format version {meta.get('version')!r}")
        kind = meta.get("kind")
        klass = INDEX_CLASSES.get(kind) if isinstance(kind, str) else None
        if klass is None or (cls is not BaseIndex and klass is not cls):
            raise ValueError(f"{jpath}: holds a {meta.get('kind')!r} index, not {cls.kind!r}")
        stores_vectors = isinstance(meta.get("arrays"), dict) and "vectors" in meta["arrays"]
        if vectors_file is not None:
            if stores_vectors:
                raise ValueError(f"{jpath}: this index stores its own vectors; vectors_file= is only for an "
                                 "index saved with a vectors_file reference")
            vpath = os.fspath(vectors_file)
        else:
            vpath = _referenced_vectors(folder, meta.get("vectors_file"), jpath)
        try:
            files = dict(meta["arrays"])
            arrays = {}
            for name, info in files.items():
                fname = _plain_file_name(info["file"])
                arr = load_npy(resolve(os.path.join(folder, fname)), mmap=mmap)  # size checked before allocating
                if list(arr.shape) != list(info["shape"]) or str(arr.dtype) != info["dtype"]:
                    raise ValueError(f"{fname}: shape/dtype {arr.shape} {arr.dtype} disagree with the JSON")
                arrays[name] = arr
            if vpath is not None:
                arrays["vectors"] = load_npy(resolve(vpath), mmap=mmap)
            self = klass(**meta["params"])
            dim = check_int(meta["dim"], "dim", 1)
            vectors = arrays["vectors"]
            ids = arrays["ids"]
            deleted = arrays["deleted"]
            n = ids.shape[0]
            if vectors.dtype != np.float32 or vectors.shape != (n, dim) or not vectors.flags.c_contiguous:
                raise ValueError(f"vectors: expected C-ordered float32 ({n}, {dim}), got {vectors.shape} {vectors.dtype}")
            if ids.dtype != np.int64 or ids.ndim != 1 or (n and ids.min() < 0):
                raise ValueError("ids must be non-negative int64")
            if deleted.dtype != np.uint8 or deleted.shape != (n,) or (n and deleted.max() > 1):
                raise ValueError("deleted must be a 0/1 uint8 mask matching ids")
            live_ids = ids[deleted == 0]
            if np.unique(live_ids).size != live_ids.size:
                raise ValueError("duplicate live ids")
            self.dim = dim
            self.index_level = check_query_level(meta["index_level"], dim)
            levels = meta.get("levels")
            self.levels = None if levels is None else validate_levels(levels, dim)
            keys = meta.get("keys")
            if keys is not None and (not isinstance(keys, list) or not all(
                    isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys)):
                raise ValueError("keys must be a list of str or int")
            self._keys = keys
            self._vectors = vectors
            self._ids = ids
            self._deleted = deleted
            self._n_deleted = int(deleted.sum())
            if self.rotation == "pca":
                rot = arrays.get("rotation")
                if rot is None or rot.dtype != np.float32 or rot.shape != (dim, dim) \
                        or not np.isfinite(rot).all():
                    raise ValueError(f"rotation must be a finite float32 ({dim}, {dim}) matrix")
                self._rotation = np.ascontiguousarray(rot)
            self._data = self._prepare(vectors)
            self._set_state(meta.get("state") or {}, arrays)
        except ValueError as exc:
            raise ValueError(f"{jpath}: corrupted or inconsistent index ({exc})") from None
        except (KeyError, TypeError, OSError, EOFError, AttributeError) as exc:
            raise ValueError(f"{jpath}: corrupted or incomplete index ({type(exc).__name__}: {exc})") from None
        return self

    def memory_bytes(self):
        """Bytes held by this index's own arrays (memory maps and shared vectors included)."""
        seen, total = set(), 0
        for arr in [self._vectors, self._data, self._ids, self._deleted, *self._state_arrays().values()]:
            if arr is not None and id(arr) not in seen:
                seen.add(id(arr))
                total += arr.nbytes
        return total

    def __repr__(self):
        return (f"{type(self).__name__}(n={len(self) if self._vectors is not None else 0}, dim={self.dim}, "
                f"metric={self.metric!r}, index_level={self.index_level})")
