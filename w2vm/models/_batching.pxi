# Iterable mode: the token -> id lookup of ``w2vm.models.batching``.
#
# The batcher runs in a Python thread beside the training threads, so on a
# 2-core machine every microsecond it spends per token is taken from training.
# ``lookup_ids`` does what ``[key_to_index.get(t) for t in sentence]`` followed
# by ``np.array(..., dtype=np.uint32)`` did, without building a Python list or
# an int per token, and looks ASCII ``str`` tokens up in the corpus-file
# reader's byte table when it is given one. It holds the GIL (it reads Python objects);
# batching logic (jobs, pieces, chunks) stays in Python.

from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    const char *PyUnicode_AsUTF8AndSize(object text, Py_ssize_t *size) except NULL


cdef enum:
    LOOKUP_BLOCK = 256   # str tokens looked up together in the table


def lookup_ids(sentence, dict key_to_index not None, uint32_t[::1] out not None, Py_ssize_t pos,
               ByteVocab table=None):
    """Write the ids of ``sentence``'s in-vocabulary tokens to ``out[pos:]``, in order.

    ``sentence`` is a list or tuple; tokens missing from ``key_to_index`` are
    skipped, an unhashable token raises ``TypeError``. ``out`` needs room for
    ``len(sentence)`` ids after ``pos``. Returns the position after the last id
    written.

    ``table``, when given, is ``ByteVocab.from_keys`` of the same vocabulary
    (entry i is the key with id i). ASCII ``str`` tokens are then looked up in
    it, a block at a time with the corpus-file reader's prefetching passes,
    and only other tokens in ``key_to_index``: the dict's lookups were 1.07 s
    of the batcher's 2.16 s per epoch of the shared corpus, and with
    ``workers=2`` the batcher's time is taken from the training threads. An
    ASCII string's characters are its UTF-8 bytes; asking any other string
    for them would make Python cache a UTF-8 copy on the caller's token.
    """
    cdef Py_ssize_t n, i
    cdef PyObject *value
    cdef object tokens = sentence
    if type(tokens) is not list and type(tokens) is not tuple:
        raise TypeError(f"sentence must be a list or tuple, got {type(tokens).__name__}")
    n = len(tokens)
    if pos < 0 or n > out.shape[0] - pos:
        raise ValueError(f"no room for {n} ids at position {pos} of a buffer of {out.shape[0]}")
    if table is not None:
        return _lookup_ids_in_table(tokens, key_to_index, out, pos, table)
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


cdef Py_ssize_t _lookup_ids_in_table(object tokens, dict key_to_index, uint32_t[::1] out,
                                     Py_ssize_t pos, ByteVocab table) except -1:
    cdef const uint8_t *keys[LOOKUP_BLOCK]
    cdef int64_t lengths[LOOKUP_BLOCK]
    cdef uint64_t hashes[LOOKUP_BLOCK]
    cdef Py_ssize_t n = len(tokens), i, size
    cdef int64_t block = 0
    cdef PyObject *value
    cdef object token
    for i in range(n):
        token = (<list>tokens)[i] if type(tokens) is list else (<tuple>tokens)[i]
        if type(token) is str and PyUnicode_IS_ASCII(token):
            keys[block] = <const uint8_t *>PyUnicode_AsUTF8AndSize(token, &size)
            lengths[block] = size
            block += 1
            if block == LOOKUP_BLOCK:
                pos += look_up_keys(&table.t, keys, lengths, hashes, block, &out[pos])
                block = 0
            continue
        # the ids must stay in token order: the block so far first
        if block:
            pos += look_up_keys(&table.t, keys, lengths, hashes, block, &out[pos])
            block = 0
        value = PyDict_GetItemWithError(key_to_index, token)
        if value is not NULL:
            out[pos] = <uint32_t>(<object>value)
            pos += 1
    if block:
        pos += look_up_keys(&table.t, keys, lengths, hashes, block, &out[pos])
    return pos
