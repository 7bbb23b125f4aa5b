"""Storage half of KeyedVectors: the immutable snapshot, key lookup, per-key attributes, mutation.

:class:`~w2vm.models.keyedvectors.KeyedVectors` adds the queries and the file
formats on top. Concurrency: the vectors, the key lists and the per-level norm
cache live in one immutable snapshot (:class:`_State`). A query reads the
snapshot once and works on it to the end; a mutation builds new arrays under a
lock and swaps in a new snapshot with an empty cache.
"""
import copy
import numbers
import threading
import warnings

import numpy as np

from w2vm.levels import check_query_level, validate_levels
from w2vm.utils import ParameterTypeError

_KEY_TYPES = (str, int, np.integer)
_EXTENDED_KEY_TYPES = (str, int, np.integer, np.ndarray)


def _check_finite_rows(vectors, keys):
    """Refuse NaN/inf before they are stored: one such row poisons every query's ranking."""
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        key = keys[int(np.flatnonzero(~finite)[0])]
        raise ValueError(f"the vector of key {key!r} contains NaN or infinite values")


class _State:
    """One consistent view: vectors, keys, and the norm cache computed from exactly these vectors."""

    __slots__ = ("vectors", "index_to_key", "_key_to_index", "norms")

    def __init__(self, vectors, index_to_key, key_to_index):
        self.vectors = vectors
        self.index_to_key = index_to_key
        self._key_to_index = key_to_index  # None: built from index_to_key on first use
        self.norms = {}  # level -> (norms, norms with zeros replaced by 1)

    @property
    def key_to_index(self):
        # Lazy so that loading (e.g. memory-mapping a million keys) does not pay for a dict that
        # vector-only users (indexes, knn on arrays) never need. Two threads racing here build
        # equal dicts; either one may win.
        k2i = self._key_to_index
        if k2i is None:
            k2i = self._key_to_index = dict(zip(self.index_to_key, range(len(self.index_to_key))))
        return k2i


class KeyedVectorsStorage:
    """Keys mapped to rows of a vector matrix: the storage half of ``KeyedVectors``,
    whose docstring describes the constructor's parameters."""

    def __init__(self, vector_size, count=0, dtype=np.float32, levels=None):
        if isinstance(vector_size, bool) or not isinstance(vector_size, numbers.Integral):
            raise ParameterTypeError(f"vector_size must be a positive int, got {vector_size!r}")
        if vector_size < 1:
            raise ValueError(f"vector_size must be a positive int, got {vector_size!r}")
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
            raise ValueError(f"count must be a non-negative int, got {count!r}")
        self.vector_size = int(vector_size)
        self.levels = validate_levels(levels, self.vector_size)
        self.next_index = 0
        self._lock = threading.RLock()
        self._state = _State(np.zeros((int(count), self.vector_size), dtype=dtype), [None] * int(count), {})
        self.expandos = {}
        self.allocate_vecattrs(["count"], [np.int64])
        # gensim's lock factors: row i of the vectors trains at vectors_lockf[i % len] of the
        # rate (0.0 freezes it); one 1.0 means every row trains normally
        self.vectors_lockf = np.ones(1, dtype=np.float32)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        # In-memory pickling (joblib, multiprocessing, Dask): the lock cannot be pickled and the
        # norm cache is recomputed on demand. One snapshot's arrays, taken under the lock.
        with self._lock:
            st = self._state
            state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_state")}
            state["_vectors"] = st.vectors
            state["_index_to_key"] = st.index_to_key
        return state

    def __setstate__(self, state):
        state = dict(state)
        vectors = state.pop("_vectors")
        index_to_key = state.pop("_index_to_key")
        self.__dict__.update(state)
        self.__dict__.setdefault("vectors_lockf", np.ones(1, dtype=np.float32))
        self._lock = threading.RLock()
        self._state = _State(vectors, index_to_key, None)

    # ------------------------------------------------------------------ lock factors
    def lockf_for_training(self):
        """The lock factor of every row as a float32 array, or ``None`` when all are 1.0.

        ``None`` lets the kernels take their unchanged path. gensim's rule: row
        ``i`` uses ``vectors_lockf[i % len(vectors_lockf)]``.
        """
        lockf = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
        if lockf.size == 0:
            raise ValueError("vectors_lockf is empty; use numpy.ones(1) to train every row normally")
        if not np.isfinite(lockf).all():
            raise ValueError("vectors_lockf contains NaN or infinite values")
        if np.all(lockf == 1.0):
            return None
        n = len(self)
        if lockf.size != n:
            lockf = lockf[np.arange(n) % lockf.size]
        return np.ascontiguousarray(lockf)

    def grow_lockf(self, old_len):
        """New rows (past ``old_len``) of a per-row ``vectors_lockf`` train normally (1.0)."""
        lockf = self.vectors_lockf
        n = len(self)
        if old_len > 1 and len(lockf) == old_len and n > old_len:
            self.vectors_lockf = np.concatenate([np.asarray(lockf, dtype=np.float32),
                                                 np.ones(n - old_len, dtype=np.float32)])

    # ------------------------------------------------------------------ storage
    @property
    def vectors(self):
        """The ``(len(self), vector_size)`` array (may be a ``numpy.memmap``)."""
        return self._state.vectors

    @vectors.setter
    def vectors(self, value):
        value = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=np.float32)
        if value.ndim != 2 or value.shape[1] != self.vector_size:
            raise ValueError(f"vectors must have shape (n, {self.vector_size}), got {value.shape}")
        with self._lock:
            st = self._state
            self._state = _State(value, st.index_to_key, st._key_to_index)

    @property
    def index_to_key(self):
        """List of keys; position = row in :attr:`vectors`."""
        return self._state.index_to_key

    @index_to_key.setter
    def index_to_key(self, value):
        with self._lock:
            st = self._state
            self._state = _State(st.vectors, value, st._key_to_index)

    @property
    def key_to_index(self):
        """Dict from key to row."""
        return self._state.key_to_index

    @key_to_index.setter
    def key_to_index(self, value):
        with self._lock:
            st = self._state
            self._state = _State(st.vectors, st.index_to_key, value)

    def invalidate_norms(self):
        """Forget cached norms; call after modifying :attr:`vectors` in place (training does)."""
        with self._lock:
            st = self._state
            self._state = _State(st.vectors, st.index_to_key, st._key_to_index)

    @property
    def norms(self):
        """Full-dimension row norms if computed (see :meth:`fill_norms`), else ``None``, as in gensim."""
        entry = self._state.norms.get(self.vector_size)
        return None if entry is None else entry[0]

    @norms.setter
    def norms(self, value):
        if value is not None:
            raise ValueError("norms are computed, not assigned; set kv.norms = None to invalidate")
        self.invalidate_norms()

    def _level(self, level):
        return check_query_level(level, self.vector_size)

    def _norms(self, st, m):
        entry = st.norms.get(m)
        if entry is None:
            # np.linalg.norm is what gensim uses: identical numbers at the full level.
            norms = np.linalg.norm(st.vectors[:, :m], axis=1)
            safe = norms
            if norms.size and not norms.all():
                safe = np.where(norms > 0, norms, np.ones((), dtype=norms.dtype))
            norms.setflags(write=False)
            entry = st.norms[m] = (norms, safe)  # a dict store is atomic; a race only computes twice
        return entry

    def fill_norms(self, force=False, level=None):
        """Compute (and cache) the row norms of the ``level`` prefix."""
        m = self._level(level)
        if force:
            self.invalidate_norms()
        self._norms(self._state, m)

    def get_normed_vectors(self, level=None):
        """All prefix vectors scaled to unit length, as a new ``(n, m)`` array."""
        m = self._level(level)
        st = self._state
        return st.vectors[:, :m] / self._norms(st, m)[1][:, None]

    def __len__(self):
        return len(self._state.index_to_key)

    def __str__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys, levels={self.levels}>"

    __repr__ = __str__

    # --------------------------------------------------------------- attributes
    def allocate_vecattrs(self, attrs=None, types=None):
        """Make sure every per-key attribute array (``expandos``) has one slot per key."""
        # Under the lock: readers call this too (get_vecattr), and one that read the key count
        # before a concurrent add_vectors swapped it in would shrink the grown arrays back,
        # dropping the new keys' attributes.
        with self._lock:
            if attrs is None:
                attrs = list(self.expandos)
                types = [self.expandos[a].dtype for a in attrs]
            n = len(self._state.index_to_key)
            for attr, typ in zip(attrs, types):
                typ = np.int64 if attr == "count" else typ
                prev = self.expandos.get(attr)
                if prev is None:
                    self.expandos[attr] = np.zeros(n, dtype=typ)
                elif prev.shape[0] != n:
                    grown = np.zeros(n, dtype=prev.dtype)
                    keep = min(n, prev.shape[0])
                    grown[:keep] = prev[:keep]
                    self.expandos[attr] = grown

    def _indices(self, keys, st=None):
        st = st or self._state
        keys = keys if isinstance(keys, (list, tuple)) else list(keys)
        get = st.key_to_index.get
        try:
            idx = np.fromiter((get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        except TypeError:  # an unhashable item: let _index_in name it
            idx = np.full(len(keys), -1, dtype=np.int64)
        missing = np.flatnonzero(idx < 0)
        if missing.size:
            # Keys not found are row numbers (gensim's get_index), e.g. set_vecattr(range(n), ...), or errors.
            rows = np.fromiter((keys[j] if isinstance(keys[j], (int, np.integer)) and not isinstance(keys[j], bool)
                                else -1 for j in missing.tolist()), dtype=np.int64, count=missing.size)
            ok = (rows >= 0) & (rows < len(st.index_to_key))
            idx[missing[ok]] = rows[ok]
            for j in missing[~ok].tolist():
                idx[j] = self._index_in(st, keys[j])  # raises KeyError naming the key
        return idx

    def set_vecattr(self, key, attr, val):
        """Set attribute ``attr`` (e.g. ``'count'``) of one key, or of a list of keys at once."""
        with self._lock:
            if attr not in self.expandos:
                self.allocate_vecattrs([attr], [np.asarray(val).dtype])
            else:
                self.allocate_vecattrs()
            if isinstance(key, _KEY_TYPES):
                self.expandos[attr][self.get_index(key)] = val
            else:
                st = self._state
                idx = np.arange(len(st.index_to_key)) if key is st.index_to_key else self._indices(key, st)
                self.expandos[attr][idx] = val

    def get_vecattr(self, key, attr):
        """Attribute ``attr`` of ``key`` (e.g. its ``'count'``)."""
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r}; known: {sorted(self.expandos)}")
        with self._lock:  # the attribute arrays and the key's row from the same moment
            self.allocate_vecattrs()
            return self.expandos[attr][self.get_index(key)]

    # ------------------------------------------------------------------- lookup
    @staticmethod
    def _index_in(st, key, default=None):
        val = st.key_to_index.get(key, -1) if not isinstance(key, np.ndarray) else -1
        if val >= 0:
            return val
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(st.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def get_index(self, key, default=None):
        """Row of ``key``; an int that is not a key is taken as a row number (gensim)."""
        return self._index_in(self._state, key, default)

    def has_index_for(self, key):
        """Whether :meth:`get_index` finds ``key``."""
        return self._index_in(self._state, key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    def get_vector(self, key, norm=False, level=None):
        """The (read-only) vector of ``key``, its ``level`` prefix, unit-length if ``norm``."""
        m = self._level(level)
        st = self._state
        index = self._index_in(st, key)
        if norm:
            result = st.vectors[index, :m] / self._norms(st, m)[1][index]
        else:
            result = st.vectors[index, :m]
        result.setflags(write=False)
        return result

    def word_vec(self, *args, **kwargs):
        """Deprecated gensim alias of :meth:`get_vector`."""
        return self.get_vector(*args, **kwargs)

    def __getitem__(self, key_or_keys):
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        st = self._state
        return st.vectors[self._indices(key_or_keys, st)]

    # ----------------------------------------------------------------- mutation
    def add_vector(self, key, vector):
        """Add one key; fills a pre-allocated slot if any is free. Returns its row.

        Filling a pre-allocated slot writes into the current arrays (that is what
        pre-allocating is for), so a query running at that moment may score the
        new row with the norm of the empty slot. While other threads query, add
        keys with :meth:`add_vectors`, which swaps in new arrays.
        """
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape[0] != self.vector_size:
            raise ValueError(f"vector has {vector.shape[0]} values, expected {self.vector_size}")
        _check_finite_rows(vector[None, :], [key])
        with self._lock:
            st = self._state
            target = self.next_index
            if key in st.key_to_index:
                raise ValueError(f"key {key!r} is already present; use __setitem__ to replace its vector")
            if target >= len(st.index_to_key) or st.index_to_key[target] is not None:
                target = len(st.index_to_key)
                warnings.warn("adding single vectors one at a time reallocates the matrix each time; "
                              "add them in batches with add_vectors", UserWarning, stacklevel=2)
                self.add_vectors([key], vector[None, :])
                self.next_index = target + 1
                return target
            # A free pre-allocated slot: no query can return it yet (its key is None until now).
            # The dict is held here, not re-read from st: a reader building st's lazy dict at the
            # same moment may replace st's, and the new snapshot must get the one with the key.
            key_to_index = st.key_to_index
            st.vectors[target] = vector
            st.index_to_key[target] = key
            key_to_index[key] = target
            self.next_index += 1
            self._state = _State(st.vectors, st.index_to_key, key_to_index)
            return target

    def add_vectors(self, keys, weights, extras=None, replace=False):
        """Append keys with their vectors; existing keys keep theirs unless ``replace``.

        Parameters
        ----------
        keys : list of (str or int), or one key
        weights : numpy.ndarray or list of vectors
            ``(len(keys), vector_size)``.
        extras : dict of str to array, optional
            Per-key attributes for the given keys (e.g. ``{'count': counts}``).
        replace : bool
            Overwrite the vectors of keys already present.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        keys = list(keys)
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim == 1 and len(keys) == 1:
            weights = weights.reshape(1, -1)
        if weights.ndim != 2 or weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights must have shape ({len(keys)}, {self.vector_size}), got {weights.shape}")
        if len(set(keys)) != len(keys):
            raise ValueError("keys contain duplicates")
        _check_finite_rows(weights, keys)
        extras = extras or {}
        with self._lock:
            st = self._state
            self.allocate_vecattrs()
            in_vocab = np.array([k in st.key_to_index for k in keys], dtype=bool)
            new_pos = np.flatnonzero(~in_vocab)
            new_keys = [keys[i] for i in new_pos]
            index_to_key = list(st.index_to_key) + new_keys
            key_to_index = dict(st.key_to_index)
            base = len(st.index_to_key)
            key_to_index.update((k, base + j) for j, k in enumerate(new_keys))
            vectors = np.empty((len(index_to_key), self.vector_size), dtype=st.vectors.dtype)
            vectors[:base] = st.vectors
            vectors[base:] = weights[new_pos]
            old_idx = np.array([st.key_to_index[keys[i]] for i in np.flatnonzero(in_vocab)], dtype=np.int64)
            if replace and old_idx.size:
                vectors[old_idx] = weights[in_vocab]
            for attr in list(self.expandos):
                arr = self.expandos[attr]
                grown = np.zeros(len(index_to_key), dtype=arr.dtype)
                grown[:base] = arr[:base]
                self.expandos[attr] = grown
            for attr, values in extras.items():
                values = np.asarray(values)
                if attr not in self.expandos:
                    self.expandos[attr] = np.zeros(len(index_to_key), dtype=values.dtype)
                self.expandos[attr][base:] = values[new_pos]
                if replace and old_idx.size:
                    self.expandos[attr][old_idx] = values[in_vocab]
            self._state = _State(vectors, index_to_key, key_to_index)
            self.grow_lockf(base)
            if self.next_index >= base:
                self.next_index = len(index_to_key)

    def __setitem__(self, keys, weights):
        """``kv[key] = vector`` or ``kv[keys] = vectors``: add or replace."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def sort_by_descending_frequency(self):
        """Reorder so the most frequent keys (by ``count``) come first; ties: later rows first, as gensim."""
        with self._lock:
            st = self._state
            if not len(st.index_to_key):
                return
            self.allocate_vecattrs()
            counts = np.asarray(self.expandos["count"], dtype=np.int64)
            indices = np.arange(len(counts))
            order = np.lexsort((-indices, -counts))
            index_to_key = [st.index_to_key[i] for i in order]
            for attr in self.expandos:
                self.expandos[attr] = self.expandos[attr][order]
            if len(self.vectors_lockf) == len(order) > 1:
                self.vectors_lockf = np.asarray(self.vectors_lockf)[order]
            vectors = np.ascontiguousarray(st.vectors[order]) if len(st.vectors) else st.vectors
            self._state = _State(vectors, index_to_key, None)

    def unit_normalize_all(self):
        """Replace every vector by its unit-length version (destroys the magnitudes)."""
        with self._lock:
            self.vectors = self.get_normed_vectors().astype(np.float32)

    def _counts(self):
        self.allocate_vecattrs()
        return self.expandos["count"]

    def _snapshot_with_counts(self):
        """The current snapshot and the ``count`` array that matches it (for writers of files)."""
        with self._lock:
            return self._state, self._counts()

    def _pinned(self):
        """A shallow copy that keeps reading the current snapshot: for answers made of several queries."""
        st = self._state
        view = copy.copy(self)
        view._state = st
        return view

    def __deepcopy__(self, memo):
        # copy.deepcopy(kv) (gensim users' way to freeze vectors) cannot copy the lock: give the
        # copy its own, and copy one snapshot's arrays so that later writes to either side
        # (training updates vectors in place) do not reach the other.
        with self._lock:
            st = self._state
            new = object.__new__(type(self))
            memo[id(self)] = new
            for name, value in self.__dict__.items():
                if name not in ("_lock", "_state"):
                    setattr(new, name, copy.deepcopy(value, memo))
            k2i = st._key_to_index
            new._state = _State(np.array(st.vectors), list(st.index_to_key), None if k2i is None else dict(k2i))
        new._lock = threading.RLock()
        return new
