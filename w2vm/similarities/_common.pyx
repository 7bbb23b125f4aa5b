"""Native kernels shared by every index: exact re-ranking of a shortlist.

The Matryoshka funnel walks an index on a short prefix and then re-ranks the
shortlist here on a longer prefix of the stored (raw) vectors.
"""
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free


from w2vm.similarities._distances cimport (
    w2vm_pair, w2vm_kernels_init, w2vm_kernel_name, w2vm_dot_fn, w2vm_l2sq_fn,
    w2vm_dot_scalar, w2vm_topk_push, w2vm_topk_write, W2VM_METRIC_L2,
    w2vm_prefetch, w2vm_prefetch_row,
)
from w2vm.similarities._omp_compat cimport w2vm_thread_num, w2vm_max_threads
from scipy.linalg.cython_blas cimport sdot

w2vm_kernels_init(0)
KERNEL = w2vm_kernel_name.decode()


cdef enum:
    AHEAD = 8     # candidates prefetched ahead in rerank


def max_threads():
    return w2vm_max_threads()


def rerank(const float[:, ::1] vectors, const float[::1] inv_norms, int metric,
           const float[:, ::1] queries, const int32_t[:, ::1] cands, int n_threads,
           int32_t[:, ::1] out_ids, float[:, ::1] out_dist):
    """Exact distances between each query and its candidates (rows of ``vectors``).

    Only the first ``queries.shape[1]`` columns of ``vectors`` are used (a
    prefix). ``inv_norms`` (or None) scales inner products: cosine at a prefix
    is ``q . x[:m] / |x[:m]|`` with ``q`` already unit length. Candidates < 0
    are padding. Writes the ``out_ids.shape[1]`` best per row, sorted.
    """
    cdef int64_t n_q = queries.shape[0], n_c = cands.shape[1], k = out_ids.shape[1]
    cdef int m = queries.shape[1]
    cdef int64_t i, j, size
    cdef int32_t c
    cdef float d
    cdef const float *inv = NULL
    cdef w2vm_pair *heaps
    cdef w2vm_pair *h
    cdef w2vm_pair *srt
    if n_q == 0 or k == 0:
        return
    if inv_norms is not None:
        inv = &inv_norms[0]
    heaps = <w2vm_pair *> malloc(2 * n_threads * (k + 1) * sizeof(w2vm_pair))
    if heaps == NULL:
        raise MemoryError()
    with nogil:
        for i in prange(n_q, num_threads=n_threads, schedule='static'):
            h = heaps + 2 * w2vm_thread_num() * (k + 1)
            srt = h + (k + 1)
            size = 0
            # Software pipeline: the rows of candidates j+1..j+AHEAD are on their
            # way while candidate j is scored (candidates are random rows).
            for j in range(min(AHEAD, n_c)):
                c = cands[i, j]
                if c >= 0:
                    w2vm_prefetch_row(&vectors[c, 0], m)
                    if inv != NULL:
                        w2vm_prefetch(inv + c)
            for j in range(n_c):
                if j + AHEAD < n_c:
                    c = cands[i, j + AHEAD]
                    if c >= 0:
                        w2vm_prefetch_row(&vectors[c, 0], m)
                        if inv != NULL:
                            w2vm_prefetch(inv + c)
                c = cands[i, j]
                if c < 0:
                    continue
                if metric == W2VM_METRIC_L2:
                    d = w2vm_l2sq_fn(&queries[i, 0], &vectors[c, 0], m)
                else:
                    d = -w2vm_dot_fn(&queries[i, 0], &vectors[c, 0], m)
                    if inv != NULL:
                        d = d * inv[c]
                w2vm_topk_push(h, &size, k, d, c)
            w2vm_topk_write(h, size, srt, k, &out_ids[i, 0], &out_dist[i, 0])
    free(heaps)


def kernel_timing(const float[:, ::1] a, const float[:, ::1] b, int repeats, int which):
    """Sum of a[i] . b[j] over all pairs, ``repeats`` times (for benchmarks).

    which: 0 = the dispatched kernel (SIMD), 1 = plain scalar loop,
    2 = BLAS ``sdot`` through scipy's cython_blas (one call per pair, as an
    index would have to make it).
    """
    cdef int64_t i, j, r
    cdef int n = a.shape[1], one = 1
    cdef double total = 0
    with nogil:
        for r in range(repeats):
            for i in range(a.shape[0]):
                for j in range(b.shape[0]):
                    if which == 0:
                        total += w2vm_dot_fn(&a[i, 0], &b[j, 0], n)
                    elif which == 1:
                        total += w2vm_dot_scalar(&a[i, 0], &b[j, 0], n)
                    else:
                        total += sdot(&n, <float *> &a[i, 0], &one, <float *> &b[j, 0], &one)
    return total
