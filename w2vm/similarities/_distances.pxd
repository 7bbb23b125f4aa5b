# Declarations of the shared kernels in _distances.h (distances, heaps).
from libc.stdint cimport int32_t, int64_t

cdef extern from "_distances.h" nogil:
    ctypedef float (*w2vm_dist_fn)(const float *a, const float *b, int n) noexcept nogil
    w2vm_dist_fn w2vm_dot_fn
    w2vm_dist_fn w2vm_l2sq_fn
    const char *w2vm_kernel_name
    int w2vm_kernels_init(int which)
    enum:
        W2VM_METRIC_IP
        W2VM_METRIC_L2
    float w2vm_distance(int metric, const float *a, const float *b, int n)
    float w2vm_dot_scalar(const float *a, const float *b, int n)
    void w2vm_prefetch(const void *p)
    void w2vm_prefetch_row(const float *p, int n)

    ctypedef struct w2vm_pair:
        float d
        int32_t id
    void w2vm_maxheap_push(w2vm_pair *h, int64_t *size, float d, int32_t id)
    void w2vm_maxheap_pop(w2vm_pair *h, int64_t *size)
    void w2vm_maxheap_replace_top(w2vm_pair *h, int64_t size, float d, int32_t id)
    void w2vm_minheap_push(w2vm_pair *h, int64_t *size, float d, int32_t id)
    void w2vm_minheap_pop(w2vm_pair *h, int64_t *size)
    void w2vm_maxheap_drain_sorted(w2vm_pair *h, int64_t size, w2vm_pair *out)
    void w2vm_topk_push(w2vm_pair *h, int64_t *size, int64_t k, float d, int32_t id)
    void w2vm_topk_write(w2vm_pair *h, int64_t size, w2vm_pair *sorted, int64_t k, int32_t *ids,
                         float *dist)
