/* OpenMP locks and thread ids that also compile (as no-ops) without OpenMP,
 * so a serial build of w2vm still works; setup.py warns in that case. */
#ifndef W2VM_OMP_COMPAT_H
#define W2VM_OMP_COMPAT_H
#ifdef _OPENMP
#include <omp.h>
typedef omp_lock_t w2vm_lock_t;
static inline void w2vm_lock_init(w2vm_lock_t *l) { omp_init_lock(l); }
static inline void w2vm_lock_destroy(w2vm_lock_t *l) { omp_destroy_lock(l); }
static inline void w2vm_lock_set(w2vm_lock_t *l) { omp_set_lock(l); }
static inline void w2vm_lock_unset(w2vm_lock_t *l) { omp_unset_lock(l); }
static inline int w2vm_thread_num(void) { return omp_get_thread_num(); }
static inline int w2vm_max_threads(void) { return omp_get_max_threads(); }
#else
typedef int w2vm_lock_t;
static inline void w2vm_lock_init(w2vm_lock_t *l) { *l = 0; }
static inline void w2vm_lock_destroy(w2vm_lock_t *l) { (void)l; }
static inline void w2vm_lock_set(w2vm_lock_t *l) { (void)l; }
static inline void w2vm_lock_unset(w2vm_lock_t *l) { (void)l; }
static inline int w2vm_thread_num(void) { return 0; }
static inline int w2vm_max_threads(void) { return 1; }
#endif
#endif
