"""The ``base.vocab.json`` + ``base.npy`` (+ ``base.meta.json``) format.

This is word2vec-matryoshka's on-disk format, extended by an optional
metadata file:

- ``base.vocab.json``: a JSON list of the keys, in index order (UTF-8);
- ``base.npy``: the vectors, a float32 C-order ``(len(keys), vector_size)``
  array in numpy's ``.npy`` format (never pickled);
- ``base.meta.json`` (optional): a JSON object with ``format``,
  ``format_version``, ``count``, ``vector_size`` and whatever the caller adds
  (``KeyedVectors`` stores ``levels``; ``Word2Vec`` stores its training state);
- ``base.counts.npy`` (optional, named by ``meta["counts_file"]``): int64
  key frequencies, one per key.

word2vec-matryoshka reads the first two files and ignores the others, and a
file pair written by it loads here with an empty ``meta``.
"""
import json
import os
import tokenize

import numpy as np

from w2vm.io.atomic import atomic_file_set, atomic_save_json, atomic_save_npy, reading_file_set, resolve

FORMAT_NAME = "w2vm-keyedvectors"
FORMAT_VERSION = 1

__all__ = ["save_base", "load_base", "load_meta", "load_counts", "load_npy", "paths", "FORMAT_VERSION",
           "MissingFileError"]


class MissingFileError(FileNotFoundError, ValueError):
    """A file that the set's metadata names is missing.

    A ``FileNotFoundError``, and a ``ValueError`` too: the files on disk do
    not agree with each other.
    """


def paths(base):
    """The file names used for ``base``: a dict with keys vocab, npy, meta, counts."""
    base = os.fspath(base)
    return {
        "vocab": base + ".vocab.json",
        "npy": base + ".npy",
        "meta": base + ".meta.json",
        "counts": base + ".counts.npy",
    }


def _check_keys(index_to_key, where, may_have_surrogates=True, build_index=True):
    """Validate keys; return ``key_to_index`` (or ``None`` when not ``build_index``).

    Keys must be JSON-representable scalars (str or int), unique and UTF-8
    encodable. When the dict is wanted it doubles as the duplicate check;
    otherwise a set (about half the cost) does.
    """
    if not isinstance(index_to_key, list):
        raise ValueError(f"{where}: the vocabulary must be a JSON list of keys, got {type(index_to_key).__name__}")
    if set(map(type, index_to_key)) <= {str}:  # C-speed check for the common all-str case
        strings = index_to_key
    else:
        strings = []
        for i, key in enumerate(index_to_key):
            if isinstance(key, str):
                strings.append(key)
            elif isinstance(key, bool) or not isinstance(key, (int, np.integer)):
                raise ValueError(f"{where}: key #{i} is {key!r} ({type(key).__name__}); keys must be str or int")
    if build_index:
        key_to_index = dict(zip(index_to_key, range(len(index_to_key))))
        n_unique = len(key_to_index)
    else:
        key_to_index = None
        n_unique = len(set(index_to_key))
    if n_unique != len(index_to_key):
        seen = set()
        dup = next(k for k in index_to_key if k in seen or seen.add(k))
        raise ValueError(f"{where}: duplicate key {dup!r}")
    if not may_have_surrogates:
        return key_to_index
    try:
        # One call over all keys: lone surrogates (legal in JSON, not in UTF-8) are rejected.
        "".join(strings).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{where}: a key is not valid Unicode (lone surrogate): {exc}") from None
    return key_to_index


def save_base(base, index_to_key, vectors, meta=None, counts=None):
    """Write ``base.npy``, ``base.vocab.json``, ``base.meta.json`` (and counts) as one atomic set.

    Parameters
    ----------
    base : str or os.PathLike
        Path prefix; the three file names are ``base`` + ``.npy`` / ``.vocab.json`` / ``.meta.json``.
    index_to_key : list of (str or int)
        Keys in index order, unique.
    vectors : numpy.ndarray
        ``(len(index_to_key), vector_size)``; stored as float32, C order.
    meta : dict, optional
        Extra JSON-serialisable fields, merged over the format's own fields.
    counts : array-like of int, optional
        Key frequencies, written to ``base.counts.npy`` (int64) and named in the meta file.
    """
    p = paths(base)
    index_to_key = list(index_to_key)
    _check_keys(index_to_key, p["vocab"])
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"{p['npy']}: vectors must be 2-D, got shape {vectors.shape}")
    if vectors.shape[0] != len(index_to_key):
        raise ValueError(
            f"{p['npy']}: {vectors.shape[0]} vectors but {len(index_to_key)} keys in the vocabulary")
    if not np.issubdtype(vectors.dtype, np.floating):
        raise TypeError(f"{p['npy']}: vectors must be floating point, got {vectors.dtype}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if meta is not None and not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    out_meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "count": int(vectors.shape[0]),
        "vector_size": int(vectors.shape[1]),
        "dtype": "float32",
    }
    keys_json = [int(k) if isinstance(k, np.integer) else k for k in index_to_key]
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != (len(index_to_key),) or not np.issubdtype(counts.dtype, np.integer):
            raise ValueError(
                f"{p['counts']}: counts must be {len(index_to_key)} integers, got {counts.dtype} {counts.shape}")
        out_meta["counts_file"] = os.path.basename(p["counts"])
    if meta:
        out_meta.update(meta)
    try:
        # Everything is checked before the first file is replaced, so a bad call changes nothing.
        json.dumps(out_meta)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{p['meta']}: meta is not JSON-serialisable ({exc})") from None
    with atomic_file_set(base):  # one set: a crash leaves all old files or all new ones
        atomic_save_npy(p["npy"], vectors)
        atomic_save_json(p["vocab"], keys_json)
        if counts is not None:
            atomic_save_npy(p["counts"], counts.astype(np.int64))
        # Renamed last: readers unaware of the set's journal see a meta naming counts only once they exist.
        atomic_save_json(p["meta"], out_meta)


def _read_json(path, what, with_raw=False):
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: {what} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: {what} is not valid JSON ({exc})") from None
    return (obj, raw) if with_raw else obj


def read_npy_header(path, fh):
    """Read and validate a ``.npy`` header; return ``(shape, dtype, data_offset)``.

    Nothing is allocated: the declared size is checked against the file size
    first, so a damaged header cannot trigger a huge allocation.
    """
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError, RecursionError, MemoryError) as exc:
        # numpy parses the header dict with ast/tokenize, which raise more than ValueError on garbage
        # (the header is at most 64 KiB, so none of these comes from a big allocation)
        raise ValueError(f"{path}: not a valid .npy file ({type(exc).__name__}: {exc})") from None
    if any(dim < 0 or dim >= 1 << 62 for dim in shape):
        raise ValueError(f"{path}: impossible shape {shape}")
    if dtype.hasobject:
        raise ValueError(f"{path}: holds Python objects (would need pickle, which w2vm never loads)")
    if fortran:
        raise ValueError(f"{path}: array is in Fortran order; C order is required")
    return shape, dtype, fh.tell()


def _load_matrix(path, mmap, expected_dtype=np.float32, ndim=2):
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as fh:
        shape, dtype, offset = read_npy_header(path, fh)
        if len(shape) != ndim:
            raise ValueError(f"{path}: expected a {ndim}-D array, got shape {shape}")
        if dtype.kind != np.dtype(expected_dtype).kind or dtype.itemsize != np.dtype(expected_dtype).itemsize:
            raise ValueError(f"{path}: dtype must be {np.dtype(expected_dtype).name}, got {dtype}")
        if ndim == 2 and shape[1] < 1:
            raise ValueError(f"{path}: vector size must be at least 1, got shape {shape}")
        return _read_npy_data(path, fh, shape, dtype, offset, mmap)


def _read_npy_data(path, fh, shape, dtype, offset, mmap):
    """The array after a validated header, once its declared size matches the file's."""
    count = 1
    for dim in shape:
        count *= int(dim)  # Python ints: a hostile shape cannot overflow the product
    size = os.fstat(fh.fileno()).st_size
    expected = offset + count * dtype.itemsize
    if size < expected:
        raise ValueError(f"{path}: truncated file: shape {shape} needs {expected} bytes, file has {size}")
    if size > expected:
        raise ValueError(f"{path}: {size - expected} unexpected trailing bytes after the {shape} array")
    native = dtype.isnative
    if mmap is not None and count > 0:
        if not native:
            raise ValueError(f"{path}: non-native byte order {dtype.str} cannot be memory-mapped")
        return np.memmap(path, dtype=dtype, mode=mmap, offset=offset, shape=shape, order="C")
    data = np.fromfile(fh, dtype=dtype, count=count)
    if data.size != count:  # the file shrank under us
        raise ValueError(f"{path}: truncated file while reading")
    data = data.reshape(shape)
    if not native:
        data = data.astype(dtype.newbyteorder("="))
    return data


def load_npy(path, mmap=None):
    """``numpy.load`` without pickle, for any dtype and shape, that never trusts the header.

    The declared shape is checked against the file size before anything is
    allocated or mapped; object arrays and Fortran order are refused. Every
    problem raises ``ValueError`` naming the file (``FileNotFoundError`` when
    it does not exist).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    with open(path, "rb") as fh:
        shape, dtype, offset = read_npy_header(path, fh)
        if dtype.fields is not None or dtype.subdtype is not None:
            raise ValueError(f"{path}: structured dtype {dtype} is not supported")
        return _read_npy_data(path, fh, shape, dtype, offset, mmap)


def _check_finite(path, vectors):
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{path}: row {bad} contains NaN or infinity")


def load_base(base, mmap=None, check_finite=None):
    """Load and validate the files written by :func:`save_base` (or by word2vec-matryoshka).

    Parameters
    ----------
    base : str or os.PathLike
        Path prefix given at save time.
    mmap : {None, 'r', 'r+', 'c'}
        Memory-map ``base.npy`` (zero copy) instead of reading it.
    check_finite : bool, optional
        Scan the vectors for NaN/inf. Default: yes when reading into memory,
        no when memory-mapping (scanning would read the whole file, which is
        what mapping is meant to avoid).

    Returns
    -------
    index_to_key : list
    vectors : numpy.ndarray or numpy.memmap
    meta : dict
        ``{}`` when there is no meta file.

    Raises
    ------
    FileNotFoundError
        When ``base.vocab.json`` or ``base.npy`` is missing.
    ValueError
        Naming the file and the problem, for any inconsistency.
    """
    with reading_file_set(base):  # finishes an interrupted save first; no save interleaves
        return _load_base(base, mmap, check_finite)


def _load_base(base, mmap, check_finite):
    if mmap not in (None, "r", "r+", "c"):
        raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', got {mmap!r}")
    p = {name: resolve(path) for name, path in paths(base).items()}
    if not os.path.exists(p["vocab"]):
        raise FileNotFoundError(f"{p['vocab']}: no such file")
    vectors = _load_matrix(p["npy"], mmap)
    index_to_key, raw = _read_json(p["vocab"], "vocabulary", with_raw=True)
    # Decoded UTF-8 can only hold a lone surrogate through a JSON "\\uXXXX" escape.
    # The key -> index dict is left to the caller (KeyedVectors builds it lazily); a set checks duplicates.
    _check_keys(index_to_key, p["vocab"], may_have_surrogates=b"\\u" in raw, build_index=False)
    del raw
    if len(index_to_key) != vectors.shape[0]:
        raise ValueError(
            f"{p['vocab']}: {len(index_to_key)} keys, but {p['npy']} has {vectors.shape[0]} vectors")
    meta = load_meta(base)
    if meta:
        for field, actual in (("count", vectors.shape[0]), ("vector_size", vectors.shape[1])):
            if field in meta and meta[field] != actual:
                raise ValueError(f"{p['meta']}: {field}={meta[field]!r} but {p['npy']} has {actual}")
    if check_finite is None:
        check_finite = mmap is None
    if check_finite:
        _check_finite(p["npy"], vectors)
    return index_to_key, vectors, meta


def load_meta(base):
    """The object in ``base.meta.json``, checked for its format version; ``{}`` when there is none."""
    p = {"meta": resolve(paths(base)["meta"])}
    if not os.path.exists(p["meta"]):
        return {}
    meta = _read_json(p["meta"], "metadata")
    if not isinstance(meta, dict):
        raise ValueError(f"{p['meta']}: metadata must be a JSON object, got {type(meta).__name__}")
    version = meta.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{p['meta']}: format_version {version!r} is not supported (this w2vm reads up to {FORMAT_VERSION})")
    return meta


def load_counts(base, meta, n):
    """The int64 counts named by ``meta`` (see :func:`save_base`), or ``None`` if there are none."""
    name = meta.get("counts_file")
    if name is None:
        return None
    if not isinstance(name, str) or os.path.basename(name) != name or name in ("", ".", ".."):
        raise ValueError(f"{paths(base)['meta']}: counts_file must be a plain file name, got {name!r}")
    path = resolve(os.path.join(os.path.dirname(os.path.abspath(os.fspath(base))), name))
    if not os.path.isfile(path):
        raise MissingFileError(f"{path}: no such file (named as counts_file by {paths(base)['meta']})")
    counts = _load_matrix(path, None, expected_dtype=np.int64, ndim=1)
    if counts.shape != (n,):
        raise ValueError(f"{path}: {counts.shape[0]} counts for {n} keys")
    return counts
