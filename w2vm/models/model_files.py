"""Word2Vec model files: the KeyedVectors base plus output weights and training state.

``base.vocab.json`` + ``base.npy`` (+ ``base.counts.npy``) hold the vectors as
``KeyedVectors.save`` writes them, ``base.syn1neg.npy`` / ``base.syn1.npy`` the
output weights, ``base.vectors_lockf.npy`` the lock factors (only when some
row is locked), and ``base.meta.json`` the parameters and the training state
that let ``load(base).train(...)`` continue exactly where ``save`` stopped.
No pickle. The files of one save are committed as one set
(:func:`w2vm.io.atomic.atomic_file_set`): a crash at any moment leaves the
previous save or the new one, never a mix.
"""
import math
import os

import numpy as np

from w2vm.io.atomic import atomic_file_set, atomic_save_npy, reading_file_set, resolve
from w2vm.io.npy_vocab import MissingFileError, load_meta, load_npy
from w2vm.models.keyedvectors import KeyedVectors

MODEL_FORMAT = "w2vm-word2vec"
MODEL_FORMAT_VERSION = 1

# constructor parameters stored in base.meta.json and restored by load()
_SAVED_PARAMS = (
    "vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed", "workers",
    "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs", "null_word",
    "sorted_vocab", "batch_words", "compute_loss", "comment", "max_final_vocab", "shrink_windows",
    "levels", "level_weights", "verbose", "progress_interval", "hogbatch",
)
# training state that makes load(base).train(...) continue exactly where save() stopped
_SAVED_STATE = ("corpus_count", "corpus_total_words", "effective_min_count", "epochs_trained",
                "train_count", "min_alpha_yet_reached")
# arrays ``save(..., ignore=...)`` may leave out; ``load`` gives zero output weights and
# all-ones lock factors instead
OPTIONAL_ARRAYS = ("syn1neg", "syn1", "vectors_lockf")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_state_value(meta_path, name, value):
    """A training-state field from the meta file, type- and range-checked (it feeds the schedule and seeds)."""
    if name == "min_alpha_yet_reached":
        ok = _is_number(value) and math.isfinite(value) and value >= 0
    else:
        ok = _is_number(value) and isinstance(value, int) and 0 <= value < 2 ** 63
    if not ok:
        raise ValueError(f"{meta_path}: training state {name}={value!r} is not a valid "
                         f"{'non-negative number' if name == 'min_alpha_yet_reached' else 'non-negative int'}")
    return value


def _check_loss_history(meta_path, history):
    """``loss_history``: one list of per-level numbers per epoch."""
    if not isinstance(history, list) or not all(
            isinstance(row, list) and all(_is_number(x) for x in row) for row in history):
        raise ValueError(f"{meta_path}: loss_history must be a list of lists of numbers")
    return [list(row) for row in history]


def save_model(model, base, omit=()):
    """Write the model's files for ``base`` (see the module docstring).

    No pickle; the files are committed as one atomic set. ``Word2Vec.load(base)``
    restores a model that continues training as if it had never been saved.
    ``omit`` names arrays of :data:`OPTIONAL_ARRAYS` not to write.
    """
    base = os.fspath(base)
    params = {name: getattr(model, name) for name in _SAVED_PARAMS}
    state = {name: getattr(model, name) for name in _SAVED_STATE}
    state["loss_history"] = model.loss_history
    lockf = model.wv.lockf_for_training()
    if lockf is not None and "vectors_lockf" not in omit:
        state["vectors_lockf"] = True
    omitted = sorted(set(omit) & {"syn1neg", "syn1"})
    if omitted:
        state["omitted"] = omitted
    meta = {"model": {"format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION,
                      "params": params, "state": state}}
    with atomic_file_set(base):  # one set with the KeyedVectors files: a crash never leaves a mix
        # output weights first: the vectors and meta that point at them are renamed last
        if model.negative and "syn1neg" not in omit:
            atomic_save_npy(base + ".syn1neg.npy", model.syn1neg)
        if model.hs and "syn1" not in omit:
            atomic_save_npy(base + ".syn1.npy", model.syn1)
        if state.get("vectors_lockf"):
            atomic_save_npy(base + ".vectors_lockf.npy", lockf)
        model.wv.save(base, meta=meta)


def load_model(cls, base, mmap=None):
    """Load a model written by :func:`save_model` (or a vectors-only base, e.g. word2vec-matryoshka's)."""
    base = os.fspath(base)
    with reading_file_set(base):  # the files of one save, even if one is in progress or was killed
        return _load_model(cls, base, mmap)


def _load_model(cls, base, mmap):
    meta_path = base + ".meta.json"
    kv = KeyedVectors.load(base, mmap=mmap)
    model_meta = load_meta(base).get("model")
    if model_meta is None:
        # a vectors-only base, e.g. word2vec-matryoshka's: gensim defaults around its vectors
        model_meta = {"format": MODEL_FORMAT, "params": {"vector_size": kv.vector_size,
                                                       "levels": list(kv.levels)}}
        vectors_only = True
    else:
        vectors_only = False
    if not isinstance(model_meta, dict) or model_meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{meta_path}: not a w2vm model description")
    params, state = model_meta.get("params"), model_meta.get("state", {})
    if not isinstance(params, dict) or not isinstance(state, dict):
        raise ValueError(f"{meta_path}: model params and state must be JSON objects")
    try:
        model = cls(**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{meta_path}: bad model parameters: {exc}") from None
    if model.vector_size != kv.vector_size or model.levels != list(kv.levels):
        raise ValueError(f"{meta_path}: vector_size/levels {model.vector_size}/{model.levels} do not "
                         f"match the vectors ({kv.vector_size}/{list(kv.levels)})")
    model.wv = kv
    n = len(kv)
    omitted = state.get("omitted", [])
    if not isinstance(omitted, list):
        raise ValueError(f"{meta_path}: 'omitted' must be a list of array names")
    for name, wanted in (("syn1neg", model.negative), ("syn1", model.hs)):
        path = resolve(f"{base}.{name}.npy")
        if not wanted:
            continue
        if (vectors_only and not os.path.exists(path)) or name in omitted:
            setattr(model, name, np.zeros((n, model.vector_size), dtype=np.float32))
            continue
        setattr(model, name, _load_array(path, (n, model.vector_size), mmap=mmap,
                                         what="the model's output weights"))
    for name in _SAVED_STATE:
        if name in state:
            setattr(model, name, _check_state_value(meta_path, name, state[name]))
    model.loss_history = _check_loss_history(meta_path, state.get("loss_history", []))
    if state.get("vectors_lockf"):
        kv.vectors_lockf = _load_array(f"{base}.vectors_lockf.npy", (n,), mmap=None,
                                       what="the model's lock factors")
    if not np.any(kv.expandos.get("count", 0)):
        # no counts saved: rank-based counts keep sampling tables usable (Zipf's law)
        kv.set_vecattr(list(range(n)), "count", np.maximum(1, 10 * (n - np.arange(n))))
    return model


def _load_array(path, shape, mmap, what):
    """A float32 C-ordered array of ``shape`` saved with the model, checked."""
    path = resolve(path)
    if not os.path.isfile(path):
        raise MissingFileError(f"{path}: {what} are missing")
    try:
        array = load_npy(path, mmap=mmap)  # never allocates more than the file holds
    except ValueError as exc:
        raise ValueError(f"{path}: not a readable .npy file ({exc})") from None
    if array.dtype != np.float32 or array.shape != shape or not array.flags.c_contiguous:
        raise ValueError(f"{path}: expected C-ordered float32 of shape {shape}, "
                         f"got {array.dtype} {array.shape}")
    return array
