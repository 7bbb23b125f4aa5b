cdef extern from "_omp_compat.h" nogil:
    ctypedef struct w2vm_lock_t:
        pass
    void w2vm_lock_init(w2vm_lock_t *l)
    void w2vm_lock_destroy(w2vm_lock_t *l)
    void w2vm_lock_set(w2vm_lock_t *l)
    void w2vm_lock_unset(w2vm_lock_t *l)
    int w2vm_thread_num()
    int w2vm_max_threads()
