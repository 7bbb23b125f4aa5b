# corpus_file mode: read, tokenise, look up and train a LineSentence file in native code.
#
# Nothing here touches a Python object per token or per sentence:
#
# - :class:`ByteVocab` is an open-addressing hash table from UTF-8 byte strings
#   to int64 values, used both to count words (``build_vocab``) and to map
#   words to row ids (``train``).
# - :func:`count_file` counts every token of a file in one native pass, with
#   ``max_vocab_size`` pruning so memory stays bounded.
# - :func:`index_file` cuts a file into chunks that start at line starts and
#   counts the raw words of each chunk exactly; the chunks are the unit of
#   parallel work, so every line is trained exactly once per epoch and the
#   word counts returned by ``train`` are exact.
# - :func:`train_file_chunks` trains the chunks with the GIL released, one
#   OpenMP thread per worker, each reading its chunks with its own file handle.
#
# The text must be UTF-8 (strict, as Python's decoder): :func:`count_file` and
# :func:`index_file` validate every byte and raise :class:`InvalidUtf8` with the
# byte offset of the first bad sequence; Python turns it into a CorpusReadError
# with the line and the cause. Other encodings and error policies go through
# the streaming readers.
#
# Tokens are runs of bytes other than ASCII whitespace; lines end at ``\\n``,
# ``\\r`` or ``\\r\\n``, as Python's text mode splits them; lines longer than
# ``max_sentence_length`` tokens are split into several sentences, as
# ``LineSentence`` does.

from cython.parallel cimport parallel, prange
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdio cimport FILE, fclose, fopen, fread
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memmove, memset

import os

import numpy as np


cdef extern from *:
    """
    #include <stdio.h>
    #ifdef _WIN32
    #define w2vm_fseek64(f, off) _fseeki64((f), (off), SEEK_SET)
    #else
    #include <sys/types.h>
    #define w2vm_fseek64(f, off) fseeko((f), (off_t)(off), SEEK_SET)
    #endif
    """
    int w2vm_fseek64(FILE *f, int64_t offset) nogil

cdef enum:
    READ_BLOCK = 1 << 22     # 4 MiB per read when scanning a whole file
    EMPTY_SLOT = -1
    MAX_ENTRIES = 0x7FFFFFFF  # entries are stored in 32 bits of a slot


cdef inline bint is_space(uint8_t c) noexcept nogil:
    # ASCII whitespace as str.split() sees it (it also splits on \x1c-\x1f);
    # without branches, so that the loop of count_token_starts vectorises
    return (c == 32) | (<uint8_t>(c - 9) < 5) | (<uint8_t>(c - 28) < 4)


class InvalidUtf8(ValueError):
    """A corpus file that is not valid UTF-8; ``offset`` is the byte where the first bad sequence starts."""

    def __init__(self, path, offset):
        self.path, self.offset = path, offset
        super().__init__(f"{path}: invalid UTF-8 at byte {offset}")


ctypedef struct Utf8State:
    int need          # continuation bytes still expected
    uint8_t lo, hi    # the range the next continuation byte must be in
    int64_t start     # file offset of the sequence's first byte


cdef inline bint has_high_byte(const uint8_t *p, int64_t n) noexcept nogil:
    # a branch-free OR that the compiler vectorises: ASCII text costs next to nothing
    cdef uint8_t acc = 0
    cdef int64_t k
    for k in range(n):
        acc |= p[k]
    return (acc & 0x80) != 0


cdef int64_t utf8_check(const uint8_t *p, int64_t n, int64_t base, Utf8State *st) noexcept nogil:
    """Validate ``p[:n]`` (file offset ``base``) as the continuation of a UTF-8 stream.

    Returns -1, or the file offset where the first invalid sequence starts. The
    rules are RFC 3629's, which Python's strict decoder applies: no overlong
    forms, no surrogates, nothing above U+10FFFF.
    """
    cdef int64_t k = 0
    cdef uint8_t c
    cdef uint64_t word
    if st.need == 0 and not has_high_byte(p, n):
        return -1
    while k < n:
        if st.need == 0 and k + 8 <= n:
            # between sequences, skip ASCII eight bytes at a time (text with a few accents is mostly ASCII)
            memcpy(&word, p + k, 8)
            if (word & 0x8080808080808080ULL) == 0:
                k += 8
                continue
        c = p[k]
        k += 1
        if st.need:
            if c < st.lo or c > st.hi:
                return st.start
            st.need -= 1
            st.lo = 0x80
            st.hi = 0xBF
            continue
        if c < 0x80:
            continue
        st.start = base + k - 1
        st.lo = 0x80
        st.hi = 0xBF
        if 0xC2 <= c <= 0xDF:
            st.need = 1
        elif c == 0xE0:
            st.need = 2
            st.lo = 0xA0
        elif c == 0xED:
            st.need = 2
            st.hi = 0x9F
        elif 0xE1 <= c <= 0xEF:
            st.need = 2
        elif c == 0xF0:
            st.need = 3
            st.lo = 0x90
        elif c == 0xF4:
            st.need = 3
            st.hi = 0x8F
        elif 0xF1 <= c <= 0xF3:
            st.need = 3
        else:
            return base + k - 1
    return -1


cdef inline bint is_line_end(uint8_t c) noexcept nogil:
    return c == 10 or c == 13


cdef inline uint64_t hash_bytes(const uint8_t *key, int64_t length) noexcept nogil:
    # FNV-1a, then a final mix so the low bits (the slot index) depend on every byte
    cdef uint64_t h = 1469598103934665603ULL
    cdef int64_t i
    for i in range(length):
        h = (h ^ key[i]) * 1099511628211ULL
    h ^= h >> 33
    h *= 0xff51afd7ed558ccdULL
    h ^= h >> 33
    return h


ctypedef struct ByteTable:
    int64_t *slots            # EMPTY_SLOT, or slot_value(hash, entry)
    int64_t capacity          # a power of two, at least twice n_entries
    uint64_t *hashes
    int64_t *key_offsets      # entry i is arena[key_offsets[i]:key_offsets[i + 1]]
    int64_t *values
    int64_t n_entries
    int64_t entries_capacity
    uint8_t *arena
    int64_t arena_capacity


cdef inline int64_t slot_value(uint64_t h, int64_t entry) noexcept nogil:
    # A slot holds the entry (below 2**31) and the hash's top 32 bits, so a probe
    # rejects other keys without reading the entry's arrays (cache misses for
    # rare words). The slot index comes from the hash's low bits.
    return <int64_t>((h & 0xFFFFFFFF00000000ULL) | <uint64_t>entry)


cdef inline bint bytes_equal(const uint8_t *a, const uint8_t *b, int64_t n) noexcept nogil:
    # inline: most words are a few bytes, shorter than the call to memcmp
    cdef uint64_t x, y
    cdef int64_t i = 0
    while i + 8 <= n:
        memcpy(&x, a + i, 8)
        memcpy(&y, b + i, 8)
        if x != y:
            return False
        i += 8
    while i < n:
        if a[i] != b[i]:
            return False
        i += 1
    return True


cdef int64_t table_find(const ByteTable *t, const uint8_t *key, int64_t length,
                        uint64_t h) noexcept nogil:
    cdef int64_t mask = t.capacity - 1
    cdef int64_t slot = <int64_t>(h & <uint64_t>mask)
    cdef int64_t value, entry
    cdef int64_t tag = <int64_t>(h & 0xFFFFFFFF00000000ULL)
    while True:
        value = t.slots[slot]
        if value == EMPTY_SLOT:
            return -1
        if (value & <int64_t>0xFFFFFFFF00000000ULL) == tag:
            entry = <int64_t>(<uint64_t>value & 0xFFFFFFFFULL)
            if t.key_offsets[entry + 1] - t.key_offsets[entry] == length \
                    and bytes_equal(t.arena + t.key_offsets[entry], key, length):
                return entry
        slot = (slot + 1) & mask


cdef int table_rehash(ByteTable *t, int64_t capacity) noexcept nogil:
    cdef int64_t *slots = <int64_t *>malloc(capacity * sizeof(int64_t))
    cdef int64_t i, slot, mask = capacity - 1
    if slots == NULL:
        return -1
    memset(slots, 0xFF, capacity * sizeof(int64_t))  # every slot EMPTY_SLOT
    for i in range(t.n_entries):
        slot = <int64_t>(t.hashes[i] & <uint64_t>mask)
        while slots[slot] != EMPTY_SLOT:
            slot = (slot + 1) & mask
        slots[slot] = slot_value(t.hashes[i], i)
    free(t.slots)
    t.slots = slots
    t.capacity = capacity
    return 0


cdef int table_reserve(ByteTable *t, int64_t n_entries, int64_t arena_bytes) noexcept nogil:
    cdef void *p
    cdef int64_t capacity
    if arena_bytes > t.arena_capacity:
        capacity = t.arena_capacity
        while capacity < arena_bytes:
            capacity *= 2
        p = realloc(t.arena, capacity)
        if p == NULL:
            return -1
        t.arena = <uint8_t *>p
        t.arena_capacity = capacity
    if n_entries > t.entries_capacity:
        capacity = t.entries_capacity * 2
        p = realloc(t.hashes, capacity * sizeof(uint64_t))
        if p == NULL:
            return -1
        t.hashes = <uint64_t *>p
        p = realloc(t.key_offsets, (capacity + 1) * sizeof(int64_t))
        if p == NULL:
            return -1
        t.key_offsets = <int64_t *>p
        p = realloc(t.values, capacity * sizeof(int64_t))
        if p == NULL:
            return -1
        t.values = <int64_t *>p
        t.entries_capacity = capacity
    if 2 * n_entries > t.capacity:
        return table_rehash(t, t.capacity * 2)
    return 0


cdef int table_add(ByteTable *t, const uint8_t *key, int64_t length, uint64_t h,
                   int64_t value) noexcept nogil:
    """Add ``value`` to the key's value, creating the key if new; -1 when out of memory
    (or past MAX_ENTRIES keys)."""
    cdef int64_t entry = table_find(t, key, length, h)
    cdef int64_t mask, slot
    if entry >= 0:
        t.values[entry] += value
        return 0
    if t.n_entries >= MAX_ENTRIES or table_reserve(t, t.n_entries + 1,
                                                    t.key_offsets[t.n_entries] + length) < 0:
        return -1
    entry = t.n_entries
    memcpy(t.arena + t.key_offsets[entry], key, length)
    t.key_offsets[entry + 1] = t.key_offsets[entry] + length
    t.hashes[entry] = h
    t.values[entry] = value
    t.n_entries += 1
    mask = t.capacity - 1
    slot = <int64_t>(h & <uint64_t>mask)
    while t.slots[slot] != EMPTY_SLOT:
        slot = (slot + 1) & mask
    t.slots[slot] = slot_value(h, entry)
    return 0


cdef int64_t table_prune(ByteTable *t, int64_t min_value) noexcept nogil:
    """Drop entries whose value is below ``min_value``, keeping the order.

    Returns how many went, or -1 when out of memory (the table is then empty
    but consistent).
    """
    cdef int64_t i, kept = 0, length, write_offset = 0, dropped
    for i in range(t.n_entries):
        if t.values[i] < min_value:
            continue
        length = t.key_offsets[i + 1] - t.key_offsets[i]
        memmove(t.arena + write_offset, t.arena + t.key_offsets[i], length)
        t.hashes[kept] = t.hashes[i]
        t.values[kept] = t.values[i]
        t.key_offsets[kept] = write_offset
        write_offset += length
        kept += 1
    t.key_offsets[kept] = write_offset
    dropped = t.n_entries - kept
    t.n_entries = kept
    if table_rehash(t, t.capacity) < 0:
        # never leave slots pointing past the entries
        t.n_entries = 0
        t.key_offsets[0] = 0
        memset(t.slots, 0xFF, t.capacity * sizeof(int64_t))
        return -1
    return dropped


cdef class ByteVocab:
    """A hash table from byte strings to int64 values, in insertion order.

    ``ByteVocab.from_keys(keys)`` maps each ``str`` key to its position;
    :func:`count_file` fills one with word counts.
    """
    cdef ByteTable t

    def __cinit__(self):
        self.t.capacity = 1024
        self.t.entries_capacity = 512
        self.t.arena_capacity = 1 << 16
        self.t.slots = <int64_t *>malloc(self.t.capacity * sizeof(int64_t))
        self.t.hashes = <uint64_t *>malloc(self.t.entries_capacity * sizeof(uint64_t))
        self.t.key_offsets = <int64_t *>malloc((self.t.entries_capacity + 1) * sizeof(int64_t))
        self.t.values = <int64_t *>malloc(self.t.entries_capacity * sizeof(int64_t))
        self.t.arena = <uint8_t *>malloc(self.t.arena_capacity)
        if not (self.t.slots and self.t.hashes and self.t.key_offsets and self.t.values and self.t.arena):
            raise MemoryError()
        memset(self.t.slots, 0xFF, self.t.capacity * sizeof(int64_t))
        self.t.key_offsets[0] = 0
        self.t.n_entries = 0

    def __dealloc__(self):
        free(self.t.slots)
        free(self.t.hashes)
        free(self.t.key_offsets)
        free(self.t.values)
        free(self.t.arena)

    @staticmethod
    def from_keys(keys):
        """A table mapping ``keys[i]`` (str, UTF-8 encoded) to ``i``."""
        cdef ByteVocab table = ByteVocab()
        cdef bytes raw
        cdef const uint8_t *p
        for i, key in enumerate(keys):
            raw = key.encode("utf-8")
            p = <const uint8_t *>(<char *>raw)
            if table_find(&table.t, p, len(raw), hash_bytes(p, len(raw))) >= 0:
                raise ValueError(f"duplicate key {key!r}")
            if table_add(&table.t, p, len(raw), hash_bytes(p, len(raw)), i) < 0:
                raise MemoryError()
        return table

    def __len__(self):
        return self.t.n_entries

    def get(self, key, default=None):
        """The value stored for ``key`` (str or bytes), or ``default``."""
        cdef bytes raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        cdef const uint8_t *p = <const uint8_t *>(<char *>raw)
        cdef int64_t entry = table_find(&self.t, p, len(raw), hash_bytes(p, len(raw)))
        return self.t.values[entry] if entry >= 0 else default

    def items(self):
        """``(keys, values)``: the byte-string keys in insertion order and an int64 array."""
        cdef int64_t i
        keys = [(<char *>self.t.arena)[self.t.key_offsets[i]:self.t.key_offsets[i + 1]]
                for i in range(self.t.n_entries)]
        values = np.empty(self.t.n_entries, dtype=np.int64)
        cdef int64_t[::1] out = values
        for i in range(self.t.n_entries):
            out[i] = self.t.values[i]
        return keys, values


cdef FILE *_open(bytes path) except NULL:
    cdef FILE *fp = fopen(path, "rb")
    if fp == NULL:
        raise OSError(f"cannot open corpus file {os.fsdecode(path)!r}")
    return fp


def count_file(path, int64_t max_vocab_size=0, int64_t max_sentence_length=10000):
    """Count the words of a LineSentence file in one native pass.

    Returns ``(vocab, n_sentences, n_words, n_pruned)``: a :class:`ByteVocab`
    of counts, the number of sentences ``LineSentence`` would yield, the raw
    token count, and how many rare types were pruned to respect
    ``max_vocab_size`` (0 = no limit).
    """
    if max_sentence_length < 1:
        raise ValueError("max_sentence_length must be >= 1")
    cdef bytes raw_path = os.fsencode(path)
    cdef ByteVocab vocab = ByteVocab()
    cdef ByteTable *t = &vocab.t
    cdef FILE *fp = _open(raw_path)
    cdef int64_t buffer_size = READ_BLOCK
    cdef uint8_t *buf = <uint8_t *>malloc(buffer_size)
    cdef int64_t filled = 0, got, k, scan_end, end, token_start
    cdef int64_t n_sentences = 0, n_words = 0, line_tokens = 0, min_reduce = 1, pruned = 0
    cdef int64_t chunk_tokens = 0   # tokens of the line since its last max_sentence_length split
    cdef int64_t consumed = 0       # file offset of buf[0]
    cdef int64_t bad = -1           # file offset of the first invalid UTF-8 sequence
    cdef Utf8State utf8
    cdef bint eof = False, prev_cr = False, line_has_bytes = False, oom = False
    cdef uint8_t c
    cdef void *p
    memset(&utf8, 0, sizeof(utf8))
    if buf == NULL:
        fclose(fp)
        raise MemoryError()
    with nogil:
        while True:
            got = <int64_t>fread(buf + filled, 1, buffer_size - filled, fp)
            eof = got == 0
            end = filled + got
            scan_end = end
            if not eof:
                # only whole tokens: stop after the last whitespace byte
                while scan_end > 0 and not is_space(buf[scan_end - 1]):
                    scan_end -= 1
                if scan_end == 0:
                    if end == buffer_size:
                        # one token fills the whole buffer: grow it and read on
                        p = realloc(buf, buffer_size * 2)
                        if p == NULL:
                            oom = True
                            break
                        buf = <uint8_t *>p
                        buffer_size *= 2
                    filled = end
                    continue
            bad = utf8_check(buf, scan_end, consumed, &utf8)
            if bad >= 0:
                break
            token_start = -1
            for k in range(scan_end + 1):
                # k == scan_end stands for a space after the data (closes a last token at EOF)
                c = buf[k] if k < scan_end else 32
                if not is_space(c):
                    if token_start < 0:
                        token_start = k
                    line_has_bytes = True
                    prev_cr = False
                    continue
                if token_start >= 0:
                    if table_add(t, buf + token_start, k - token_start,
                                 hash_bytes(buf + token_start, k - token_start), 1) < 0:
                        oom = True
                        break
                    token_start = -1
                    n_words += 1
                    line_tokens += 1
                    chunk_tokens += 1
                    if chunk_tokens == max_sentence_length:
                        # LineSentence ends a sentence here (a long line is split)
                        chunk_tokens = 0
                        if not _prune_at_sentence_end(t, max_vocab_size, &min_reduce, &pruned):
                            oom = True
                            break
                if k == scan_end:
                    break
                if is_line_end(c):
                    if c == 10 and prev_cr:
                        prev_cr = False  # the \n of \r\n ends nothing new
                        continue
                    prev_cr = c == 13
                    n_sentences += _sentences_in_line(line_tokens, max_sentence_length)
                    if line_tokens == 0 or chunk_tokens != 0:
                        if not _prune_at_sentence_end(t, max_vocab_size, &min_reduce, &pruned):
                            oom = True
                            break
                    line_tokens = 0
                    chunk_tokens = 0
                    line_has_bytes = False
                else:
                    prev_cr = False
                    line_has_bytes = True
            if eof or oom:
                break
            memmove(buf, buf + scan_end, end - scan_end)
            filled = end - scan_end
            consumed += scan_end
        if eof and utf8.need:
            bad = utf8.start  # the file ends inside a sequence
        if line_has_bytes and not oom and bad < 0:
            # a last line without a line end still counts, as in Python's text mode
            n_sentences += _sentences_in_line(line_tokens, max_sentence_length)
            if line_tokens == 0 or chunk_tokens != 0:
                oom = not _prune_at_sentence_end(t, max_vocab_size, &min_reduce, &pruned)
    free(buf)
    fclose(fp)
    if oom:
        raise MemoryError(f"out of memory while counting the words of {os.fsdecode(raw_path)!r}")
    if bad >= 0:
        raise InvalidUtf8(os.fsdecode(raw_path), bad)
    return vocab, n_sentences, n_words, pruned


cdef inline bint _prune_at_sentence_end(ByteTable *t, int64_t max_vocab_size, int64_t *min_reduce,
                                       int64_t *pruned) noexcept nogil:
    """scan_vocab's rule, checked after every sentence: one prune of the rarest types
    (count below ``min_reduce``, which then rises) when the table is over the limit.
    Returns False when out of memory."""
    cdef int64_t dropped
    if max_vocab_size <= 0 or t.n_entries <= max_vocab_size:
        return True
    dropped = table_prune(t, min_reduce[0])
    if dropped < 0:
        return False
    pruned[0] += dropped
    min_reduce[0] += 1
    return True


cdef inline int64_t _sentences_in_line(int64_t tokens, int64_t max_sentence_length) noexcept nogil:
    # LineSentence yields an empty list for an empty line, and splits long lines
    if tokens == 0:
        return 1
    return (tokens + max_sentence_length - 1) // max_sentence_length


cdef int64_t count_token_starts(const uint8_t *text, int64_t n, uint8_t previous) noexcept nogil:
    """The tokens that start in ``text[:n]``; ``previous`` is the byte before ``text[0]``."""
    cdef int64_t k, words
    if n <= 0:
        return 0
    words = is_space(previous) & (is_space(text[0]) ^ 1)
    for k in range(1, n):
        words += is_space(text[k - 1]) & (is_space(text[k]) ^ 1)
    return words


def index_file(path, int64_t chunk_bytes, int64_t block_bytes=READ_BLOCK):
    """Cut a file into chunks of about ``chunk_bytes`` that start at line starts.

    Returns ``(starts, raw_words)``: ``starts`` has one byte offset per chunk
    plus the file size; ``raw_words[i]`` is the exact token count of chunk ``i``.
    A chunk ends at the first line start at least ``chunk_bytes`` past its own
    start (never between the ``\\r`` and ``\\n`` of a ``\\r\\n``). The file is
    read ``block_bytes`` at a time (a parameter for tests).

    ``train`` indexes its file before its threads start, so this pass is serial
    time in every training call. Tokens are counted by their starts, in a loop
    the compiler vectorises; only the bytes from a cut point to the next line
    end are looked at one by one. On the 93 MB shared corpus that takes 0.03 s,
    where a byte-by-byte state machine took 0.25 s: 6 % of a CBOW epoch at
    ``workers=2`` (benchmarks/README.md).
    """
    if chunk_bytes < 1:
        raise ValueError("chunk_bytes must be >= 1")
    if block_bytes < 1:
        raise ValueError("block_bytes must be >= 1")
    cdef bytes raw_path = os.fsencode(path)
    cdef FILE *fp = _open(raw_path)
    cdef uint8_t *buf = <uint8_t *>malloc(block_bytes)
    cdef int64_t got, k, stop, pos = 0, next_cut = chunk_bytes, words = 0
    cdef uint8_t previous = 32  # the file starts as if after a space
    cdef int64_t bad = -1
    cdef Utf8State utf8
    memset(&utf8, 0, sizeof(utf8))
    starts = [0]
    counts = []
    if buf == NULL:
        fclose(fp)
        raise MemoryError()
    try:
        while True:
            with nogil:
                got = <int64_t>fread(buf, 1, block_bytes, fp)
                bad = utf8_check(buf, got, pos, &utf8)
            if got == 0:
                if utf8.need:
                    bad = utf8.start  # the file ends inside a sequence
                break
            if bad >= 0:
                break
            k = 0
            while k < got:
                if pos + k < next_cut:
                    # no cut before next_cut: count up to it (or the block's end)
                    stop = next_cut - pos if next_cut - pos < got else got
                elif is_line_end(previous) and not (previous == 13 and buf[k] == 10):
                    starts.append(pos + k)
                    counts.append(words)
                    words = 0
                    next_cut = pos + k + chunk_bytes
                    continue
                else:
                    # past next_cut inside a line: on to the byte after its end
                    stop = k
                    while stop < got and not is_line_end(buf[stop]):
                        stop += 1
                    stop = stop + 1 if stop < got else got
                with nogil:
                    words += count_token_starts(buf + k, stop - k, previous)
                previous = buf[stop - 1]
                k = stop
            pos += got
    finally:
        free(buf)
        fclose(fp)
    if bad >= 0:
        raise InvalidUtf8(os.fsdecode(raw_path), bad)
    counts.append(words)
    starts.append(pos)
    if pos == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.array(starts, dtype=np.int64), np.array(counts, dtype=np.int64)


def train_file_chunks(Trainer trainer, ByteVocab lookup, path, const int64_t[::1] starts,
                      const int64_t[::1] chunk_raw_words, const uint64_t[::1] chunk_seed,
                      int64_t words_before, double schedule_total, float start_alpha,
                      float end_alpha, int64_t max_sentence_length, int workers, raw_out=None):
    """Train every chunk of the file once (one epoch).

    The learning rate of a sentence is ``start_alpha`` decayed linearly by the
    raw words before it: ``words_before`` (earlier epochs of this call) plus
    the words of earlier chunks plus those before it in its chunk.

    Returns ``(effective, raw, sentences, loss)`` per chunk. ``raw_out`` (int64, one
    per chunk), when given, is the ``raw`` returned: each entry is stored as soon as
    its chunk is trained, for another thread's progress reports.
    """
    cdef Py_ssize_t n_chunks = chunk_raw_words.shape[0]
    cdef Py_ssize_t chunk
    cdef int n_levels = trainer.n_levels
    cdef bytes raw_path = os.fsencode(path)
    if starts.shape[0] != n_chunks + 1 or chunk_seed.shape[0] != n_chunks:
        raise ValueError("starts needs one more entry than chunk_raw_words and chunk_seed")
    starts_arr = np.asarray(starts)
    if n_chunks and (starts_arr[0] < 0 or np.any(np.diff(starts_arr) <= 0)):
        raise ValueError("chunk starts must be non-negative and increase")
    if lookup.t.n_entries != trainer.cfg.vocab_size:
        raise ValueError("the word table and the vectors disagree on the vocabulary size")
    if max_sentence_length < 1 or workers < 1 or schedule_total <= 0:
        raise ValueError("max_sentence_length, workers and schedule_total must be positive")
    if n_chunks and os.path.getsize(path) < starts_arr[n_chunks]:
        raise ValueError(f"corpus file {path!r} shrank since it was indexed")
    fclose(_open(raw_path))  # a clear error now rather than a failed thread later

    before = np.zeros(n_chunks, dtype=np.int64)
    if n_chunks:
        before[1:] = np.cumsum(np.asarray(chunk_raw_words))[:n_chunks - 1]
    effective = np.zeros(n_chunks, dtype=np.int64)
    raw = np.zeros(n_chunks, dtype=np.int64) if raw_out is None \
        else _check_1d(raw_out, np.int64, n_chunks, "raw_out")
    sentences = np.zeros(n_chunks, dtype=np.int64)
    losses = np.zeros((n_chunks, n_levels), dtype=np.float64)
    cdef int64_t[::1] before_view = before
    cdef int64_t[::1] effective_view = effective
    cdef int64_t[::1] raw_view = raw
    cdef int64_t[::1] sentences_view = sentences
    cdef double[:, ::1] loss_view = losses
    cdef int64_t max_chunk = int(np.diff(starts_arr).max()) if n_chunks else 0
    cdef const char *c_path = raw_path
    cdef int nthreads = workers if workers < n_chunks else <int>max(n_chunks, 1)
    # per-chunk outcome, written by the thread that ran the chunk (a flag assigned
    # inside prange would be lastprivate: only the last chunk's thread would count)
    status = np.zeros(n_chunks, dtype=np.int32)
    cdef int[::1] status_view = status
    # NULL before the parallel block: each thread's copy starts from it (firstprivate)
    cdef ChunkReader *reader = NULL
    cdef int reader_status = CHUNK_OK
    if n_chunks == 0:
        return effective, raw, sentences, losses
    cdef RowLocks locks
    row_locks_init(&locks)
    with nogil, parallel(num_threads=nthreads):
        reader_status = CHUNK_OK
        reader = new_reader(c_path, &trainer.cfg, max_chunk, max_sentence_length, nthreads, &locks,
                            &reader_status)
        for chunk in prange(n_chunks, schedule="dynamic"):
            if reader == NULL:
                status_view[chunk] = reader_status
                continue
            if train_chunk(&trainer.cfg, &lookup.t, reader, starts[chunk], starts[chunk + 1],
                           chunk_seed[chunk], words_before + before_view[chunk], schedule_total,
                           start_alpha, end_alpha, max_sentence_length,
                           &effective_view[chunk], &raw_view[chunk], &sentences_view[chunk],
                           &loss_view[chunk, 0]) < 0:
                status_view[chunk] = CHUNK_READ_FAILED
        free_reader(reader)
    row_locks_destroy(&locks)
    failed = np.flatnonzero(status)
    if failed.size:
        first = int(failed[0])
        where = f"bytes {int(starts_arr[first])}..{int(starts_arr[first + 1])} (chunk {first + 1} of {n_chunks})"
        if status[first] == CHUNK_NO_MEMORY:
            raise MemoryError(f"out of memory while training {path!r} ({failed.size} chunk(s) not trained)")
        if status[first] == CHUNK_OPEN_FAILED:
            raise OSError(f"cannot open corpus file {path!r} again for training ({failed.size} chunk(s) not trained)")
        raise OSError(f"reading {where} of {path!r} failed: the file shrank or changed while training, "
                      f"or the disk failed")
    return effective, raw, sentences, losses


ctypedef struct ChunkReader:
    FILE *fp
    uint8_t *text
    uint32_t *ids
    # the tokens of the sentence being read, looked up together (look_up_keys)
    const uint8_t **token_keys
    int64_t *token_lengths
    uint64_t *token_hashes
    Scratch *scratch


cdef enum:
    # what happened to a chunk in train_file_chunks
    CHUNK_OK = 0
    CHUNK_READ_FAILED = 1
    CHUNK_OPEN_FAILED = 2
    CHUNK_NO_MEMORY = 3


cdef ChunkReader *new_reader(const char *path, const TrainConfig *c, int64_t max_chunk,
                             int64_t max_sentence_length, int nthreads,
                             RowLocks *locks, int *status) noexcept nogil:
    """A thread's reader, or NULL with ``status`` set to CHUNK_OPEN_FAILED or CHUNK_NO_MEMORY."""
    cdef ChunkReader *r = <ChunkReader *>malloc(sizeof(ChunkReader))
    status[0] = CHUNK_NO_MEMORY
    if r == NULL:
        return NULL
    memset(r, 0, sizeof(ChunkReader))
    r.fp = fopen(path, "rb")
    if r.fp == NULL:
        status[0] = CHUNK_OPEN_FAILED
        free_reader(r)
        return NULL
    r.text = <uint8_t *>malloc(max_chunk + 1)
    r.ids = <uint32_t *>malloc((max_sentence_length + 1) * sizeof(uint32_t))
    r.token_keys = <const uint8_t **>malloc((max_sentence_length + 1) * sizeof(uint8_t *))
    r.token_lengths = <int64_t *>malloc((max_sentence_length + 1) * sizeof(int64_t))
    r.token_hashes = <uint64_t *>malloc((max_sentence_length + 1) * sizeof(uint64_t))
    r.scratch = new_scratch(c, max_sentence_length, nthreads, locks)
    if (r.text == NULL or r.ids == NULL or r.token_keys == NULL
            or r.token_lengths == NULL or r.token_hashes == NULL or r.scratch == NULL):
        free_reader(r)
        return NULL
    status[0] = CHUNK_OK
    return r


cdef void free_reader(ChunkReader *r) noexcept nogil:
    if r == NULL:
        return
    if r.fp != NULL:
        fclose(r.fp)
    free(r.text)
    free(r.ids)
    free(<void *>r.token_keys)
    free(r.token_lengths)
    free(r.token_hashes)
    free_scratch(r.scratch)
    free(r)


cdef inline float alpha_at(int64_t words_done, double schedule_total, float start_alpha,
                           float end_alpha) noexcept nogil:
    cdef double progress = words_done / schedule_total
    if progress > 1.0:
        progress = 1.0
    return <float>(start_alpha - (start_alpha - end_alpha) * progress)


cdef inline int64_t home_entry(const ByteTable *t, uint64_t h) noexcept nogil:
    """The entry in the home slot of hash ``h`` when its tag matches, else -1 (a guess)."""
    cdef int64_t value = t.slots[<int64_t>(h & <uint64_t>(t.capacity - 1))]
    if value == EMPTY_SLOT or (value & <int64_t>0xFFFFFFFF00000000ULL) != slot_value(h, 0):
        return -1
    return <int64_t>(<uint64_t>value & 0xFFFFFFFFULL)


cdef int64_t look_up_keys(const ByteTable *t, const uint8_t **keys, const int64_t *lengths,
                          uint64_t *hashes, int64_t n, uint32_t *ids) noexcept nogil:
    """Write the entries of those of the ``n`` keys that are in ``t`` to ``ids``, in order.

    Returns how many were written. ``hashes`` is scratch space for ``n``
    hashes. A lookup reads three arrays one after the other (slot, key
    offsets, key bytes); for the rarer words, whose entries the training
    rows keep pushing out of cache, those were three misses in a row, and
    15 % of a CBOW epoch's samples. So the keys of a sentence are looked up
    in passes: each pass fetches one level for every key, and the misses of
    a pass overlap. The first three passes only fetch; the last is
    ``table_find``.
    """
    cdef int64_t i, entry, n_ids = 0
    cdef uint64_t h
    for i in range(n):
        h = hash_bytes(keys[i], lengths[i])
        hashes[i] = h
        w2vm_prefetch(t.slots + <int64_t>(h & <uint64_t>(t.capacity - 1)))
    for i in range(n):
        entry = home_entry(t, hashes[i])
        if entry >= 0:
            w2vm_prefetch(t.key_offsets + entry)
    for i in range(n):
        entry = home_entry(t, hashes[i])
        if entry >= 0:
            w2vm_prefetch(t.arena + t.key_offsets[entry])
    for i in range(n):
        entry = table_find(t, keys[i], lengths[i], hashes[i])
        if entry >= 0:
            ids[n_ids] = <uint32_t>entry
            n_ids += 1
    return n_ids


cdef int train_chunk(const TrainConfig *c, const ByteTable *lookup, ChunkReader *r, int64_t start,
                     int64_t end, uint64_t seed, int64_t words_before, double schedule_total,
                     float start_alpha, float end_alpha, int64_t max_sentence_length,
                     int64_t *effective, int64_t *raw, int64_t *sentences,
                     double *loss) noexcept nogil:
    cdef int64_t length = end - start, k, token_start = -1
    cdef int64_t n_ids, piece_tokens = 0, line_tokens = 0, done = 0, kept = 0, n_sent = 0
    cdef bint prev_cr = False, line_has_bytes = False
    cdef uint8_t ch
    cdef Scratch *s = r.scratch
    if w2vm_fseek64(r.fp, start) != 0 or <int64_t>fread(r.text, 1, length, r.fp) != length:
        return -1
    r.text[length] = 10  # a sentinel line end closes the last line of the chunk
    start_streams(c, s, seed)
    memset(s.loss, 0, sizeof(s.loss))
    for k in range(length + 1):
        ch = r.text[k]
        if not is_space(ch):
            if token_start < 0:
                token_start = k
            line_has_bytes = True
            prev_cr = False
            continue
        if token_start >= 0:
            r.token_keys[piece_tokens] = r.text + token_start
            r.token_lengths[piece_tokens] = k - token_start
            token_start = -1
            done += 1
            piece_tokens += 1
            line_tokens += 1
            if piece_tokens == max_sentence_length:
                # LineSentence splits long lines into sentences of max_sentence_length tokens
                n_ids = look_up_keys(lookup, r.token_keys, r.token_lengths, r.token_hashes,
                                     piece_tokens, r.ids)
                kept += train_sentence(c, s, r.ids, n_ids,
                                       alpha_at(words_before + done, schedule_total, start_alpha, end_alpha))
                n_sent += 1
                piece_tokens = 0
        if is_line_end(ch):
            if ch == 10 and prev_cr:
                prev_cr = False
                continue
            if k == length and not line_has_bytes:
                break  # the sentinel after a complete last line
            prev_cr = ch == 13
            if piece_tokens > 0 or line_tokens == 0:
                n_ids = look_up_keys(lookup, r.token_keys, r.token_lengths, r.token_hashes,
                                     piece_tokens, r.ids)
                if n_ids:
                    kept += train_sentence(c, s, r.ids, n_ids,
                                           alpha_at(words_before + done, schedule_total, start_alpha, end_alpha))
                n_sent += 1
            piece_tokens = 0
            line_tokens = 0
            line_has_bytes = False
        else:
            prev_cr = False
            line_has_bytes = True
    sync_replicas(s)  # a chunk leaves no update pending
    effective[0] = kept
    raw[0] = done
    sentences[0] = n_sent
    for j in range(c.n_levels):
        loss[j] = s.loss[j]
    return 0
