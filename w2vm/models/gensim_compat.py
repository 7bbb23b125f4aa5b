"""Coming from gensim: its objects and files in, ours out, and its save/load keywords.

- :func:`from_gensim` / :func:`to_gensim` copy ``KeyedVectors`` between the two
  libraries; :func:`word2vec_from_gensim` / :func:`word2vec_to_gensim` whole
  ``Word2Vec`` models (vocabulary, counts, weights, settings), so that training
  goes on in the other library.
- gensim's files are pickles. w2vm never unpickles on its own: its loaders
  recognise such a file and raise :class:`GensimFileError`, which names the way
  out. ``from_gensim(path)`` (and ``w2vm convert OLD NEW --from gensim``) load
  the file with gensim's own loader, i.e. run its unpickler: only on a file
  the user trusts, and only when gensim is installed.
- gensim's ``save``/``load`` keywords that mean nothing for our files are
  accepted and ignored with one warning each (:func:`legacy_save_keywords`).

gensim is imported lazily; nothing here is needed to use w2vm without it.
"""
import bz2
import gzip
import os
import warnings

import numpy as np

__all__ = ["GensimFileError", "from_gensim", "to_gensim", "word2vec_from_gensim", "word2vec_to_gensim",
           "is_gensim_pickle", "load_gensim_file"]


class GensimFileError(ValueError):
    """A file saved by gensim (a pickle) given to a w2vm loader, which reads no pickles."""


def _gensim():
    try:
        import gensim
    except ImportError as exc:
        raise ImportError("gensim is not installed; `pip install gensim` to convert to or from it") from exc
    return gensim


# ----------------------------------------------------------------- gensim's files
def is_gensim_pickle(path):
    """Whether ``path`` is a regular file holding a pickle (plain, ``.gz`` or ``.bz2``), as gensim saves."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as raw:
        head = raw.read(4)
        raw.seek(0)
        try:
            if head[:2] == b"\x1f\x8b":
                head = gzip.GzipFile(fileobj=raw).read(2)
            elif head[:3] == b"BZh":
                head = bz2.BZ2File(raw).read(2)
        except (OSError, EOFError, ValueError):
            return False
    # protocol 2 and later start with PROTO <n>; gensim saves with protocol 4
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def gensim_file_error(path, what):
    """The error a loader raises for a gensim pickle at ``path``, naming the ways out."""
    return GensimFileError(
        f"{os.fspath(path)} is a file saved by gensim (a Python pickle); w2vm's files are .npy + JSON and "
        f"w2vm never unpickles on its own. Convert it once, with gensim installed and only if you trust the "
        f"file (unpickling can run code): `{what}.from_gensim({os.fspath(path)!r})`, or on the command line "
        f"`w2vm convert {os.fspath(path)} NEW --from gensim`; then save it with w2vm.")


def _looks_like_word2vec_text(path):
    try:
        with open(path, "rb") as f:
            first = f.readline(100).split()
    except OSError:
        return False
    return len(first) == 2 and all(x.isdigit() for x in first)


def loaded_base(fname, base, where, kwargs):
    """The base a ``load`` call names (``fname``, gensim's keyword, or ``base``), checked.

    gensim's ``rethrow`` is accepted; other unknown keywords raise ``TypeError``.
    A gensim pickle raises :class:`GensimFileError`; a word2vec C file
    points to ``load_word2vec_format``.
    """
    kwargs = dict(kwargs)
    kwargs.pop("rethrow", None)
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword arguments {sorted(kwargs)}")
    if fname is not None and base is not None:
        raise TypeError(f"{where}() takes fname or base, not both")
    base = fname if fname is not None else base
    if base is None:
        raise TypeError(f"{where}() needs the base path the files were saved under (fname=...)")
    if isinstance(base, (str, bytes, os.PathLike)):
        path = os.fspath(base)
        if isinstance(path, str) and os.path.isfile(path) and not os.path.exists(path + ".vocab.json"):
            if is_gensim_pickle(path):
                raise gensim_file_error(path, where.split(".")[0])
            if _looks_like_word2vec_text(path):
                raise ValueError(f"{path} looks like a word2vec C text file: read it with "
                                 f"KeyedVectors.load_word2vec_format({path!r})")
    return base


def saved_base(fname_or_handle, base, where):
    """The base a ``save`` call names (gensim's ``fname_or_handle`` or ``base``); no open files."""
    if fname_or_handle is not None and base is not None:
        raise TypeError(f"{where}() takes fname_or_handle or base, not both")
    target = fname_or_handle if fname_or_handle is not None else base
    if target is None:
        raise TypeError(f"{where}() needs a base path to save under")
    if hasattr(target, "write"):
        raise TypeError(f"{where}() writes several files (base.npy, base.vocab.json, ...) and needs a path, "
                        "not an open file")
    return target


# the keywords gensim's SaveLoad takes that mean nothing for .npy + JSON files, and why
_MEANINGLESS = {
    "separately": "every array is always stored in a separate .npy file, which mmap can open",
    "sep_limit": "every array is always stored in a separate .npy file, whatever its size",
    "pickle_protocol": "w2vm files contain no pickle",
}
_warned = set()


def legacy_save_keywords(**kwargs):
    """Accept gensim's meaningless ``save`` keywords with one warning per keyword and process.

    Keywords passed as ``None`` (not given) are skipped; unknown ones raise ``TypeError``.
    """
    for name, value in kwargs.items():
        if name not in _MEANINGLESS:
            raise TypeError(f"save() got an unexpected keyword argument {name!r}")
        if value is None or name in _warned:
            continue
        _warned.add(name)
        warnings.warn(f"save({name}=...) is ignored: {_MEANINGLESS[name]}", UserWarning, stacklevel=3)


def check_ignore(ignore, optional):
    """The names of ``ignore`` that this save can leave out (those in ``optional``).

    Names of derived or transient data, which w2vm never stores (``cum_table``,
    ``norms``, ``vectors_norm``, ...), are fine and change nothing.
    """
    if isinstance(ignore, str):
        ignore = [ignore]
    try:
        names = {str(x) for x in ignore}
    except TypeError:
        raise TypeError(f"ignore must be a collection of attribute names, got {ignore!r:.60}") from None
    required = {"wv", "vectors", "index_to_key", "key_to_index"} - set(optional)
    refused = sorted(names & required)
    if refused:
        raise ValueError(f"ignore={refused}: these hold the model itself and are always saved; "
                         f"what may be left out: {sorted(optional)}")
    return names & set(optional)


# ----------------------------------------------------------------- KeyedVectors
def load_gensim_file(path):
    """The object gensim saved at ``path``, loaded by gensim (its unpickler: trusted files only)."""
    gensim = _gensim()
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if not is_gensim_pickle(path):
        raise ValueError(f"{path} is not a file saved by gensim (a pickle); a word2vec C file is read with "
                         "KeyedVectors.load_word2vec_format")
    return gensim.utils.SaveLoad.load(path)


def from_gensim(obj, cls=None, levels=None):
    """A w2vm ``KeyedVectors`` copied from a gensim ``KeyedVectors`` or a model with ``.wv``.

    Parameters
    ----------
    obj : gensim.models.KeyedVectors, gensim.models.Word2Vec, or str / os.PathLike
        A live object, or the path of a file gensim saved (loaded with gensim's
        loader, which unpickles it: only for files you trust).
    cls : type, optional
        Target class (default :class:`w2vm.models.keyedvectors.KeyedVectors`).
    levels : list of int, optional
        Levels to record (default ``[vector_size]``: gensim trains one level).
    """
    if cls is None:
        from w2vm.models.keyedvectors import KeyedVectors as cls
    if isinstance(obj, (str, bytes, os.PathLike)):
        obj = load_gensim_file(obj)
    wv = getattr(obj, "wv", obj)
    for attr in ("vectors", "index_to_key", "vector_size"):
        if not hasattr(wv, attr):
            raise TypeError(f"expected a gensim KeyedVectors or Word2Vec, got {type(obj).__name__} (no .{attr})")
    keys = list(wv.index_to_key)
    vectors = np.array(wv.vectors, dtype=np.float32, order="C", copy=True)
    d = int(wv.vector_size)
    kv = cls(d, levels=[d] if levels is None else levels)
    counts = None
    expandos = getattr(wv, "expandos", {}) or {}
    if "count" in expandos and len(expandos["count"]) == len(keys):
        counts = np.asarray(expandos["count"], dtype=np.int64)
    kv.add_vectors(keys, vectors, extras={"count": counts} if counts is not None else None)
    lockf = getattr(wv, "vectors_lockf", None)
    if lockf is not None and len(lockf):
        kv.vectors_lockf = np.array(lockf, dtype=np.float32).reshape(-1)
    return kv


def to_gensim(kv, level=None):
    """A gensim ``KeyedVectors`` with ``kv``'s keys, (``level`` prefix) vectors and counts."""
    GensimKV = _gensim().models.KeyedVectors
    m = kv._level(level)
    st = kv._state
    out = GensimKV(m, count=0, dtype=np.float32)
    keys = list(st.index_to_key)
    vectors = np.ascontiguousarray(st.vectors[:, :m], dtype=np.float32)
    out.index_to_key = keys
    out.key_to_index = {k: i for i, k in enumerate(keys)}
    out.vectors = vectors
    out.next_index = len(keys)
    out.allocate_vecattrs(attrs=["count"], types=[np.int64])
    out.expandos["count"][:] = kv._counts()
    out.norms = None
    return out


# ----------------------------------------------------------------- Word2Vec
# settings with the same name and meaning in both libraries
_SHARED_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed",
                  "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs",
                  "sorted_vocab", "batch_words", "compute_loss", "max_final_vocab", "shrink_windows")
_SHARED_STATE = ("corpus_count", "corpus_total_words", "effective_min_count", "train_count",
                 "min_alpha_yet_reached")


def _paths(points, codes, offsets):
    return [(points[offsets[i]:offsets[i + 1]], codes[offsets[i]:offsets[i + 1]])
            for i in range(len(offsets) - 1)]


def _inner_nodes(paths):
    """Each inner node of a Huffman tree as ``node -> (its words, the code of its first word)``."""
    words, first_code = {}, {}
    for w, (points, codes) in enumerate(paths):
        for node, code in zip(np.asarray(points).tolist(), np.asarray(codes).tolist()):
            words.setdefault(node, []).append(w)
            first_code.setdefault(node, code)
    return {node: (tuple(ws), first_code[node]) for node, ws in words.items()}


def hs_row_map(src_paths, dst_paths):
    """Inner nodes of two Huffman trees over the same words that split the same words.

    Returns ``(src_rows, dst_rows, signs)``: a node's output row predicts the
    branch of each word below it, so a node of the other tree above exactly the
    same words plays the same part (with the opposite sign when its branches
    are swapped). Both libraries build the tree from the same counts but break
    ties between equal counts differently: the frequent words' nodes (near the
    root) match, some of the rare words' may not.
    """
    dst_by_words = {ws: (node, code) for node, (ws, code) in _inner_nodes(dst_paths).items()}
    src_rows, dst_rows, signs = [], [], []
    for node, (ws, code) in _inner_nodes(src_paths).items():
        match = dst_by_words.get(ws)
        if match is not None:
            src_rows.append(node)
            dst_rows.append(match[0])
            signs.append(1.0 if match[1] == code else -1.0)
    return (np.array(src_rows, dtype=np.int64), np.array(dst_rows, dtype=np.int64),
            np.array(signs, dtype=np.float32))


def _copy_syn1(src_syn1, src_paths, dst_paths, n_rows, size):
    """The HS output rows placed for the other library's tree (unmatched nodes start at zero)."""
    out = np.zeros((n_rows, size), dtype=np.float32)
    src_rows, dst_rows, signs = hs_row_map(src_paths, dst_paths)
    out[dst_rows] = np.asarray(src_syn1, dtype=np.float32)[src_rows] * signs[:, None]
    n_nodes = max(len(dst_paths) - 1, 1)
    if len(src_rows) < n_nodes:
        warnings.warn(f"the two libraries' Huffman trees differ where words have equal counts: "
                      f"{n_nodes - len(src_rows)} of {n_nodes} hierarchical-softmax nodes (syn1 rows) "
                      "have no counterpart and start from zeros", UserWarning, stacklevel=3)
    return out


def word2vec_from_gensim(cls, model, levels=None):
    """A w2vm ``Word2Vec`` (class ``cls``) copied from a gensim ``Word2Vec`` object or saved file."""
    from w2vm.models import vocab as vocab_mod

    if isinstance(model, (str, bytes, os.PathLike)):
        model = load_gensim_file(model)
    missing = [a for a in ("wv", "vector_size", "negative", "hs") if not hasattr(model, a)]
    if missing:
        raise TypeError(f"expected a gensim Word2Vec model, got {type(model).__name__} (no .{missing[0]})"
                        + ("; use KeyedVectors.from_gensim for vectors" if hasattr(model, "index_to_key") else ""))
    if model.negative and not hasattr(model, "syn1neg"):
        raise TypeError("the gensim model has negative sampling but no output weights (syn1neg)")
    params = {name: getattr(model, name) for name in _SHARED_PARAMS if hasattr(model, name)}
    d = int(params["vector_size"])
    params["levels"] = [d] if levels is None else levels
    out = cls(**params)
    kv = from_gensim(model.wv, cls=type(out.wv), levels=params["levels"])
    out.wv = kv
    out.null_word = int(bool(getattr(model, "null_word", 0)))
    for name in _SHARED_STATE:
        value = getattr(model, name, None)
        if value is not None:
            setattr(out, name, type(getattr(out, name))(value))
    n = len(kv)
    out.syn1neg = np.array(model.syn1neg, dtype=np.float32) if out.negative \
        else np.zeros((0, d), dtype=np.float32)
    out.syn1 = np.zeros((0, d), dtype=np.float32)
    if out.hs:
        gensim_paths = [(kv_p, kv_c) for kv_p, kv_c in zip(model.wv.expandos["point"],
                                                              model.wv.expandos["code"])]
        ours = _paths(*vocab_mod.huffman_tree(out._counts()))
        out.syn1 = _copy_syn1(model.syn1, gensim_paths, ours, n, d)
    return out


def word2vec_to_gensim(model):
    """A gensim ``Word2Vec`` with ``model``'s vocabulary (same order), counts, weights and settings."""
    from w2vm.models import vocab as vocab_mod

    gensim = _gensim()
    params = {name: getattr(model, name) for name in _SHARED_PARAMS}
    params["sorted_vocab"] = 0  # keep our order; gensim would re-sort equal counts its own way
    out = gensim.models.Word2Vec(**params)
    keys = list(model.wv.index_to_key)
    counts = model._counts()
    out.build_vocab_from_freq(dict(zip(keys, counts.tolist())),
                              trim_rule=lambda word, count, min_count: gensim.utils.RULE_KEEP)
    out.sorted_vocab = model.sorted_vocab
    if list(out.wv.index_to_key) != keys:  # pragma: no cover - gensim keeps the dict's order
        raise RuntimeError("gensim reordered the vocabulary")
    out.null_word = model.null_word
    out.wv.vectors[:] = np.asarray(model.wv.vectors, dtype=np.float32)
    if model.negative:
        out.syn1neg[:] = np.asarray(model.syn1neg, dtype=np.float32)
    if model.hs:
        ours = _paths(*vocab_mod.huffman_tree(counts))
        theirs = list(zip(out.wv.expandos["point"], out.wv.expandos["code"]))
        out.syn1[:] = _copy_syn1(model.syn1, ours, theirs, len(out.syn1), model.vector_size)
    lockf = model.wv.lockf_for_training()
    if lockf is not None:
        out.wv.vectors_lockf = lockf.copy()
    for name in _SHARED_STATE:
        setattr(out, name, getattr(model, name))
    out.wv.norms = None
    return out
