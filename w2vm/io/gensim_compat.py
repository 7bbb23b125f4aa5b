"""Converters between live gensim objects and w2vm's KeyedVectors (gensim imported lazily).

Objects are copied attribute by attribute; nothing is ever pickled or unpickled.
"""
import numpy as np


def _gensim_keyedvectors():
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("gensim is not installed; `pip install gensim` to convert to/from it") from exc
    return KeyedVectors


def from_gensim(obj, cls=None, levels=None):
    """A w2vm ``KeyedVectors`` copied from a gensim ``KeyedVectors`` or a model with ``.wv``.

    Parameters
    ----------
    obj : gensim.models.KeyedVectors or gensim.models.Word2Vec
    cls : type, optional
        Target class (default :class:`w2vm.models.keyedvectors.KeyedVectors`).
    levels : list of int, optional
        Levels to record (gensim has none; default: :func:`w2vm.levels.default_levels`).
    """
    if cls is None:
        from w2vm.models.keyedvectors import KeyedVectors as cls
    wv = getattr(obj, "wv", obj)
    for attr in ("vectors", "index_to_key", "vector_size"):
        if not hasattr(wv, attr):
            raise TypeError(f"expected a gensim KeyedVectors or Word2Vec, got {type(obj).__name__} (no .{attr})")
    keys = list(wv.index_to_key)
    vectors = np.array(wv.vectors, dtype=np.float32, order="C", copy=True)
    kv = cls(int(wv.vector_size), levels=levels)
    counts = None
    expandos = getattr(wv, "expandos", {}) or {}
    if "count" in expandos and len(expandos["count"]) == len(keys):
        counts = np.asarray(expandos["count"], dtype=np.int64)
    kv.add_vectors(keys, vectors, extras={"count": counts} if counts is not None else None)
    return kv


def to_gensim(kv, level=None):
    """A gensim ``KeyedVectors`` with ``kv``'s keys, (``level`` prefix) vectors and counts."""
    GensimKV = _gensim_keyedvectors()
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
