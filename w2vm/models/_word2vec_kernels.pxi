# Training kernels for word2vec with Matryoshka levels.
#
# Python hands over a chunk of the corpus in CSR form (flat ``uint32`` word ids,
# ``int64`` sentence offsets) cut into jobs of about ``batch_words`` words; this
# module trains those jobs in parallel with the GIL released. It owns the inner
# loops only: no vocabulary, no learning-rate schedule, no model object.
#
# All levels train in one pass (design.md): the scores of the prefixes are
# nested partial sums of one dot product, and the gradient on the segment
# ``[m_{j-1}, m_j)`` is the suffix sum of the per-level gradients, so a pair
# costs one full-length dot and one full-length fused update whatever the number
# of levels.
#
# Each job draws its random numbers from streams of its own (one for subsampling
# and window sizes, one for negative samples), seeded by Python from
# ``(seed, epoch, job)``, so ``workers=1`` is bit-reproducible and the result
# does not depend on which thread ran which job.

from libc.math cimport exp, log1p
from libc.stdint cimport int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

import numpy as np

from w2vm.models._blas cimport blas_axpy, blas_dot

cdef extern from "_vecmath.h" nogil:
    float w2vm_dot(const float *a, const float *b, int n)
    void w2vm_axpy(float alpha, const float *x, float *y, int n)
    void w2vm_pair_update(float g, const float *hidden, float *out, float *err, int n)
    void w2vm_scale(float alpha, float *x, int n)
    void w2vm_prefetch_row(const float *row, int n)
    void w2vm_prefetch(const void *p)
    void w2vm_nested_dot(const float *a, const float *b, const int *ends, int n_levels,
                         float *scores)
    void w2vm_nested_pair_update(const float *grads, const int *ends, int n_levels,
                                 const float *hidden, float *out, float *err)
    void w2vm_nested_dot4(const float *a, float **rows, const int *ends, int n_levels,
                          float *scores, int row_stride, int level_stride)
    void w2vm_level_gradients(const float *scores, int stride, const float *labels, int n,
                              const float *weights, int n_levels, float alpha,
                              const float *exp_table, float max_exp, float table_scale,
                              int table_size, float *grads)
    void w2vm_sum_rows(float **rows, int n_rows, float *out, int n)
    void w2vm_path_update(const float *grads, int grads_stride, float **rows, int n_rows,
                          const float *hidden, float *err, int start, int end)
    void w2vm_nested_axpy2(const float *grads, const int *ends, int n_levels, const float *x1,
                           float *y1, const float *x2, float *y2)

cdef extern from *:
    """
    static int w2vm_openmp_on(void) {
    #if defined(_OPENMP)
        return 1;
    #else
        return 0;
    #endif
    }
    """
    int w2vm_openmp_on() nogil

cdef enum:
    MAX_LEVELS = 32

cdef extern from * nogil:
    """
    /* A mutex for the replica syncs: OpenMP's (which spins briefly, then sleeps)
       when the module is built with OpenMP; without it only one thread runs. */
    #if defined(_OPENMP)
    #include <omp.h>
    typedef omp_lock_t w2vm_lock_t;
    static void w2vm_lock_init(w2vm_lock_t *l) { omp_init_lock(l); }
    static void w2vm_lock_destroy(w2vm_lock_t *l) { omp_destroy_lock(l); }
    static void w2vm_lock_set(w2vm_lock_t *l) { omp_set_lock(l); }
    static void w2vm_lock_unset(w2vm_lock_t *l) { omp_unset_lock(l); }
    #else
    typedef int w2vm_lock_t;
    static void w2vm_lock_init(w2vm_lock_t *l) { (void)l; }
    static void w2vm_lock_destroy(w2vm_lock_t *l) { (void)l; }
    static void w2vm_lock_set(w2vm_lock_t *l) { (void)l; }
    static void w2vm_lock_unset(w2vm_lock_t *l) { (void)l; }
    #endif
    """
    ctypedef struct w2vm_lock_t:
        pass
    void w2vm_lock_init(w2vm_lock_t *l)
    void w2vm_lock_destroy(w2vm_lock_t *l)
    void w2vm_lock_set(w2vm_lock_t *l)
    void w2vm_lock_unset(w2vm_lock_t *l)


cdef enum:
    # Replica row r is merged under lock r % LOCK_STRIPES. In skip-gram HS each
    # thread syncs a row about once per word (mostly rows next to the Huffman
    # root); with one lock for every row the two threads' syncs waited on each
    # other (libgomp's spin on it: 0.7 % of the samples at workers=2), and the
    # stripes made skip-gram HS 1-5 % faster (benchmarks/README.md).
    LOCK_STRIPES = 64


ctypedef struct StripedLock:
    w2vm_lock_t lock
    char pad[64]   # one stripe per cache line


ctypedef struct RowLocks:
    StripedLock stripes[LOCK_STRIPES]


cdef void row_locks_init(RowLocks *locks) noexcept nogil:
    cdef int i
    for i in range(LOCK_STRIPES):
        w2vm_lock_init(&locks.stripes[i].lock)


cdef void row_locks_destroy(RowLocks *locks) noexcept nogil:
    cdef int i
    for i in range(LOCK_STRIPES):
        w2vm_lock_destroy(&locks.stripes[i].lock)


ctypedef struct TrainConfig:
    int sg
    int hs
    int negative
    int cbow_mean
    int window
    int shrink_windows
    int compute_loss
    int do_sample
    int use_blas          # vector ops through BLAS instead of the plain loops
    int hogbatch          # skip-gram NS: one set of negatives per window (Ji et al. 2016)
    int size
    int n_levels
    int level_ends[MAX_LEVELS]
    float level_weights[MAX_LEVELS]
    uint32_t vocab_size
    float *syn0
    # gensim's vectors_lockf: input row w moves by lockf[w] times its update (0.0 freezes
    # it). NULL when every factor is 1.0, which keeps the usual updates' code unchanged.
    const float *lockf
    float *syn1neg
    float *syn1
    const uint32_t *sample_ints
    const uint32_t *alias_prob
    const uint32_t *alias_index
    const uint32_t *hs_points
    const uint8_t *hs_codes
    const int64_t *hs_offsets
    int64_t max_path      # the longest Huffman path (0 without HS)


ctypedef struct RowReplica:
    # This thread's copies of rows 0 .. n-1 of a shared output matrix. Training
    # reads and writes the copies only; a sync adds what this thread changed
    # (copy - base) to the shared rows and takes fresh copies.
    float *shared        # the shared matrix (syn1neg or syn1)
    uint32_t n           # 0: no replica, every row is the shared row
    int size
    RowLocks *locks      # a row's stripe is held while it is merged or copied
    float *rows          # (n, size)
    float *base          # (n, size): the shared rows as of their last sync
    # (n + 1,) updates since the row's last sync; slot n counts the writes to
    # rows past the copies, so that write_row needs no branch on which it is
    uint16_t *updates
    float *bases[2]      # (shared, rows): the matrix a row is in, indexed by row < n


ctypedef struct Scratch:
    float *hidden        # CBOW: mean/sum of the context rows; HogBatch: an output row's update
    float *error         # gradient accumulated for the input row(s); HogBatch: one row per context
    uint32_t *sentence   # the sentence after subsampling
    uint32_t *outputs    # one training's negatives (HogBatch: the target, then the window's)
    # the output rows of one target (its Huffman path, or it and its negatives)
    uint32_t *row_ids    # NS: the target and its negatives
    float **rows         # (max_rows,)
    int level_stride     # max_rows rounded up to a multiple of 8
    float *labels        # (level_stride,)
    float *scores        # (n_levels, level_stride) nested scores, level-major
    float *grads         # (n_levels, level_stride) per-segment gradients, level-major
    float **context_rows # CBOW: the input rows of one window
    double loss[MAX_LEVELS]
    uint64_t rng         # subsampling and window sizes
    # Negative samples are drawn NEGATIVES_AHEAD trainings before they are used,
    # from a stream of their own, into a ring: neg_ring[i & neg_mask] is draw i
    uint64_t neg_rng
    uint32_t *neg_ring
    uint64_t neg_mask
    uint64_t neg_drawn
    uint64_t neg_used
    # with several threads: this thread's copies of the hottest output rows
    RowReplica ns_rows   # syn1neg rows of the most frequent words
    RowReplica hs_rows   # syn1 rows of the inner nodes next to the root
    int64_t since_sync   # trainings (skip-gram pairs, CBOW windows) since the last full sync


cdef enum:
    # Output rows written by both threads bounce between the cores' caches: with
    # shared rows two threads trained NS 1.5x and HS 1.0x as fast as one, while
    # (as an experiment) a private syn1neg per thread made them 1.9x. The frequent
    # words' NS rows and the HS nodes next to the root (every Huffman path starts
    # at the root) take most of the writes, so each thread trains private copies
    # of those rows and merges its changes into the shared rows every
    # SYNC_TRAININGS trainings and at the end of every job (benchmarks/README.md
    # has the figures for the sizes tried). A training is one prediction of a
    # target's output rows: a (context, centre) pair in skip-gram, a window in
    # CBOW, so the rows drift by about as much between syncs in both (12,000 is
    # about 2,000 skip-gram words at window 5; CBOW trains 2.5x as many words a
    # second, and syncing it every 2,000 words cost it 4-7 %). Only with several
    # threads: workers=1 trains the shared rows directly and stays
    # bit-reproducible.
    REPLICA_BYTES = 409600   # per matrix: 1,024 rows at d=100
    SYNC_TRAININGS = 12000
    # A copy updated ROW_SYNC_UPDATES times is synced on its own at once. Both
    # threads' changes are summed at a sync, each computed on a copy that has
    # not seen the other's: the more updates a copy takes between syncs, the
    # more that sum overshoots. The root of the Huffman tree takes about ten
    # updates per word; skip-gram HS runs diverged to NaN in 2 of 2 full-corpus
    # runs with syncs every 2,000 words only and in about 1 of 4 with a row sync
    # every 256 updates; at 64, 22 of 22 HS runs stayed finite, and each sync
    # costs enough that 32 made skip-gram HS 7 % slower (benchmarks/README.md).
    ROW_SYNC_UPDATES = 64

cdef int64_t sync_trainings = SYNC_TRAININGS


cdef enum:
    # Negative samples are drawn this many trainings before they are used, and
    # their rows (random, mostly not in cache) fetched meanwhile. Asking for a
    # whole window's negatives at once (about 200 cache lines, more than a core
    # keeps in flight) stalled, and CBOW's came just before use; 2 made CBOW NS
    # 8-10 % faster, 1 and 4 measured the same (benchmarks/README.md).
    NEGATIVES_AHEAD = 2

# keeps the negatives' random stream apart from the one for subsampling and windows
cdef uint64_t NEGATIVES_STREAM = 0x6E65676174697665u


def set_replica_sync_trainings(int64_t trainings):
    """Set the trainings between mid-job replica syncs; return the old value (for tests)."""
    global sync_trainings
    if trainings < 1:
        raise ValueError("trainings must be positive")
    old = sync_trainings
    sync_trainings = trainings
    return old


cdef enum:
    EXP_TABLE_SIZE = 4096
    MAX_EXP = 8

cdef uint32_t KEEP_ALWAYS = 0xFFFFFFFFu

# sigmoid(x) for x in (-MAX_EXP, MAX_EXP); outside it a score trains nothing (level_gradients).
cdef float EXP_TABLE[EXP_TABLE_SIZE]
cdef float EXP_TABLE_SCALE = EXP_TABLE_SIZE / (2.0 * MAX_EXP)


def _fill_exp_table():
    cdef int i
    cdef double x
    for i in range(EXP_TABLE_SIZE):
        # sample each bucket at its centre so the table is unbiased
        x = ((i + 0.5) / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
        EXP_TABLE[i] = <float>(1.0 / (1.0 + exp(-x)))


_fill_exp_table()

MAX_LEVELS_SUPPORTED = MAX_LEVELS


cdef inline uint64_t next_random(uint64_t *state) noexcept nogil:
    # splitmix64: one add, two multiplies; plenty for sampling
    cdef uint64_t z
    state[0] += 0x9E3779B97F4A7C15ULL
    z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline float table_sigmoid(float x) noexcept nogil:
    """sigmoid(x) for -MAX_EXP < x < MAX_EXP only (the caller checks the range)."""
    return EXP_TABLE[<int>((x + MAX_EXP) * EXP_TABLE_SCALE)]


cdef inline double neg_log_sigmoid(double x) noexcept nogil:
    # -log(sigmoid(x)) = log(1 + exp(-x)), written to stay finite for any x
    if x < 0:
        return -x + log1p(exp(x))
    return log1p(exp(-x))


cdef inline uint32_t draw_negative(const TrainConfig *c, uint64_t *rng) noexcept nogil:
    # Walker/Vose alias method: O(1) per draw from a table of vocab_size entries.
    cdef uint64_t r = next_random(rng)
    cdef uint32_t bucket = <uint32_t>(((r >> 32) * <uint64_t>c.vocab_size) >> 32)
    if <uint32_t>(r & 0xFFFFFFFFu) < c.alias_prob[bucket]:
        return bucket
    return c.alias_index[bucket]


cdef inline void level_gradients(const TrainConfig *c, Scratch *s, const float *scores,
                                 int stride, float label, float alpha, float *grads) noexcept nogil:
    """Per-segment gradients from the nested scores: ``grads[j * stride]`` is the suffix
    sum over levels ``k >= j`` of ``w_k * (label - sigmoid(score_k)) * alpha`` (design.md),
    ``score_k = scores[k * stride]``. ``w2vm_level_gradients`` is the same for many rows.

    A level whose score is saturated (``|score| >= MAX_EXP``) or NaN adds
    nothing, as in word2vec.c and gensim: a confidently wrong score would
    otherwise push with the full rate on rows that are already large, and with
    several threads (hogwild rows, replica syncs) that feedback can run away
    to inf/NaN; it did in about one 1-epoch HS benchmark run in five."""
    cdef int j
    cdef float total = 0.0
    cdef float score
    for j in range(c.n_levels - 1, -1, -1):
        score = scores[j * stride]
        if -MAX_EXP < score < MAX_EXP:
            total = total + c.level_weights[j] * (label - table_sigmoid(score)) * alpha
        grads[j * stride] = total
        if c.compute_loss:
            s.loss[j] += neg_log_sigmoid(score if label > 0.5 else -score)


cdef inline void train_output_row(const TrainConfig *c, Scratch *s, const float *hidden,
                                  float *out_row, float label, float alpha) noexcept nogil:
    """One (hidden, output row) pair at every level: nested scores, suffix-summed gradients."""
    cdef float scores[MAX_LEVELS]
    cdef float grads[MAX_LEVELS]
    cdef int j, start
    if c.use_blas:
        start = 0
        for j in range(c.n_levels):
            scores[j] = (scores[j - 1] if j > 0 else 0.0) + blas_dot(
                c.level_ends[j] - start, hidden + start, out_row + start)
            start = c.level_ends[j]
        level_gradients(c, s, scores, 1, label, alpha, grads)
        start = 0
        for j in range(c.n_levels):
            blas_axpy(c.level_ends[j] - start, grads[j], out_row + start, s.error + start)
            blas_axpy(c.level_ends[j] - start, grads[j], hidden + start, out_row + start)
            start = c.level_ends[j]
        return
    w2vm_nested_dot(hidden, out_row, c.level_ends, c.n_levels, scores)
    level_gradients(c, s, scores, 1, label, alpha, grads)
    w2vm_nested_pair_update(grads, c.level_ends, c.n_levels, hidden, out_row, s.error)


cdef inline float *peek_row(const RowReplica *r, uint32_t row, int size) noexcept nogil:
    """The row this thread reads for ``row``: its private copy when it has one."""
    return r.bases[<int>(row < r.n)] + <int64_t>row * size


cdef inline void merge_row(RowReplica *r, uint32_t row) noexcept nogil:
    """shared += copy - base for one row; the caller holds the lock."""
    cdef int k
    cdef float *shared = r.shared + <int64_t>row * r.size
    cdef const float *mine = r.rows + <int64_t>row * r.size
    cdef const float *base = r.base + <int64_t>row * r.size
    for k in range(r.size):
        shared[k] = shared[k] + (mine[k] - base[k])


cdef inline w2vm_lock_t *row_lock(const RowReplica *r, uint32_t row) noexcept nogil:
    return &r.locks.stripes[row % LOCK_STRIPES].lock


cdef void sync_row(RowReplica *r, uint32_t row) noexcept nogil:
    """Merge one copy into the shared row and take a fresh copy of it."""
    cdef float *mine = r.rows + <int64_t>row * r.size
    w2vm_lock_set(row_lock(r, row))
    merge_row(r, row)
    memcpy(mine, r.shared + <int64_t>row * r.size, r.size * sizeof(float))
    w2vm_lock_unset(row_lock(r, row))
    memcpy(r.base + <int64_t>row * r.size, mine, r.size * sizeof(float))


cdef inline float *write_row(RowReplica *r, uint32_t row, int size) noexcept nogil:
    """``peek_row``, counting the update about to be made.

    Branch-free but for the rare row sync: whether a negative sample is one of
    the copied rows is a coin toss the branch predictor lost, at a cost of
    2-3 % of skip-gram's words/s (benchmarks/README.md).
    """
    cdef bint copied = row < r.n
    cdef uint32_t slot = row if copied else r.n
    cdef uint16_t count = r.updates[slot] + 1
    if count > ROW_SYNC_UPDATES:
        if copied:
            sync_row(r, row)  # the update about to be made is the first after it
        count = 1
    r.updates[slot] = count
    return peek_row(r, row, size)


cdef void sync_replica(RowReplica *r) noexcept nogil:
    """Add this thread's changes to the shared rows and take fresh copies of them all."""
    cdef uint32_t stripe, row
    if r.n == 0:
        return
    # stripe by stripe: taking a lock per row took 2 % of skip-gram HS's samples
    for stripe in range(LOCK_STRIPES if r.n > LOCK_STRIPES else r.n):
        w2vm_lock_set(row_lock(r, stripe))
        row = stripe
        while row < r.n:
            if r.updates[row]:
                merge_row(r, row)
                r.updates[row] = 0
            # a fresh copy of every row, to see the other threads' changes too
            memcpy(r.rows + <int64_t>row * r.size, r.shared + <int64_t>row * r.size,
                   r.size * sizeof(float))
            row += LOCK_STRIPES
        w2vm_lock_unset(row_lock(r, stripe))
    memcpy(r.base, r.rows, <size_t>r.n * r.size * sizeof(float))


cdef void sync_replicas(Scratch *s) noexcept nogil:
    """Merge both replicas into the shared rows; a job calls it before it ends."""
    sync_replica(&s.ns_rows)
    sync_replica(&s.hs_rows)
    s.since_sync = 0


cdef inline void train_rows(const TrainConfig *c, Scratch *s, const float *hidden, int n,
                            float alpha) noexcept nogil:
    """Train ``s.rows[:n]`` (distinct rows) against ``hidden`` with labels ``s.labels[:n]``.

    Every score is taken first, then every update: since the rows are distinct
    and ``hidden`` does not change, the order changes nothing, but the dot
    products no longer wait for the previous row's sigmoid and update, and
    ``w2vm_path_update`` keeps the error row in registers across the rows (one
    store per row and block instead of two).
    """
    cdef int p = 0, j, start = 0
    cdef int stride = s.level_stride
    cdef float one_row[MAX_LEVELS]
    # level-major: the score of row p at level j is s.scores[j * stride + p], so
    # the gradients of eight rows are one vector per level
    while p + 4 <= n:
        w2vm_nested_dot4(hidden, s.rows + p, c.level_ends, c.n_levels, s.scores + p, 1, stride)
        p += 4
    while p < n:
        w2vm_nested_dot(hidden, s.rows[p], c.level_ends, c.n_levels, one_row)
        for j in range(c.n_levels):
            s.scores[j * stride + p] = one_row[j]
        p += 1
    if c.compute_loss:
        for p in range(n):
            level_gradients(c, s, s.scores + p, stride, s.labels[p], alpha, s.grads + p)
    else:
        w2vm_level_gradients(s.scores, stride, s.labels, n, c.level_weights, c.n_levels, alpha,
                             EXP_TABLE, MAX_EXP, EXP_TABLE_SCALE, EXP_TABLE_SIZE, s.grads)
    for j in range(c.n_levels):
        w2vm_path_update(s.grads + j * stride, 1, s.rows, n, hidden, s.error, start,
                         c.level_ends[j])
        start = c.level_ends[j]


cdef inline bint all_distinct(const uint32_t *ids, int n) noexcept nogil:
    cdef int a, b
    for a in range(1, n):
        for b in range(a):
            if ids[a] == ids[b]:
                return False
    return True


cdef inline void train_targets(const TrainConfig *c, Scratch *s, const float *hidden,
                               uint32_t target, float alpha, const uint32_t *negatives) noexcept nogil:
    """All output rows for predicting ``target`` from ``hidden``: HS path and/or NS samples.

    ``negatives`` holds ``c.negative`` words drawn (and prefetched) beforehand; one
    equal to the target is skipped.
    """
    cdef int64_t k, first
    cdef int d, n
    cdef int size = c.size
    if c.hs:
        first = c.hs_offsets[target]
        n = <int>(c.hs_offsets[target + 1] - first)
        if c.use_blas:
            for k in range(first, first + n):
                train_output_row(c, s, hidden, write_row(&s.hs_rows, c.hs_points[k], size),
                                 <float>(1 - c.hs_codes[k]), alpha)
        else:
            # the nodes of a Huffman path are distinct rows
            for d in range(n):
                s.rows[d] = write_row(&s.hs_rows, c.hs_points[first + d], size)
                s.labels[d] = <float>(1 - c.hs_codes[first + d])
            train_rows(c, s, hidden, n, alpha)
    if c.negative:
        s.row_ids[0] = target
        n = 1
        for d in range(c.negative):
            if negatives[d] != target:
                s.row_ids[n] = negatives[d]
                n += 1
        if c.use_blas or not all_distinct(s.row_ids, n):
            # a word drawn twice must see its first update: row after row
            for d in range(n):
                train_output_row(c, s, hidden, write_row(&s.ns_rows, s.row_ids[d], size),
                                 1.0 if d == 0 else 0.0, alpha)
        else:
            for d in range(n):
                s.rows[d] = write_row(&s.ns_rows, s.row_ids[d], size)
                s.labels[d] = 1.0 if d == 0 else 0.0
            train_rows(c, s, hidden, n, alpha)


cdef inline void start_streams(const TrainConfig *c, Scratch *s, uint64_t seed) noexcept nogil:
    """Seed this thread's random streams for one job (or corpus-file chunk)."""
    cdef uint64_t negatives_seed = seed ^ NEGATIVES_STREAM
    s.rng = seed
    s.neg_rng = next_random(&negatives_seed)
    s.neg_drawn = 0
    s.neg_used = 0
    if c.negative:
        top_up_negatives(c, s)


cdef inline void top_up_negatives(const TrainConfig *c, Scratch *s) noexcept nogil:
    """Draw negatives until NEGATIVES_AHEAD trainings' worth wait, and start fetching their rows."""
    cdef uint32_t w
    cdef uint64_t ahead = <uint64_t>NEGATIVES_AHEAD * <uint64_t>c.negative
    while s.neg_drawn - s.neg_used < ahead:
        w = draw_negative(c, &s.neg_rng)
        s.neg_ring[s.neg_drawn & s.neg_mask] = w
        s.neg_drawn += 1
        w2vm_prefetch_row(peek_row(&s.ns_rows, w, c.size), c.size)


cdef inline uint32_t *take_negatives(const TrainConfig *c, Scratch *s, uint32_t *out) noexcept nogil:
    """Copy the next training's ``c.negative`` negatives to ``out``; return ``out``."""
    cdef int d
    for d in range(c.negative):
        out[d] = s.neg_ring[(s.neg_used + <uint64_t>d) & s.neg_mask]
    s.neg_used += <uint64_t>c.negative
    top_up_negatives(c, s)
    return out


cdef void sg_ns_window(const TrainConfig *c, Scratch *s, int64_t centre, int64_t lo, int64_t hi,
                       float alpha) noexcept nogil:
    """HogBatch skip-gram NS for one window: the contexts share the target and negatives.

    Every (context, output) pair sees the rows as they were at the start of the
    window: errors for the inputs and the update of each output row are
    accumulated, then applied. Each output row is read once per window instead
    of once per context word, which is what makes it cheap.
    """
    cdef int size = c.size, n_out = 0, d, o, j
    cdef int64_t k, n_ctx = 0
    cdef uint32_t target = s.sentence[centre], w
    cdef float scores[MAX_LEVELS]
    cdef float grads[MAX_LEVELS]
    cdef float label
    cdef float *out_row
    cdef const float *in_row
    cdef float *err
    # the target, then the window's negatives but those equal to it (in place:
    # n_out never passes the negative being read)
    s.outputs[n_out] = target
    n_out += 1
    take_negatives(c, s, s.outputs + 1)
    for d in range(1, c.negative + 1):
        w = s.outputs[d]
        if w != target:
            s.outputs[n_out] = w
            n_out += 1
    n_ctx = hi - lo - 1
    memset(s.error, 0, n_ctx * size * sizeof(float))
    for o in range(n_out):
        out_row = write_row(&s.ns_rows, s.outputs[o], size)
        label = 1.0 if o == 0 else 0.0
        memset(s.hidden, 0, size * sizeof(float))
        j = 0
        for k in range(lo, hi):
            if k == centre:
                continue
            in_row = c.syn0 + <int64_t>s.sentence[k] * size
            err = s.error + j * size
            j += 1
            w2vm_nested_dot(in_row, out_row, c.level_ends, c.n_levels, scores)
            level_gradients(c, s, scores, 1, label, alpha, grads)
            # err += g * out (old row); the row's own update waits in s.hidden
            w2vm_nested_axpy2(grads, c.level_ends, c.n_levels, out_row, err, in_row, s.hidden)
        w2vm_axpy(1.0, s.hidden, out_row, size)
    j = 0
    for k in range(lo, hi):
        if k == centre:
            continue
        w = s.sentence[k]
        if c.lockf == NULL:
            w2vm_axpy(1.0, s.error + j * size, c.syn0 + <int64_t>w * size, size)
        else:
            w2vm_axpy(c.lockf[w], s.error + j * size, c.syn0 + <int64_t>w * size, size)
        j += 1


cdef int64_t train_sentence(const TrainConfig *c, Scratch *s, const uint32_t *words,
                            int64_t length, float alpha) noexcept nogil:
    """Subsample one sentence and train every (context, centre) pair in it; return the words kept."""
    cdef int64_t i, j, n = 0, lo, hi, count, k, last
    cdef uint32_t w
    cdef int reduced
    cdef int size = c.size
    cdef float *row

    # frequent-word subsampling, redrawn every epoch
    for i in range(length):
        w = words[i]
        if c.do_sample and c.sample_ints[w] != KEEP_ALWAYS:
            if c.sample_ints[w] < <uint32_t>(next_random(&s.rng) >> 32):
                continue
        s.sentence[n] = w
        n += 1

    for i in range(n):
        if c.hs:
            # a coming centre's Huffman path: the CSR arrays span megabytes, so
            # fetch its offsets two words ahead and its nodes and codes one ahead
            if i + 2 < n:
                w2vm_prefetch(c.hs_offsets + s.sentence[i + 2])
            if i + 1 < n:
                k = c.hs_offsets[s.sentence[i + 1]]
                last = c.hs_offsets[s.sentence[i + 1] + 1]
                if last > k:
                    w2vm_prefetch(c.hs_points + k)
                    w2vm_prefetch(c.hs_points + last - 1)
                    w2vm_prefetch(c.hs_codes + k)
        if not c.sg and i + c.window + 1 < n:
            # CBOW: the next centre's window may reach one word further; that
            # input row is the one likely not in cache yet
            w2vm_prefetch_row(c.syn0 + <int64_t>s.sentence[i + c.window + 1] * size, size)
        reduced = <int>((next_random(&s.rng) >> 33) % <uint64_t>c.window) if c.shrink_windows else 0
        lo = i - c.window + reduced
        if lo < 0:
            lo = 0
        hi = i + c.window + 1 - reduced
        if hi > n:
            hi = n
        # trainings: skip-gram predicts the centre once per context word, CBOW once per window
        s.since_sync += (hi - lo - 1) if c.sg else <int64_t>(hi - lo > 1)
        if c.sg and c.hogbatch:
            if hi - lo > 1:
                sg_ns_window(c, s, i, lo, hi, alpha)
        elif c.sg:
            for j in range(lo, hi):
                if j == i:
                    continue
                if j + 1 < hi:
                    w2vm_prefetch_row(c.syn0 + <int64_t>s.sentence[j + 1] * size, size)
                # the context word's input row predicts the centre word
                row = c.syn0 + <int64_t>s.sentence[j] * size
                memset(s.error, 0, size * sizeof(float))
                train_targets(c, s, row, s.sentence[i], alpha,
                              take_negatives(c, s, s.outputs) if c.negative else NULL)
                if c.lockf == NULL:
                    w2vm_axpy(1.0, s.error, row, size)
                else:
                    w2vm_axpy(c.lockf[s.sentence[j]], s.error, row, size)
        else:
            count = 0
            for j in range(lo, hi):
                if j != i:
                    s.context_rows[count] = c.syn0 + <int64_t>s.sentence[j] * size
                    count += 1
            if count == 0:
                continue
            w2vm_sum_rows(s.context_rows, <int>count, s.hidden, size)
            if c.cbow_mean:
                w2vm_scale(1.0 / count, s.hidden, size)
            memset(s.error, 0, size * sizeof(float))
            train_targets(c, s, s.hidden, s.sentence[i], alpha,
                          take_negatives(c, s, s.outputs) if c.negative else NULL)
            if not c.cbow_mean:
                # a summed hidden layer spreads its error over the summed rows
                w2vm_scale(1.0 / count, s.error, size)
            if c.lockf == NULL:
                for j in range(count):
                    w2vm_axpy(1.0, s.error, s.context_rows[j], size)
            else:
                # the same rows in the same order, each scaled by its lock factor
                for j in range(lo, hi):
                    if j != i:
                        w = s.sentence[j]
                        w2vm_axpy(c.lockf[w], s.error, c.syn0 + <int64_t>w * size, size)
    if s.since_sync >= sync_trainings and (s.ns_rows.n or s.hs_rows.n):
        sync_replicas(s)
    return n


cdef int new_replica(RowReplica *r, float *shared, uint32_t n, int size,
                     RowLocks *locks) noexcept nogil:
    """Copies of rows 0 .. n-1 of ``shared``; -1 when memory runs out."""
    r.shared = shared
    r.n = n
    r.size = size
    r.locks = locks
    r.bases[0] = shared
    r.bases[1] = shared
    r.updates = <uint16_t *>calloc(n + 1, sizeof(uint16_t))
    if n == 0:
        return 0 if r.updates != NULL else -1
    r.rows = <float *>malloc(<size_t>n * size * sizeof(float))
    r.base = <float *>malloc(<size_t>n * size * sizeof(float))
    if r.rows == NULL or r.base == NULL or r.updates == NULL:
        r.n = 0
        return -1
    r.bases[1] = r.rows
    sync_replica(r)  # no row has updates yet: this only takes the first copies
    return 0


cdef void free_replica(RowReplica *r) noexcept nogil:
    free(r.rows)
    free(r.base)
    free(r.updates)


cdef Scratch *new_scratch(const TrainConfig *c, int64_t max_sentence_length, int nthreads,
                          RowLocks *locks) noexcept nogil:
    """Per-thread buffers; NULL when memory runs out."""
    cdef Scratch *s = <Scratch *>calloc(1, sizeof(Scratch))
    cdef uint32_t n_rows, n_ns = 0, n_hs = 0
    cdef int64_t max_rows
    cdef uint64_t ring
    if s == NULL:
        return NULL
    if nthreads > 1:
        n_rows = <uint32_t>(REPLICA_BYTES // (c.size * sizeof(float)))
        n_rows = n_rows if n_rows < c.vocab_size else c.vocab_size
        # syn1neg rows are words by falling frequency; syn1 rows are the inner
        # nodes numbered from the root, so the first rows are the hottest of both
        n_ns = n_rows if c.negative else 0
        n_hs = n_rows if c.hs else 0
    if (new_replica(&s.ns_rows, c.syn1neg, n_ns, c.size, locks) < 0
            or new_replica(&s.hs_rows, c.syn1, n_hs, c.size, locks) < 0):
        free_scratch(s)
        return NULL
    s.hidden = <float *>malloc(c.size * sizeof(float))
    # HogBatch keeps one error row per context word of a window
    s.error = <float *>malloc(c.size * (2 * c.window if c.hogbatch else 1) * sizeof(float))
    s.sentence = <uint32_t *>malloc((max_sentence_length + 1) * sizeof(uint32_t))
    # one training's negatives (HogBatch: and the target)
    s.outputs = <uint32_t *>malloc((c.negative + 1) * sizeof(uint32_t))
    if c.negative:
        ring = 1
        while ring < <uint64_t>NEGATIVES_AHEAD * <uint64_t>c.negative:
            ring *= 2
        s.neg_ring = <uint32_t *>malloc(ring * sizeof(uint32_t))
        s.neg_mask = ring - 1
        if s.neg_ring == NULL:
            free_scratch(s)
            return NULL
    max_rows = (c.max_path if c.max_path > c.negative else c.negative) + 1
    s.row_ids = <uint32_t *>malloc(max_rows * sizeof(uint32_t))
    s.rows = <float **>malloc(max_rows * sizeof(float *))
    # whole blocks of eight: w2vm_level_gradients reads and writes up to the
    # next multiple of 8 (zeroed padding, never used)
    s.level_stride = <int>((max_rows + 7) // 8 * 8)
    s.labels = <float *>calloc(s.level_stride, sizeof(float))
    s.scores = <float *>calloc(c.n_levels * s.level_stride, sizeof(float))
    s.grads = <float *>calloc(c.n_levels * s.level_stride, sizeof(float))
    s.context_rows = <float **>malloc((2 * c.window + 1) * sizeof(float *))
    if (s.hidden == NULL or s.error == NULL or s.sentence == NULL or s.outputs == NULL
            or s.row_ids == NULL or s.rows == NULL or s.labels == NULL or s.scores == NULL
            or s.grads == NULL or s.context_rows == NULL):
        free_scratch(s)
        return NULL
    return s


cdef void free_scratch(Scratch *s) noexcept nogil:
    if s != NULL:
        free_replica(&s.ns_rows)
        free_replica(&s.hs_rows)
        free(s.outputs)
        free(s.neg_ring)
        free(s.row_ids)
        free(s.rows)
        free(s.labels)
        free(s.scores)
        free(s.grads)
        free(s.context_rows)
        free(s.sentence)
        free(s.error)
        free(s.hidden)
        free(s)


cdef class Trainer:
    """The arrays and settings of one ``train`` call, frozen into a C struct.

    The constructor validates every array against the vocabulary size and
    vector size, so that the ``nogil`` code never indexes out of bounds; it
    keeps references to the arrays so they outlive the struct's pointers.
    ``vector_ops`` picks plain loops (default) or BLAS for the vector ops.
    ``lockf`` (float32, one per row, or ``None`` for all 1.0) scales each input
    row's updates: gensim's ``vectors_lockf``.
    """
    cdef TrainConfig cfg
    cdef object _keep
    cdef readonly int n_levels

    def __init__(self, *, float[:, ::1] syn0, syn1neg, syn1, sample_ints, alias_prob,
                 alias_index, hs_points, hs_codes, hs_offsets, levels, level_weights,
                 int sg, int hs, int negative, int cbow_mean, int window,
                 bint shrink_windows, bint compute_loss, bint do_sample, str vector_ops="loops",
                 bint hogbatch=False, lockf=None):
        cdef uint32_t vocab_size = syn0.shape[0]
        cdef int size = syn0.shape[1]
        cdef int j
        cdef float[:, ::1] syn1neg_view
        cdef float[:, ::1] syn1_view
        cdef const uint32_t[::1] sample_view
        cdef const uint32_t[::1] alias_prob_view
        cdef const uint32_t[::1] alias_index_view
        cdef const uint32_t[::1] points_view
        cdef const uint8_t[::1] codes_view
        cdef const int64_t[::1] offsets_view
        cdef const float[::1] lockf_view

        if vocab_size == 0 or size == 0:
            raise ValueError("cannot train an empty model (no words or vector_size=0)")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if negative < 0 or (negative == 0 and not hs):
            raise ValueError("need negative > 0 or hs=1")
        if len(levels) > MAX_LEVELS:
            raise ValueError(f"at most {MAX_LEVELS} levels are supported, got {len(levels)}")
        if len(levels) != len(level_weights) or not levels or levels[len(levels) - 1] != size:
            raise ValueError("levels must end at vector_size and match level_weights")
        memset(&self.cfg, 0, sizeof(TrainConfig))
        self._keep = []
        self.cfg.sg = sg
        self.cfg.hs = hs
        self.cfg.negative = negative
        self.cfg.cbow_mean = cbow_mean
        self.cfg.window = window
        self.cfg.shrink_windows = shrink_windows
        self.cfg.compute_loss = compute_loss
        self.cfg.do_sample = do_sample
        if vector_ops not in ("loops", "blas"):
            raise ValueError(f"vector_ops must be 'loops' or 'blas', got {vector_ops!r}")
        self.cfg.use_blas = vector_ops == "blas"
        if hogbatch and not (sg and negative and not hs):
            raise ValueError("hogbatch needs skip-gram with negative sampling only (sg=1, negative>0, hs=0)")
        self.cfg.hogbatch = hogbatch
        self.cfg.size = size
        self.cfg.vocab_size = vocab_size
        self.n_levels = len(levels)
        self.cfg.n_levels = self.n_levels
        for j in range(self.n_levels):
            if levels[j] <= (levels[j - 1] if j > 0 else 0):
                raise ValueError(f"levels must be strictly increasing, got {list(levels)}")
            self.cfg.level_ends[j] = levels[j]
            self.cfg.level_weights[j] = level_weights[j]
        self.cfg.syn0 = &syn0[0, 0]
        self._keep.append(syn0)
        if lockf is not None:
            lockf_view = _check_1d(lockf, np.float32, vocab_size, "lockf")
            if not np.isfinite(np.asarray(lockf_view)).all():
                raise ValueError("lockf contains NaN or infinite values")
            self.cfg.lockf = &lockf_view[0]
            self._keep.append(lockf_view)

        if do_sample:
            sample_view = _check_1d(sample_ints, np.uint32, vocab_size, "sample_ints")
            self.cfg.sample_ints = &sample_view[0]
            self._keep.append(sample_view)
        if negative:
            syn1neg_view = _check_2d(syn1neg, vocab_size, size, "syn1neg")
            alias_prob_view = _check_1d(alias_prob, np.uint32, vocab_size, "alias_prob")
            alias_index_view = _check_1d(alias_index, np.uint32, vocab_size, "alias_index")
            if np.asarray(alias_index_view).max() >= vocab_size:
                raise ValueError("alias_index holds ids outside the vocabulary")
            self.cfg.syn1neg = &syn1neg_view[0, 0]
            self.cfg.alias_prob = &alias_prob_view[0]
            self.cfg.alias_index = &alias_index_view[0]
            self._keep.extend([syn1neg_view, alias_prob_view, alias_index_view])
        if hs:
            syn1_view = _check_2d(syn1, None, size, "syn1")
            offsets_view = _check_1d(hs_offsets, np.int64, vocab_size + 1, "hs_offsets")
            n_nodes = offsets_view[vocab_size]
            points_view = _check_1d(hs_points, np.uint32, n_nodes, "hs_points")
            codes_view = _check_1d(hs_codes, np.uint8, n_nodes, "hs_codes")
            offsets = np.asarray(offsets_view)
            if offsets[0] != 0 or np.any(np.diff(offsets) < 0):
                raise ValueError("hs_offsets must start at 0 and never decrease")
            if n_nodes and np.asarray(points_view).max() >= syn1_view.shape[0]:
                raise ValueError("hs_points refers to rows outside syn1")
            self.cfg.syn1 = &syn1_view[0, 0]
            self.cfg.hs_points = &points_view[0] if n_nodes else NULL
            self.cfg.hs_codes = &codes_view[0] if n_nodes else NULL
            self.cfg.hs_offsets = &offsets_view[0]
            self.cfg.max_path = int(np.diff(offsets).max()) if vocab_size else 0
            self._keep.extend([syn1_view, offsets_view, points_view, codes_view])

    def chunk_queue(self, int workers, int capacity=3, max_sentence_words=10000):
        """A :class:`ChunkQueue` that trains chunks with these arrays and settings."""
        return ChunkQueue(self, workers, capacity, max_sentence_words)

    cdef int64_t check_chunk(self, const uint32_t[::1] words, const int64_t[::1] sentence_offsets,
                             const int64_t[::1] job_starts, const float[::1] job_alpha,
                             const uint64_t[::1] job_seed, int workers) except -1:
        """Raise ``ValueError`` unless the chunk is safe to train; return its longest sentence."""
        cdef Py_ssize_t n_jobs = job_starts.shape[0] - 1
        cdef Py_ssize_t n_sentences = sentence_offsets.shape[0] - 1
        if n_jobs < 0 or n_sentences < 0:
            raise ValueError("job_starts and sentence_offsets need at least one entry")
        if job_alpha.shape[0] != n_jobs or job_seed.shape[0] != n_jobs:
            raise ValueError("job_alpha and job_seed need one entry per job")
        offsets = np.asarray(sentence_offsets)
        starts = np.asarray(job_starts)
        if offsets[0] != 0 or offsets[n_sentences] != words.shape[0] or np.any(np.diff(offsets) < 0):
            raise ValueError("sentence_offsets must run from 0 to len(words) without decreasing")
        if starts[0] != 0 or starts[n_jobs] != n_sentences or np.any(np.diff(starts) < 0):
            raise ValueError("job_starts must run from 0 to the number of sentences without decreasing")
        if words.shape[0] and np.asarray(words).max() >= self.cfg.vocab_size:
            raise ValueError("words holds ids outside the vocabulary")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        return int(np.diff(offsets).max()) if n_sentences else 0

    def train_chunk(self, const uint32_t[::1] words, const int64_t[::1] sentence_offsets,
                    const int64_t[::1] job_starts, const float[::1] job_alpha,
                    const uint64_t[::1] job_seed, int workers):
        """Train the jobs of one chunk; return ``(effective_words[job], loss[job, level])``.

        Job ``i`` is the sentences ``job_starts[i]:job_starts[i + 1]``; sentence
        ``k`` is ``words[sentence_offsets[k]:sentence_offsets[k + 1]]``. The
        chunk goes through a :class:`ChunkQueue` of its own, run in this thread.
        """
        cdef int64_t longest = self.check_chunk(words, sentence_offsets, job_starts, job_alpha,
                                                job_seed, workers)
        single = ChunkQueue(self, workers, 1, max(longest, 1))
        effective, losses = single.put(words, sentence_offsets, job_starts, job_alpha, job_seed)
        single.close()
        single.run()
        return effective, losses


cdef void train_job(const TrainConfig *c, Scratch *s, const uint32_t *words,
                    const int64_t *offsets, const int64_t *job_starts, const float *job_alpha,
                    const uint64_t *job_seed, Py_ssize_t job, int64_t *effective,
                    double *losses) noexcept nogil:
    """Train job ``job`` of a chunk; store its effective words and its loss per level."""
    cdef int64_t k, done = 0
    cdef int j
    start_streams(c, s, job_seed[job])
    memset(s.loss, 0, sizeof(s.loss))
    for k in range(job_starts[job], job_starts[job + 1]):
        done = done + train_sentence(c, s, words + offsets[k], offsets[k + 1] - offsets[k],
                                     job_alpha[job])
    sync_replicas(s)  # a job leaves no update pending
    effective[job] = done
    for j in range(c.n_levels):
        losses[job * c.n_levels + j] = s.loss[j]


def replica_merge_check(float[:, ::1] shared, uint32_t n_rows, const float[:, ::1] change_a,
                        const float[:, ::1] change_b, int steps=1):
    """Two threads' replicas of ``shared[:n_rows]``, run in turn through the real code.

    For tests: replica A adds ``change_a`` to every row in ``steps`` equal
    updates through ``write_row`` (more than ROW_SYNC_UPDATES of them sync a
    row on its own) and syncs; replica B, whose copies predate A's sync, adds
    ``change_b`` the same way and syncs. ``shared`` must end as its start plus
    both changes. Returns B's copies after its sync (they must equal the
    shared rows).
    """
    cdef Py_ssize_t n = shared.shape[0], size = shared.shape[1], i, k
    cdef int step
    cdef RowReplica a, b
    cdef RowLocks locks
    cdef float *row
    if n == 0 or size == 0 or n_rows > n or steps < 1:
        raise ValueError("need a non-empty matrix, n_rows <= its rows and steps >= 1")
    if change_a.shape[0] != n or change_a.shape[1] != size or change_b.shape[0] != n \
            or change_b.shape[1] != size:
        raise ValueError("the changes must have the shape of the matrix")
    memset(&a, 0, sizeof(RowReplica))
    memset(&b, 0, sizeof(RowReplica))
    row_locks_init(&locks)
    try:
        if (new_replica(&a, &shared[0, 0], n_rows, <int>size, &locks) < 0
                or new_replica(&b, &shared[0, 0], n_rows, <int>size, &locks) < 0):
            raise MemoryError()
        for step in range(steps):
            for i in range(n):
                row = write_row(&a, <uint32_t>i, <int>size)
                for k in range(size):
                    row[k] += change_a[i, k] / steps
        sync_replica(&a)
        for step in range(steps):
            for i in range(n):
                row = write_row(&b, <uint32_t>i, <int>size)
                for k in range(size):
                    row[k] += change_b[i, k] / steps
        sync_replica(&b)
        copies = np.zeros((n_rows, size), dtype=np.float32)
        if n_rows:
            copies[:] = <float[:n_rows, :size]>b.rows
        return copies
    finally:
        free_replica(&a)
        free_replica(&b)
        row_locks_destroy(&locks)


def negatives_check(Trainer trainer, uint64_t seed, int64_t trainings):
    """The negatives that the first ``trainings`` trainings of a job seeded ``seed`` take.

    For tests: runs ``start_streams`` and ``take_negatives`` of a one-thread
    scratch on ``trainer``'s tables and returns a (trainings, negative) uint32
    array, in the order the trainings take them.
    """
    cdef const TrainConfig *c = &trainer.cfg
    cdef Scratch *s
    cdef RowLocks locks
    cdef int64_t t
    cdef int d
    if c.negative == 0:
        raise ValueError("the trainer has no negative sampling (negative=0)")
    if trainings < 0:
        raise ValueError(f"trainings must be >= 0, got {trainings}")
    out_arr = np.zeros((trainings, c.negative), dtype=np.uint32)
    cdef uint32_t[:, ::1] out = out_arr
    cdef uint32_t *taken
    row_locks_init(&locks)
    s = new_scratch(c, 1, 1, &locks)
    try:
        if s == NULL:
            raise MemoryError()
        start_streams(c, s, seed)
        for t in range(trainings):
            taken = take_negatives(c, s, s.outputs)
            for d in range(c.negative):
                out[t, d] = taken[d]
        return out_arr
    finally:
        free_scratch(s)
        row_locks_destroy(&locks)


cdef _check_1d(array, dtype, Py_ssize_t length, str name):
    arr = np.asarray(array)
    if arr.dtype != dtype or arr.ndim != 1 or not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be a contiguous 1-D {np.dtype(dtype).name} array")
    if arr.shape[0] != length:
        raise ValueError(f"{name} has {arr.shape[0]} entries, expected {length}")
    return arr


cdef _check_2d(array, rows, Py_ssize_t cols, str name):
    arr = np.asarray(array)
    if arr.dtype != np.float32 or arr.ndim != 2 or not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous 2-D float32 array")
    if arr.shape[1] != cols or (rows is not None and arr.shape[0] != rows) or arr.shape[0] == 0:
        raise ValueError(f"{name} has shape {arr.shape}, expected ({rows}, {cols})")
    if not arr.flags.writeable:
        raise ValueError(f"{name} is read-only; load the model without mmap='r' to train it")
    return arr


def build_alias_table(const double[::1] weights):
    """Walker/Vose alias table for sampling ids in proportion to ``weights``.

    Returns ``(prob, alias)`` as uint32 arrays: draw a bucket uniformly, keep it
    when a uniform 32-bit number is below ``prob[bucket]``, else take ``alias[bucket]``.
    """
    cdef Py_ssize_t n = weights.shape[0], i, n_small = 0, n_large = 0, small, large
    if n == 0:
        raise ValueError("cannot build a sampling table for an empty vocabulary")
    arr = np.asarray(weights)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or arr.sum() <= 0:
        raise ValueError("sampling weights must be finite, non-negative and not all zero")
    scaled_arr = arr * (n / arr.sum())
    cdef double[::1] scaled = scaled_arr
    prob_arr = np.full(n, KEEP_ALWAYS, dtype=np.uint32)
    alias_arr = np.arange(n, dtype=np.uint32)
    cdef uint32_t[::1] prob = prob_arr
    cdef uint32_t[::1] alias = alias_arr
    cdef Py_ssize_t[::1] smalls = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t[::1] larges = np.empty(n, dtype=np.intp)
    with nogil:
        for i in range(n):
            if scaled[i] < 1.0:
                smalls[n_small] = i
                n_small += 1
            else:
                larges[n_large] = i
                n_large += 1
        while n_small > 0 and n_large > 0:
            n_small -= 1
            small = smalls[n_small]
            large = larges[n_large - 1]
            prob[small] = <uint32_t>(scaled[small] * 4294967295.0)
            alias[small] = <uint32_t>large
            scaled[large] = (scaled[large] + scaled[small]) - 1.0
            if scaled[large] < 1.0:
                n_large -= 1
                smalls[n_small] = large
                n_small += 1
        # what is left has probability 1 up to rounding
    return prob_arr, alias_arr


def build_huffman_tree(const int64_t[::1] counts):
    """Huffman codes for hierarchical softmax, as CSR arrays.

    Returns ``(points, codes, offsets)``: word ``w``'s path from the root is
    ``points[offsets[w]:offsets[w + 1]]`` (inner-node rows of ``syn1``) with the
    branch taken at each in ``codes``. Uses the linear two-queue construction
    over counts sorted ascending (ties broken by id, so the tree is deterministic).
    """
    cdef Py_ssize_t n = counts.shape[0]
    if n == 0:
        raise ValueError("cannot build a Huffman tree for an empty vocabulary")
    order_arr = np.argsort(np.asarray(counts), kind="stable").astype(np.int64)
    cdef int64_t[::1] order = order_arr
    # nodes 0..n-1 are leaves (word ids), n..2n-2 inner nodes
    cdef int64_t n_nodes = 2 * n - 1
    weight_arr = np.zeros(n_nodes, dtype=np.int64)
    parent_arr = np.full(n_nodes, -1, dtype=np.int64)
    branch_arr = np.zeros(n_nodes, dtype=np.uint8)
    cdef int64_t[::1] weight = weight_arr
    cdef int64_t[::1] parent = parent_arr
    cdef uint8_t[::1] branch = branch_arr
    cdef int64_t leaf_pos = 0, inner_pos = n, inner_end = n, new, node
    cdef int64_t picks[2]
    cdef int p
    cdef Py_ssize_t i
    for i in range(n):
        weight[i] = counts[i]
    with nogil:
        for new in range(n, n_nodes):
            for p in range(2):
                if leaf_pos < n and (inner_pos >= inner_end or weight[order[leaf_pos]] <= weight[inner_pos]):
                    picks[p] = order[leaf_pos]
                    leaf_pos += 1
                else:
                    picks[p] = inner_pos
                    inner_pos += 1
            weight[new] = weight[picks[0]] + weight[picks[1]]
            parent[picks[0]] = new
            parent[picks[1]] = new
            branch[picks[1]] = 1
            inner_end += 1
    depth_arr = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] depth = depth_arr
    with nogil:
        for i in range(n):
            node = i
            while parent[node] != -1:
                depth[i] += 1
                node = parent[node]
    offsets_arr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(depth_arr, out=offsets_arr[1:])
    cdef int64_t[::1] offsets = offsets_arr
    points_arr = np.zeros(offsets_arr[n], dtype=np.uint32)
    codes_arr = np.zeros(offsets_arr[n], dtype=np.uint8)
    cdef uint32_t[::1] points = points_arr
    cdef uint8_t[::1] codes = codes_arr
    cdef int64_t pos, root = n_nodes - 1
    with nogil:
        for i in range(n):
            # walk up from the leaf, filling the path from its end (root first in the result)
            node = i
            pos = offsets[i + 1]
            while parent[node] != -1:
                pos -= 1
                codes[pos] = branch[node]
                # inner nodes are numbered so that the root is syn1 row 0
                points[pos] = <uint32_t>(root - parent[node])
                node = parent[node]
    return points_arr, codes_arr, offsets_arr


def openmp_enabled():
    """Whether this module was compiled with OpenMP."""
    return bool(w2vm_openmp_on())


cdef extern from *:
    """
    static int w2vm_cpu_has_avx2_fma(void) {
    #if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    #else
        return 0;
    #endif
    }
    """
    int w2vm_cpu_has_avx2_fma() nogil


def cpu_has_avx2_fma():
    """Whether this CPU can run the AVX2 + FMA build of the kernels."""
    return bool(w2vm_cpu_has_avx2_fma())
