"""The original C word2vec tool's text and binary formats (and GloVe's header-less text).

Layout (both): a header line ``"<count> <vector_size>\\n"`` then one record per key:

- text: ``key v1 v2 ... vd\\n`` with values written as ``str(numpy.float32)``
  (the shortest repr, exactly what gensim writes);
- binary: ``key `` then ``vector_size`` little-endian float32s. The C tool
  adds ``\\n`` after each vector, gensim does not; both are read (a record's
  leading newlines are dropped, as gensim does).

Files whose name ends in ``.gz``/``.bz2``/``.xz`` are (de)compressed on the fly.
Writes are atomic. Readers never trust the header: sizes are checked against
the file size before anything is allocated (for uncompressed files; for
compressed ones memory grows only with the data actually read), and
truncated records, non-numbers, NaN/inf and undecodable keys raise
:class:`Word2VecFormatError` (a ``ValueError``) naming the file and the record.
"""
import logging
import warnings

import numpy as np

from w2vm.io.compression import open_read, open_write, plain_size

logger = logging.getLogger(__name__)

__all__ = ["save_word2vec_format", "load_word2vec_format", "Word2VecFormatError", "TruncatedFileError"]

_CHUNK_ROWS = 8192
_READ_BYTES = 1 << 22


class Word2VecFormatError(ValueError):
    """A word2vec-format file is malformed."""


class TruncatedFileError(Word2VecFormatError, EOFError):
    """The file ends before the records its header declares (an ``EOFError`` too, like gensim's)."""


def _check_key_for_format(key, fname):
    text = str(key)
    if not text or " " in text or "\n" in text:
        raise ValueError(f"{fname}: key {key!r} cannot be stored in word2vec format (empty, or has a space/newline)")
    return text


def save_word2vec_format(fname, index_to_key, vectors, counts=None, fvocab=None, binary=False,
                         total_vec=None, write_header=True, prefix="", append=False):
    """Write vectors in the C word2vec text or binary format, byte-identical to gensim 4.

    Parameters
    ----------
    fname : str or os.PathLike
        Output file; ``.gz``/``.bz2``/``.xz`` names are compressed.
    index_to_key : list
        Keys in index order.
    vectors : numpy.ndarray
        ``(len(index_to_key), d)`` array (already truncated to the level to export).
    counts : numpy.ndarray, optional
        Frequencies (or any per-key numbers: gensim's ``sort_attr``); when given,
        records are written in descending order of them (stable), as gensim does.
    fvocab : str, optional
        Also write ``key count`` lines (the C tool's ``-save-vocab`` file).
    binary : bool
        Binary instead of text records.
    total_vec : int, optional
        Count written in the header (default: the number of keys).
    write_header : bool
        ``False`` gives GloVe-style text without the header line.
    prefix : str
        Prepended to every key.
    append : bool
        Add after the current content of ``fname`` (and ``fvocab``) instead of
        replacing it; the write is still atomic.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
        raise ValueError(f"{fname}: vectors of shape {vectors.shape} do not match {len(index_to_key)} keys")
    n, d = vectors.shape
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != (n,):
            raise ValueError(f"{fname}: {counts.shape} sort values for {n} keys")
        order = np.argsort(-counts, kind="stable")
    else:
        if fvocab is not None:
            raise ValueError("cannot write fvocab: these vectors have no counts")
        order = np.arange(n)
    names = [prefix + _check_key_for_format(index_to_key[i], fname) for i in order]
    if total_vec is None:
        total_vec = n
    if fvocab is not None:
        with open_write(fvocab, append=append) as vout:
            vout.write("".join(f"{name} {counts[i]}\n" for name, i in zip(names, order)).encode("utf-8"))
    with open_write(fname, append=append) as fout:
        if write_header:
            fout.write(f"{total_vec} {d}\n".encode("utf-8"))
        for start in range(0, n, _CHUNK_ROWS):
            rows = order[start:start + _CHUNK_ROWS]
            block = vectors[rows]
            chunk_names = names[start:start + _CHUNK_ROWS]
            if binary:
                raw = np.ascontiguousarray(block, dtype="<f4")
                stride = d * 4
                buf = raw.tobytes()
                fout.write(b"".join(
                    name.encode("utf-8") + b" " + buf[j * stride:(j + 1) * stride]
                    for j, name in enumerate(chunk_names)))
            else:
                # str() of a numpy scalar is its shortest round-trip repr: gensim's exact text.
                fout.write("".join(
                    f"{name} {' '.join(map(str, row))}\n" for name, row in zip(chunk_names, block)
                ).encode("utf-8"))


def _read_counts(fvocab, unicode_errors):
    counts = {}
    with open_read(fvocab) as fin:
        for line_no, line in enumerate(fin, 1):
            parts = line.decode("utf-8", errors=unicode_errors).split()
            if len(parts) != 2:
                raise Word2VecFormatError(f"{fvocab}: line {line_no}: expected 'key count', got {line[:80]!r}")
            try:
                count = int(parts[1])
            except ValueError:
                raise Word2VecFormatError(f"{fvocab}: line {line_no}: count {parts[1]!r} is not an integer") from None
            if not 0 <= count < 1 << 63:  # stored as int64
                raise Word2VecFormatError(f"{fvocab}: line {line_no}: count {count} is out of range")
            counts[parts[0]] = count
    return counts


def _parse_header(fname, line, encoding):
    try:
        text = line.decode(encoding)
        n, d = (int(x) for x in text.split())
    except (UnicodeDecodeError, ValueError):
        raise Word2VecFormatError(
            f"{fname}: bad header {line[:80]!r}; expected '<count> <vector_size>' "
            "(use no_header=True for GloVe files)") from None
    if n < 0 or d < 1:
        raise Word2VecFormatError(f"{fname}: bad header sizes count={n}, vector_size={d}")
    return n, d


def _decode_key(fname, raw, record, encoding, unicode_errors):
    try:
        key = raw.decode(encoding, errors=unicode_errors)
    except UnicodeDecodeError as exc:
        raise Word2VecFormatError(
            f"{fname}: record {record}: key {raw[:40]!r} is not valid {encoding} ({exc.reason}); "
            "unicode_errors='replace' or 'ignore' accepts it") from None
    return key


def _check_block_finite(fname, block, first_record):
    bad = ~np.isfinite(block).all(axis=1)
    if bad.any():
        raise Word2VecFormatError(f"{fname}: record {first_record + int(np.flatnonzero(bad)[0])} has NaN or infinity")


def _read_binary(fin, fname, n, d, encoding, unicode_errors):
    rec = 4 * d
    keys, blocks, pieces = [], [], []
    buf = b""
    pos = 0
    eof = False
    while len(keys) < n:
        space = buf.find(b" ", pos)
        if space < 0 or len(buf) - space - 1 < rec:
            if eof:
                raise TruncatedFileError(
                    f"{fname}: truncated file: header declares {n} vectors, only {len(keys)} complete records")
            # About what the records still to read need, so that limit=10 reads kilobytes, not 4 MiB.
            want = min(_READ_BYTES, max(1 << 16, (n - len(keys)) * (rec + 32)))
            more = fin.read(want)
            eof = len(more) < want
            buf = buf[pos:] + more
            pos = 0
            continue
        key = _decode_key(fname, buf[pos:space], len(keys), encoding, unicode_errors).lstrip("\n")
        if not key:
            raise Word2VecFormatError(f"{fname}: record {len(keys)} has an empty key")
        keys.append(key)
        pieces.append(buf[space + 1:space + 1 + rec])
        pos = space + 1 + rec
        if len(pieces) == _CHUNK_ROWS:
            blocks.append(np.frombuffer(b"".join(pieces), dtype="<f4").reshape(-1, d))
            pieces = []
    if pieces:
        blocks.append(np.frombuffer(b"".join(pieces), dtype="<f4").reshape(-1, d))
    return keys, blocks


def _parse_text_block(fname, lines, first_record, d, encoding, unicode_errors, datatype):
    keys, rests = [], []
    for j, line in enumerate(lines):
        record = first_record + j
        text = _decode_key(fname, line, record, encoding, unicode_errors).rstrip()
        key, _, rest = text.partition(" ")
        if not key:
            raise Word2VecFormatError(f"{fname}: record {record} has an empty key")
        found = rest.count(" ") + 1 if rest else 0
        if found != d:
            raise Word2VecFormatError(f"{fname}: record {record} ({key!r}) has {found} values, expected {d}")
        keys.append(key)
        rests.append(rest)
    try:
        # Parsed as float64 then cast once: the rounding gensim's datatype(str) gives.
        values = np.array(" ".join(rests).split(" "), dtype=np.float64)
    except ValueError:
        for j, rest in enumerate(rests):
            try:
                [float(x) for x in rest.split(" ")]
            except ValueError as exc:
                raise Word2VecFormatError(f"{fname}: record {first_record + j}: {exc}") from None
        raise
    return keys, values.reshape(-1, d).astype(datatype)


def _read_text(fin, fname, n, d, encoding, unicode_errors, datatype):
    keys, blocks = [], []
    lines = []
    while len(keys) + len(lines) < n:
        line = fin.readline()
        if not line:
            raise TruncatedFileError(
                f"{fname}: truncated file: expected {n} vectors, found {len(keys) + len(lines)}")
        lines.append(line)
        if len(lines) == _CHUNK_ROWS:
            k, b = _parse_text_block(fname, lines, len(keys), d, encoding, unicode_errors, datatype)
            keys.extend(k)
            blocks.append(b)
            lines = []
    if lines:
        k, b = _parse_text_block(fname, lines, len(keys), d, encoding, unicode_errors, datatype)
        keys.extend(k)
        blocks.append(b)
    return keys, blocks


def _detect_text_sizes(fname, limit, encoding, unicode_errors):
    n, d = 0, None
    with open_read(fname) as fin:
        for line in fin:
            if limit and n == limit:
                break
            if d is None:
                text = line.decode(encoding, errors=unicode_errors).rstrip()
                d = text.count(" ")
            n += 1
    if d is None or d < 1:
        raise Word2VecFormatError(f"{fname}: no vectors found (empty file or first line has no values)")
    return n, d


def load_word2vec_format(fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                         limit=None, datatype=np.float32, no_header=False):
    """Read a C word2vec text/binary file (or GloVe text with ``no_header=True``).

    Parameters are gensim's ``KeyedVectors.load_word2vec_format``'s. Duplicate
    keys are kept at their first occurrence with a warning, as gensim does.

    Returns
    -------
    index_to_key : list of str
    vectors : numpy.ndarray
        ``(n, d)`` of ``datatype``.
    counts : numpy.ndarray
        int64; from ``fvocab`` when given, else gensim's made-up descending counts.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    counts_map = _read_counts(fvocab, unicode_errors) if fvocab is not None else None
    if no_header:
        if binary:
            raise ValueError("no_header=True only works for text files (binary=False)")
        n, d = _detect_text_sizes(fname, limit, encoding, unicode_errors)
    with open_read(fname) as fin:
        header_len = 0
        if not no_header:
            line = fin.readline()
            header_len = len(line)
            n, d = _parse_header(fname, line, encoding)
            if limit:
                n = min(n, limit)
        size = plain_size(fname)
        if size is not None:
            # Smallest possible record: 1-byte key + separator + the values.
            min_rec = 2 + 4 * d if binary else 2 + 2 * d
            if n and (size - header_len) < n * min_rec - (0 if binary else 1):
                raise TruncatedFileError(
                    f"{fname}: header declares {n} vectors of size {d} (at least {n * min_rec} bytes) "
                    f"but the file has only {size - header_len} bytes after the header")
        if binary:
            keys, blocks = _read_binary(fin, fname, n, d, encoding, unicode_errors)
        else:
            keys, blocks = _read_text(fin, fname, n, d, encoding, unicode_errors, datatype)
    # a new array: one block read from bytes would be a read-only view of them
    vectors = np.concatenate(blocks) if len(blocks) != 1 else np.array(blocks[0])
    if not blocks:
        vectors = np.zeros((0, d), dtype=datatype)
    # Checked after the cast: a finite float32 can still overflow a float16 ``datatype``.
    with np.errstate(over="ignore"):
        vectors = np.ascontiguousarray(vectors, dtype=datatype)
    _check_block_finite(fname, vectors, 0)
    if len(set(keys)) != len(keys):
        first = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        keep = np.array(sorted(first.values()), dtype=np.int64)
        warnings.warn(f"{fname}: {len(keys) - len(keep)} duplicate keys; keeping each key's first vector",
                      UserWarning, stacklevel=3)
        keys = [keys[i] for i in keep]
        vectors = vectors[keep]
    if counts_map is None:
        # gensim's made-up counts: descending in file order, so sorting by count keeps file order.
        counts = n - np.arange(len(keys), dtype=np.int64)
    else:
        missing = [k for k in keys if k not in counts_map]
        if missing:
            warnings.warn(f"{fvocab}: {len(missing)} keys have no count (e.g. {missing[0]!r}); using 0",
                          UserWarning, stacklevel=3)
        counts = np.array([counts_map.get(k, 0) for k in keys], dtype=np.int64)
    logger.info("loaded %s matrix of type %s from %s", vectors.shape, vectors.dtype, fname)
    return keys, vectors, counts
