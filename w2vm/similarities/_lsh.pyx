"""Native multi-probe query of :class:`w2vm.similarities.LSHIndex`.

Each table sorts the slots by their ``n_bits`` random-hyperplane signature;
a bucket is a run of equal keys, found by binary search. Multi-probe (Lv et
al., 2007) also visits buckets whose signature differs in the bits whose
hyperplane the query is closest to, which is where its neighbours spill.
"""
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memset
from libc.math cimport fabsf

from w2vm.similarities._distances cimport (
    w2vm_pair, w2vm_kernels_init, w2vm_distance, w2vm_dot_fn, w2vm_topk_push, w2vm_topk_write,
)
from w2vm.similarities._omp_compat cimport w2vm_thread_num

w2vm_kernels_init(0)

cdef enum:
    MAX_FLIP = 12                              # lowest-margin bits considered for flips
    MAX_PROBES = 1 + MAX_FLIP + MAX_FLIP * (MAX_FLIP - 1) // 2


def max_probes(int n_bits):
    cdef int f = n_bits if n_bits < MAX_FLIP else MAX_FLIP
    return 1 + f + f * (f - 1) // 2


cdef inline int64_t lower_bound(const uint64_t *keys, int64_t n, uint64_t key) noexcept nogil:
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int make_probes(const float *margin, int n_bits, int n_probe, uint64_t *masks,
                     float *scores, int *order) noexcept nogil:
    """The ``n_probe`` cheapest bit-flip masks (no flip first), by summed |margin|."""
    cdef int b, i, j, f, n = 0, best
    cdef int tmp
    cdef uint64_t mtmp
    cdef float stmp
    for b in range(n_bits):
        order[b] = b
    # Insertion sort of bits by |margin| (n_bits <= 64).
    for i in range(1, n_bits):
        tmp = order[i]
        j = i - 1
        while j >= 0 and fabsf(margin[order[j]]) > fabsf(margin[tmp]):
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = tmp
    f = n_bits if n_bits < MAX_FLIP else MAX_FLIP
    masks[n] = 0
    scores[n] = 0
    n += 1
    for i in range(f):
        masks[n] = (<uint64_t>1) << order[i]
        scores[n] = fabsf(margin[order[i]])
        n += 1
    for i in range(f):
        for j in range(i + 1, f):
            masks[n] = ((<uint64_t>1) << order[i]) | ((<uint64_t>1) << order[j])
            scores[n] = fabsf(margin[order[i]]) + fabsf(margin[order[j]])
            n += 1
    if n_probe > n:
        n_probe = n
    # Partial selection sort: only the first n_probe positions are needed.
    for i in range(n_probe):
        best = i
        for j in range(i + 1, n):
            if scores[j] < scores[best]:
                best = j
        stmp = scores[i]; scores[i] = scores[best]; scores[best] = stmp
        mtmp = masks[i]; masks[i] = masks[best]; masks[best] = mtmp
    return n_probe


def query(const float[:, ::1] planes, const uint64_t[:, ::1] keys, const int32_t[:, ::1] slots,
          const float[:, ::1] data, const float[:, ::1] queries, int n_bits, int n_probe, int metric,
          const uint8_t[::1] allowed, uint16_t[:, ::1] visited, uint16_t[::1] tags, int n_threads,
          int32_t[:, ::1] out_ids, float[:, ::1] out_dist):
    """Candidates from every table's probed buckets, scored exactly on ``data``."""
    cdef int64_t n_q = queries.shape[0], k = out_ids.shape[1], n = keys.shape[1]
    cdef int n_tables = keys.shape[0], m = queries.shape[1]
    cdef int64_t i, j, pos, size
    cdef int t, b, pr, np_used, tid
    cdef uint64_t sig, key
    cdef int32_t slot
    cdef uint16_t tag
    cdef float d
    cdef const uint8_t *allow = NULL
    cdef w2vm_pair *heaps
    cdef w2vm_pair *h
    cdef w2vm_pair *srt
    cdef float *margins
    cdef float *mg
    cdef uint64_t *masks
    cdef float *scores
    cdef int *order
    cdef const float *q
    if n_q == 0 or k == 0:
        return
    if allowed is not None:
        allow = &allowed[0]
    heaps = <w2vm_pair *> malloc(2 * n_threads * (k + 1) * sizeof(w2vm_pair))
    margins = <float *> malloc(n_threads * n_bits * sizeof(float))
    masks = <uint64_t *> malloc(n_threads * MAX_PROBES * sizeof(uint64_t))
    scores = <float *> malloc(n_threads * MAX_PROBES * sizeof(float))
    order = <int *> malloc(n_threads * 64 * sizeof(int))
    if heaps == NULL or margins == NULL or masks == NULL or scores == NULL or order == NULL:
        free(heaps); free(margins); free(masks); free(scores); free(order)
        raise MemoryError()
    with nogil:
        for i in prange(n_q, num_threads=n_threads, schedule='dynamic', chunksize=4):
            tid = w2vm_thread_num()
            h = heaps + 2 * tid * (k + 1)
            srt = h + (k + 1)
            mg = margins + tid * n_bits
            q = &queries[i, 0]
            size = 0
            tags[tid] = tags[tid] + 1
            if tags[tid] == 0:
                memset(&visited[tid, 0], 0, visited.shape[1] * sizeof(uint16_t))
                tags[tid] = 1
            tag = tags[tid]
            for t in range(n_tables):
                sig = 0
                for b in range(n_bits):
                    mg[b] = w2vm_dot_fn(q, &planes[t * n_bits + b, 0], m)
                    if mg[b] > 0:
                        sig = sig | ((<uint64_t>1) << b)
                np_used = make_probes(mg, n_bits, n_probe, masks + tid * MAX_PROBES,
                                      scores + tid * MAX_PROBES, order + tid * 64)
                for pr in range(np_used):
                    key = sig ^ masks[tid * MAX_PROBES + pr]
                    pos = lower_bound(&keys[t, 0], n, key)
                    while pos < n and keys[t, pos] == key:
                        slot = slots[t, pos]
                        pos = pos + 1
                        if visited[tid, slot] == tag:
                            continue
                        visited[tid, slot] = tag
                        if allow != NULL and not allow[slot]:
                            continue
                        d = w2vm_distance(metric, q, &data[slot, 0], m)
                        w2vm_topk_push(h, &size, k, d, slot)
            w2vm_topk_write(h, size, srt, k, &out_ids[i, 0], &out_dist[i, 0])
    free(heaps); free(margins); free(masks); free(scores); free(order)
