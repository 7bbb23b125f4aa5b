"""Native list scan of :class:`w2vm.similarities.IVFFlatIndex`.

The coarse step (queries x centroids) is one BLAS product done in Python;
this module scans the probed inverted lists, whose vectors are stored
contiguously per list (CSR), so a scan is a linear walk through memory.
"""
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport malloc, free


from w2vm.similarities._distances cimport (
    w2vm_pair, w2vm_kernels_init, w2vm_distance, w2vm_topk_push, w2vm_topk_write,
)
from w2vm.similarities._omp_compat cimport w2vm_thread_num

w2vm_kernels_init(0)


def scan(const float[:, ::1] list_data, const int32_t[::1] list_slots, const int64_t[::1] offsets,
         const int32_t[:, ::1] probes, const float[:, ::1] queries, int metric,
         const uint8_t[::1] allowed, int n_threads, int32_t[:, ::1] out_ids, float[:, ::1] out_dist):
    """Top ``out_ids.shape[1]`` slots per query over its probed lists (-1 for none)."""
    cdef int64_t n_q = queries.shape[0], k = out_ids.shape[1], n_probe = probes.shape[1]
    cdef int m = queries.shape[1]
    cdef int64_t i, j, pos, size
    cdef int32_t p, slot
    cdef float d
    cdef const uint8_t *allow = NULL
    cdef w2vm_pair *heaps
    cdef w2vm_pair *h
    cdef w2vm_pair *srt
    if n_q == 0 or k == 0:
        return
    if allowed is not None:
        allow = &allowed[0]
    heaps = <w2vm_pair *> malloc(2 * n_threads * (k + 1) * sizeof(w2vm_pair))
    if heaps == NULL:
        raise MemoryError()
    with nogil:
        for i in prange(n_q, num_threads=n_threads, schedule='dynamic', chunksize=4):
            h = heaps + 2 * w2vm_thread_num() * (k + 1)
            srt = h + (k + 1)
            size = 0
            for j in range(n_probe):
                p = probes[i, j]
                if p < 0:
                    continue
                for pos in range(offsets[p], offsets[p + 1]):
                    slot = list_slots[pos]
                    if allow != NULL and not allow[slot]:
                        continue
                    d = w2vm_distance(metric, &queries[i, 0], &list_data[pos, 0], m)
                    w2vm_topk_push(h, &size, k, d, slot)
            w2vm_topk_write(h, size, srt, k, &out_ids[i, 0], &out_dist[i, 0])
    free(heaps)
