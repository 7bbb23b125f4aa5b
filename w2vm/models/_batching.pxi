# Iterable mode: the token -> id lookup of ``w2vm.models.batching``.
#
# The batcher runs in a Python thread beside the training threads, so on a
# 2-core machine every microsecond it spends per token is taken from training.
# This loop does what ``[key_to_index.get(t) for t in sentence]`` followed by
# ``np.array(..., dtype=np.uint32)`` did, without building a Python list or an
# int per token. It holds the GIL (it reads Python objects); batching logic
# (jobs, pieces, chunks) stays in Python.

from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from libc.stdint cimport uint32_t


def lookup_ids(sentence, dict key_to_index not None, uint32_t[::1] out not None, Py_ssize_t pos):
    """Write the ids of ``sentence``'s in-vocabulary tokens to ``out[pos:]``, in order.

    ``sentence`` is a list or tuple; tokens missing from ``key_to_index`` are
    skipped, an unhashable token raises ``TypeError``. ``out`` needs room for
    ``len(sentence)`` ids after ``pos``. Returns the position after the last id
    written.
    """
    cdef Py_ssize_t n, i
    cdef PyObject *value
    cdef object tokens = sentence
    if type(tokens) is not list and type(tokens) is not tuple:
        raise TypeError(f"sentence must be a list or tuple, got {type(tokens).__name__}")
    n = len(tokens)
    if pos < 0 or n > out.shape[0] - pos:
        raise ValueError(f"no room for {n} ids at position {pos} of a buffer of {out.shape[0]}")
    if type(tokens) is list:
        for i in range(n):
            value = PyDict_GetItemWithError(key_to_index, (<list>tokens)[i])
            if value is not NULL:  # NULL without an exception: not in the vocabulary
                out[pos] = <uint32_t>(<object>value)
                pos += 1
    else:
        for i in range(n):
            value = PyDict_GetItemWithError(key_to_index, (<tuple>tokens)[i])
            if value is not NULL:
                out[pos] = <uint32_t>(<object>value)
                pos += 1
    return pos

