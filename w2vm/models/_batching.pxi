# Iterable mode: the loops of ``w2vm.models.batching``.
#
# The batcher runs in a Python thread beside the training threads, so on a
# 2-core machine every microsecond it spends per token or per sentence is
# taken from training. ``lookup_ids`` does what ``[key_to_index.get(t) for t
# in sentence]`` followed by ``np.array(..., dtype=np.uint32)`` did, without
# building a Python list or an int per token, and looks ASCII ``str`` tokens
# up in the corpus-file reader's byte table when it is given one.
# ``build_chunks`` is the per-sentence loop that cuts sentences into pieces,
# jobs and chunks. Both hold the GIL (they read Python objects).

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
    cdef object tokens = sentence
    if type(tokens) is not list and type(tokens) is not tuple:
        raise TypeError(f"sentence must be a list or tuple, got {type(tokens).__name__}")
    if pos < 0 or len(tokens) > out.shape[0] - pos:
        raise ValueError(f"no room for {len(tokens)} ids at position {pos} of a buffer of {out.shape[0]}")
    return _lookup_ids(tokens, key_to_index, out, pos, table)


cdef Py_ssize_t _lookup_ids(object tokens, dict key_to_index, uint32_t[::1] out, Py_ssize_t pos,
                            ByteVocab table) except -1:
    # tokens is a list or tuple with room for all of it in out[pos:]
    cdef Py_ssize_t n = len(tokens), i
    cdef PyObject *value
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


cdef class _Int64List:
    """A growable int64 array: appends without a Python int per item."""
    cdef object array
    cdef int64_t[::1] items
    cdef Py_ssize_t n

    def __cinit__(self):
        self.array = np.empty(1024, dtype=np.int64)
        self.items = self.array
        self.n = 0

    cdef int append(self, int64_t value) except -1:
        if self.n == self.items.shape[0]:
            self.array = np.concatenate([self.array, np.empty(self.n, dtype=np.int64)])
            self.items = self.array
        self.items[self.n] = value
        self.n += 1
        return 0

    cdef object take(self):
        """A copy of the items; the list is emptied."""
        out = self.array[:self.n].copy()
        self.n = 0
        return out


def build_chunks(corpus_iterable, dict key_to_index not None, int64_t batch_words,
                 Py_ssize_t jobs_per_chunk, ByteVocab table=None):
    """The loop of ``batching.iter_chunks``: yield ``(words, sentence_offsets, job_starts,
    job_raw_words, n_examples)`` for each chunk of ``corpus_iterable``.

    Written here because it runs once per sentence: in Python its bookkeeping
    took about 1 us a sentence, a third of the batcher's time on the shared
    corpus, and the batcher's time is taken from training with ``workers=2``.
    """
    from w2vm.models.vocab import check_sentence, check_tokens

    if batch_words < 1 or jobs_per_chunk < 1:
        raise ValueError("batch_words and jobs_per_chunk must be >= 1")
    # ids are written straight into the chunk's array; a chunk never holds more
    # than jobs_per_chunk * batch_words of them, but the sentence being looked
    # up may run past that before it is cut into jobs
    cdef Py_ssize_t capacity = jobs_per_chunk * batch_words
    words = np.empty(capacity, dtype=np.uint32)
    cdef uint32_t[::1] ids = words
    cdef Py_ssize_t used = 0       # ids in words that belong to this chunk
    cdef Py_ssize_t n, start, end, piece_end, kept
    cdef int64_t job_words = 0, job_raw = 0, n_examples = 0
    # sentence offsets, job starts (sentence indexes) and raw words per job so far
    cdef _Int64List offsets = _Int64List()
    cdef _Int64List job_starts = _Int64List()
    cdef _Int64List job_raw_words = _Int64List()
    offsets.append(0)
    job_starts.append(0)

    for sentence in corpus_iterable:
        if type(sentence) is not list and type(sentence) is not tuple:
            sentence = check_sentence(sentence)
        n = len(sentence)
        if used + n > ids.shape[0]:
            grown = np.empty(used + n, dtype=np.uint32)
            grown[:used] = words[:used]
            words = grown
            ids = words
        try:
            end = _lookup_ids(sentence, key_to_index, ids, used, table)
        except TypeError:
            check_tokens(sentence)
            raise
        job_raw += n
        n_examples += 1
        start = used
        while start < end:
            piece_end = min(start + batch_words, end)
            if job_words + (piece_end - start) > batch_words and job_words > 0:
                job_starts.append(offsets.n - 1)
                job_raw_words.append(job_raw)
                job_words = job_raw = 0
                if job_starts.n - 1 >= jobs_per_chunk:
                    # the chunk's raw-word tally stays with the job that holds the sentence
                    yield (words[:start], offsets.take(), job_starts.take(), job_raw_words.take(),
                           n_examples)
                    kept = end - start
                    carried = words[start:end]
                    words = np.empty(max(capacity, kept), dtype=np.uint32)
                    ids = words
                    words[:kept] = carried
                    offsets.append(0)
                    job_starts.append(0)
                    n_examples = 0
                    end -= start
                    piece_end -= start
                    start = 0
            offsets.append(piece_end)
            job_words += piece_end - start
            start = piece_end
        used = end
    if job_words > 0 or job_raw > 0:
        job_starts.append(offsets.n - 1)
        job_raw_words.append(job_raw)
    if job_starts.n > 1 or n_examples:
        if job_starts.n == 1:
            # raw words of sentences with no known word still count as progress
            job_starts.append(offsets.n - 1)
            job_raw_words.append(job_raw)
        yield words[:used], offsets.take(), job_starts.take(), job_raw_words.take(), n_examples
