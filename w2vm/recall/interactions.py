"""Interaction logs: loading, per-user histories (CSR), sessions and train/test splits.

An interaction log is a table of ``(user_id, item_id, timestamp[, weight])``.
:class:`Interactions` holds it as integer codes (``users``, ``items``) plus the
original labels, so every later step (item2vec, user vectors, recall,
metrics) works on dense ``int64`` arrays, and splits of one log share one
item code space.

Timestamps are compared, never used to order rows within a tie: logs such as
MovieLens record many events in the same second, and their order there is
arbitrary. The temporal split therefore holds out each user's whole last
timestamp group.
"""
import numbers
import os

import numpy as np

from w2vm.corpora import decode_error, open_text

__all__ = ["Interactions", "Sequences", "load_interactions", "leave_last_out", "random_split",
           "sessionize"]

_USER_NAMES = ("user_id", "user", "userid", "uid", "session_id", "visitor_id")
_ITEM_NAMES = ("item_id", "item", "itemid", "iid", "movie_id", "product_id")
_TIME_NAMES = ("timestamp", "time", "ts", "datetime", "date")
_WEIGHT_NAMES = ("weight", "rating", "score", "count", "value")


def _codes(labels):
    """``(unique labels, int64 codes)``; codes follow the sorted order of the labels."""
    uniq, inv = np.unique(labels, return_inverse=True)
    return uniq, inv.astype(np.int64).reshape(-1)


def _as_1d(values, name, n=None):
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-d, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but user_ids has {n}")
    return arr


def _as_times(values, n):
    t = _as_1d(values, "timestamps", n)
    if np.issubdtype(t.dtype, np.datetime64):
        # compare in seconds; the unit only matters for gap-based sessions
        return t.astype("datetime64[s]").astype(np.int64)
    if t.dtype.kind not in "iuf":
        try:
            t = t.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"timestamps must be numbers or datetime64, got dtype {t.dtype}") from None
    if t.dtype.kind == "f":
        if not np.isfinite(t).all():
            raise ValueError("timestamps contain NaN or infinite values")
        if t.size and np.all(t == np.floor(t)) and np.abs(t).max() < 2 ** 53:
            return t.astype(np.int64)
        return t.astype(np.float64)
    return t.astype(np.int64)


class Interactions:
    """An interaction log as integer codes, sorted by user then time.

    Parameters
    ----------
    user_ids, item_ids : array-like (n,)
        Any hashable, sortable labels (ints or strings).
    timestamps : array-like (n,)
        Numbers (e.g. Unix seconds) or ``datetime64``.
    weights : array-like (n,), optional
        A strength per event (rating, count, dwell time).
    item_labels, user_labels : array, optional
        Fix the code spaces (used by splits so that both halves share codes);
        ``item_ids``/``user_ids`` are then codes into them.

    Attributes
    ----------
    users, items : int64 arrays (n,)
        Codes into ``user_labels`` / ``item_labels``.
    timestamps : int64 or float64 array (n,)
    weights : float32 array (n,) or None
    user_labels, item_labels : arrays
        The original ids, indexed by code.
    """

    def __init__(self, user_ids, item_ids, timestamps, weights=None, *, item_labels=None, user_labels=None):
        u = _as_1d(user_ids, "user_ids")
        n = u.shape[0]
        i = _as_1d(item_ids, "item_ids", n)
        t = _as_times(timestamps, n)
        w = None
        if weights is not None:
            w = _as_1d(weights, "weights", n)
            if w.dtype.kind not in "iufb":
                raise TypeError(f"weights must be numeric, got dtype {w.dtype}")
            w = w.astype(np.float32)
            if not np.isfinite(w).all():
                raise ValueError("weights contain NaN or infinite values")
        if user_labels is None:
            user_labels, u = _codes(u)
        else:
            u = self._check_codes(u, len(user_labels), "user")
        if item_labels is None:
            item_labels, i = _codes(i)
        else:
            i = self._check_codes(i, len(item_labels), "item")
        # Sort by (user, time); ties keep input order but nothing relies on it.
        order = np.lexsort((t, u))
        self.users = u[order]
        self.items = i[order]
        self.timestamps = t[order]
        self.weights = None if w is None else w[order]
        self.user_labels = np.asarray(user_labels)
        self.item_labels = np.asarray(item_labels)
        self._offsets = None

    @staticmethod
    def _check_codes(codes, n, what):
        if codes.size and (codes.dtype.kind not in "iu" or codes.min() < 0 or codes.max() >= n):
            raise ValueError(f"{what} codes must be ints in [0, {n}) when {what}_labels is given")
        return codes.astype(np.int64)

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_dataframe(cls, df, user_col=None, item_col=None, time_col=None, weight_col=None):
        """Read a pandas DataFrame; column names default to the usual spellings (``user_id``, ...)."""
        cols = {str(c).lower(): c for c in df.columns}
        user_col = user_col or _pick(cols, _USER_NAMES, "user")
        item_col = item_col or _pick(cols, _ITEM_NAMES, "item")
        time_col = time_col or _pick(cols, _TIME_NAMES, "timestamp")
        if weight_col is None:
            weight_col = next((cols[c] for c in _WEIGHT_NAMES if c in cols), None)
        for c in (user_col, item_col, time_col) + ((weight_col,) if weight_col is not None else ()):
            if c not in df.columns:
                raise KeyError(f"column {c!r} not in the DataFrame (columns: {list(df.columns)})")
        w = None if weight_col is None else df[weight_col].to_numpy()
        return cls(df[user_col].to_numpy(), df[item_col].to_numpy(), df[time_col].to_numpy(), w)

    # ------------------------------------------------------------------ views
    def __len__(self):
        return int(self.users.shape[0])

    @property
    def n_users(self):
        """Size of the user code space (users with no row here included)."""
        return int(len(self.user_labels))

    @property
    def n_items(self):
        """Size of the item code space (items with no row here included)."""
        return int(len(self.item_labels))

    @property
    def offsets(self):
        """int64 (n_users + 1,): rows of user ``u`` are ``offsets[u]:offsets[u+1]`` (CSR)."""
        if self._offsets is None:
            counts = np.bincount(self.users, minlength=self.n_users)
            self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._offsets

    def counts_per_user(self):
        return np.diff(self.offsets)

    def item_counts(self):
        """Events per item code (the popularity baseline's scores)."""
        return np.bincount(self.items, minlength=self.n_items)

    def subset(self, mask):
        """The rows where ``mask`` is true, with the same code spaces."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ValueError(f"mask must have shape ({len(self)},), got {mask.shape}")
        return Interactions(self.users[mask], self.items[mask], self.timestamps[mask],
                            None if self.weights is None else self.weights[mask],
                            item_labels=self.item_labels, user_labels=self.user_labels)

    def item_codes(self, item_ids):
        """Codes of item labels; ``KeyError`` naming the first unknown one."""
        ids = np.asarray(item_ids)
        if ids.dtype != self.item_labels.dtype and ids.dtype.kind != self.item_labels.dtype.kind:
            ids = ids.astype(self.item_labels.dtype)
        pos = np.searchsorted(self.item_labels, ids)
        pos_c = np.minimum(pos, max(self.n_items - 1, 0))
        ok = (pos < self.n_items) & (self.item_labels[pos_c] == ids)
        if not ok.all():
            raise KeyError(f"unknown item id {np.atleast_1d(ids)[~ok][0]!r}")
        return pos_c.astype(np.int64)

    def histories(self):
        """Each user's items in time order, as :class:`Sequences` (one per user code)."""
        return Sequences(self.items, self.offsets, self.item_labels, timestamps=self.timestamps,
                         owners=np.arange(self.n_users, dtype=np.int64))

    def __repr__(self):
        return (f"Interactions(rows={len(self)}, users={int((self.counts_per_user() > 0).sum())}/{self.n_users}, "
                f"items={int((self.item_counts() > 0).sum())}/{self.n_items})")


def _pick(cols, names, what):
    for name in names:
        if name in cols:
            return cols[name]
    raise KeyError(f"no {what} column: expected one of {list(names)}, got {list(cols.values())}")


class Sequences:
    """Item sequences in CSR form: sequence ``s`` is ``items[offsets[s]:offsets[s+1]]``.

    Iterating yields lists of item tokens (``str`` of the item label), so a
    :class:`Sequences` is a restartable corpus for :class:`w2vm.Word2Vec`.

    Parameters
    ----------
    items : int64 array
        Item codes, sequence after sequence.
    offsets : int64 array (n_sequences + 1,)
    item_labels : array
        Labels by code; tokens are ``str(label)``.
    timestamps : array, optional
        One per item.
    owners : int64 array (n_sequences,), optional
        The user code of each sequence.
    """

    def __init__(self, items, offsets, item_labels, timestamps=None, owners=None):
        self.items = np.asarray(items, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        if self.offsets.ndim != 1 or self.offsets.size < 1 or self.offsets[0] != 0 \
                or self.offsets[-1] != self.items.size or np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must start at 0, never decrease and end at len(items)")
        self.item_labels = np.asarray(item_labels)
        self.timestamps = timestamps
        self.owners = owners
        self._tokens = None

    def __len__(self):
        return int(self.offsets.size - 1)

    def lengths(self):
        return np.diff(self.offsets)

    @property
    def tokens(self):
        """``str`` token of every item code (what Word2Vec's vocabulary holds)."""
        if self._tokens is None:
            self._tokens = np.array([str(x) for x in self.item_labels.tolist()], dtype=object)
        return self._tokens

    def __iter__(self):
        tokens = self.tokens
        items, off = self.items, self.offsets
        for s in range(len(self)):
            a, b = off[s], off[s + 1]
            if b > a:
                yield tokens[items[a:b]].tolist()


def sessionize(interactions, gap=None, min_length=1):
    """Split each user's time-ordered history into sessions.

    Parameters
    ----------
    interactions : Interactions
    gap : number, optional
        A new session starts where two consecutive events of a user are more
        than ``gap`` time units apart (seconds for Unix timestamps). ``None``:
        one session per user.
    min_length : int
        Drop sessions shorter than this (a one-item session teaches item2vec nothing).

    Returns
    -------
    Sequences
        With ``owners`` set to the user code of each session.
    """
    if not isinstance(interactions, Interactions):
        raise TypeError(f"interactions must be an Interactions, not {type(interactions).__name__}")
    if isinstance(min_length, bool) or not isinstance(min_length, numbers.Integral) or min_length < 1:
        raise ValueError(f"min_length must be an int >= 1, got {min_length!r}")
    n = len(interactions)
    users, t = interactions.users, interactions.timestamps
    start = np.ones(n, dtype=bool)
    if n:
        start[1:] = users[1:] != users[:-1]
        if gap is not None:
            if not isinstance(gap, numbers.Real) or gap < 0:
                raise ValueError(f"gap must be a non-negative number, got {gap!r}")
            start[1:] |= (t[1:] - t[:-1]) > gap
    starts = np.flatnonzero(start)
    offsets = np.append(starts, n).astype(np.int64)
    lengths = np.diff(offsets)
    keep = lengths >= min_length
    if not keep.all():
        row_keep = np.repeat(keep, lengths)
        offsets = np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64)
        starts = starts[keep]
        items, times = interactions.items[row_keep], t[row_keep]
    else:
        items, times = interactions.items, t
    return Sequences(items, offsets, interactions.item_labels, timestamps=times,
                     owners=users[starts] if n else np.zeros(0, np.int64))


def leave_last_out(interactions, min_history=1):
    """Temporal split: hold out each user's last timestamp group.

    All events sharing a user's latest timestamp go to the test side together,
    since their order within that timestamp is unknown.

    Parameters
    ----------
    interactions : Interactions
    min_history : int
        A user is tested only if at least this many events remain in training;
        otherwise all the user's events stay in training.

    Returns
    -------
    train, test : Interactions
        Same code spaces.
    """
    if not isinstance(interactions, Interactions):
        raise TypeError(f"interactions must be an Interactions, not {type(interactions).__name__}")
    off = interactions.offsets
    counts = np.diff(off)
    has = counts > 0
    last_t = np.zeros(interactions.n_users, dtype=interactions.timestamps.dtype)
    last_t[has] = interactions.timestamps[off[1:][has] - 1]   # rows are time-sorted per user
    is_test = interactions.timestamps == last_t[interactions.users]
    n_train = np.bincount(interactions.users[~is_test], minlength=interactions.n_users)
    is_test &= (n_train >= min_history)[interactions.users]
    return interactions.subset(~is_test), interactions.subset(is_test)


def random_split(interactions, test_fraction=0.2, seed=0, min_history=1):
    """Random split of events: each event goes to test with probability ``test_fraction``.

    Users with fewer than ``min_history`` training events keep all their events in training.
    """
    if not isinstance(interactions, Interactions):
        raise TypeError(f"interactions must be an Interactions, not {type(interactions).__name__}")
    if not isinstance(test_fraction, numbers.Real) or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    is_test = rng.random(len(interactions)) < test_fraction
    n_train = np.bincount(interactions.users[~is_test], minlength=interactions.n_users)
    is_test &= (n_train >= min_history)[interactions.users]
    return interactions.subset(~is_test), interactions.subset(is_test)


# --------------------------------------------------------------------------- loading
def _read_text(path):
    """The whole file as UTF-8 text, decompressed by name (``.gz``, ``.bz2``, ``.xz``: the package's one table).

    Undecodable bytes and damaged compressed data raise ``CorpusReadError``
    (a ``ValueError``) naming the file, the line and the byte.
    """
    try:
        with open_text(path) as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise decode_error(path) from None


def _parse_column(values):
    """ints if every value is an int, else floats if all are numbers, else str."""
    arr = np.asarray(values)
    for dtype in (np.int64, np.float64):
        try:
            return arr.astype(dtype)
        except ValueError:
            pass
    return arr


def read_tsv(path, delimiter="\t", user_col=None, item_col=None, time_col=None, weight_col=None,
             min_weight=None):
    """Read an interaction log from a delimited text file (optionally ``.gz``, ``.bz2`` or ``.xz``).

    A header line is recognised when it names the columns (``user_id``,
    ``item_id``, ``timestamp``, optional ``rating``/``weight``); without one
    the columns are taken in that order.

    Parameters
    ----------
    path : str or os.PathLike
    delimiter : str
    user_col, item_col, time_col, weight_col : str or int, optional
        Column names (with a header) or positions.
    min_weight : float, optional
        Drop rows whose weight is below this (e.g. ratings under 4).

    Returns
    -------
    Interactions
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    lines = _read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f"{path}: empty file")
    first = lines[0].split(delimiter)
    header = None
    if any(f.strip().lower() in _USER_NAMES + _ITEM_NAMES + _TIME_NAMES for f in first):
        header = [f.strip().lower() for f in first]
        lines = lines[1:]
    rows = [ln.split(delimiter) for ln in lines if ln.strip()]
    if not rows:
        raise ValueError(f"{path}: no data rows")
    width = len(rows[0])
    bad = next((k for k, r in enumerate(rows) if len(r) != width), None)
    if bad is not None:
        raise ValueError(f"{path}: row {bad + 1 + (header is not None)} has {len(rows[bad])} fields, "
                         f"expected {width}")
    if width < 3:
        raise ValueError(f"{path}: need at least 3 columns (user, item, timestamp), got {width}")
    table = np.array(rows, dtype=object).T

    def locate(spec, names, default, what):
        if spec is None:
            if header is not None:
                found = next((header.index(n) for n in names if n in header), None)
                if found is None and default is not None and what != "weight":
                    raise ValueError(f"{path}: header {header} has no {what} column ({'/'.join(names)})")
                return found
            return default
        if isinstance(spec, numbers.Integral):
            if not 0 <= spec < width:
                raise ValueError(f"{path}: {what} column {spec} out of range (0..{width - 1})")
            return int(spec)
        if header is None or str(spec).lower() not in header:
            raise KeyError(f"{path}: no column named {spec!r}")
        return header.index(str(spec).lower())

    cu = locate(user_col, _USER_NAMES, 0, "user")
    ci = locate(item_col, _ITEM_NAMES, 1, "item")
    ct = locate(time_col, _TIME_NAMES, 2, "timestamp")
    cw = locate(weight_col, _WEIGHT_NAMES, 3 if width > 3 else None, "weight")
    t = _parse_column(table[ct].astype(str))
    if t.dtype.kind not in "if":
        raise ValueError(f"{path}: timestamps must be numbers, e.g. {t[0]!r}")
    w = None
    if cw is not None:
        w = _parse_column(table[cw].astype(str))
        if w.dtype.kind not in "if":
            raise ValueError(f"{path}: weights must be numbers, e.g. {w[0]!r}")
    u = _parse_column(table[cu].astype(str))
    i = _parse_column(table[ci].astype(str))
    if min_weight is not None:
        if w is None:
            raise ValueError(f"{path}: min_weight given but the file has no weight column")
        keep = w >= min_weight
        u, i, t, w = u[keep], i[keep], t[keep], w[keep]
    return Interactions(u, i, t, w)


def load_interactions(source, *, user_col=None, item_col=None, time_col=None, weight_col=None,
                      min_weight=None, delimiter="\t"):
    """An :class:`Interactions` from a path, a DataFrame, a dict of arrays or a tuple of arrays.

    Parameters
    ----------
    source : str, os.PathLike, pandas.DataFrame, dict, tuple or Interactions
        A path is read by :func:`read_tsv`. A dict maps column names to
        arrays; a tuple is ``(user_ids, item_ids, timestamps[, weights])``.
    user_col, item_col, time_col, weight_col : optional
        Column names for a DataFrame, dict or file.
    min_weight : float, optional
        Keep only rows whose weight is at least this.

    Returns
    -------
    Interactions
    """
    if isinstance(source, Interactions):
        inter = source
    elif isinstance(source, (str, os.PathLike)):
        return read_tsv(source, delimiter=delimiter, user_col=user_col, item_col=item_col,
                        time_col=time_col, weight_col=weight_col, min_weight=min_weight)
    elif type(source).__name__ == "DataFrame" and hasattr(source, "columns"):
        inter = Interactions.from_dataframe(source, user_col, item_col, time_col, weight_col)
    elif isinstance(source, dict):
        cols = {str(k).lower(): k for k in source}
        uc = user_col or _pick(cols, _USER_NAMES, "user")
        ic = item_col or _pick(cols, _ITEM_NAMES, "item")
        tc = time_col or _pick(cols, _TIME_NAMES, "timestamp")
        wc = weight_col or next((cols[c] for c in _WEIGHT_NAMES if c in cols), None)
        inter = Interactions(source[uc], source[ic], source[tc], None if wc is None else source[wc])
    elif isinstance(source, tuple):
        if len(source) not in (3, 4):
            raise ValueError(f"a tuple source must be (user_ids, item_ids, timestamps[, weights]), "
                             f"got {len(source)} arrays")
        inter = Interactions(*source)
    else:
        raise TypeError("source must be a path, a pandas DataFrame, a dict or tuple of arrays, or an "
                        f"Interactions, not {type(source).__name__}")
    if min_weight is not None:
        if inter.weights is None:
            raise ValueError("min_weight given but the interactions have no weights")
        inter = inter.subset(inter.weights >= min_weight)
    return inter
