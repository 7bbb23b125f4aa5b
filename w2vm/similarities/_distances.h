/* Distance kernels and small heaps shared by every index in w2vm.similarities.
 *
 * Why not BLAS here: an index compares one query with one stored row at a
 * time (graph walks, list scans), at 25-300 floats. A call to sdot through
 * scipy's cython_blas costs a function pointer call plus argument checking
 * per pair, which is as much as the arithmetic; benchmarks/bench_index.py
 * --kernels measures it (see its JSON). Batches of queries against many rows
 * (brute force, k-means, coarse quantisers) do use BLAS sgemm via numpy.
 *
 * Why vector extensions: the default build has no -march=native (wheels must
 * run on any CPU), and gcc will not vectorise a float reduction without
 * -ffast-math. Explicit 4-wide vectors give SSE2/NEON code on every target;
 * on x86-64 an AVX2+FMA version is compiled alongside with a function
 * attribute and picked at run time (w2vm_kernels_init).
 */
#ifndef W2VM_DISTANCES_H
#define W2VM_DISTANCES_H

#include <math.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>

typedef float (*w2vm_dist_fn)(const float *a, const float *b, int n);

/* ---------- scalar reference (also the MSVC path) ---------- */
static float w2vm_dot_scalar(const float *a, const float *b, int n) {
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static float w2vm_l2sq_scalar(const float *a, const float *b, int n) {
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
        float d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    for (; i < n; i++) { float d = a[i] - b[i]; s0 += d * d; }
    return (s0 + s1) + (s2 + s3);
}

#if defined(__GNUC__) || defined(__clang__)
#define W2VM_HAVE_VECEXT 1
typedef float w2vm_v4 __attribute__((vector_size(16)));

static inline w2vm_v4 w2vm_load4(const float *p) { w2vm_v4 v; memcpy(&v, p, sizeof(v)); return v; }

static float w2vm_dot_v4(const float *a, const float *b, int n) {
    w2vm_v4 s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += w2vm_load4(a + i) * w2vm_load4(b + i);
        s1 += w2vm_load4(a + i + 4) * w2vm_load4(b + i + 4);
    }
    if (i + 4 <= n) { s0 += w2vm_load4(a + i) * w2vm_load4(b + i); i += 4; }
    s0 += s1;
    float s = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static float w2vm_l2sq_v4(const float *a, const float *b, int n) {
    w2vm_v4 s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        w2vm_v4 d0 = w2vm_load4(a + i) - w2vm_load4(b + i);
        w2vm_v4 d1 = w2vm_load4(a + i + 4) - w2vm_load4(b + i + 4);
        s0 += d0 * d0; s1 += d1 * d1;
    }
    if (i + 4 <= n) { w2vm_v4 d0 = w2vm_load4(a + i) - w2vm_load4(b + i); s0 += d0 * d0; i += 4; }
    s0 += s1;
    float s = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}

#if (defined(__x86_64__) || defined(__i386__)) && !defined(W2VM_NO_AVX2)
#define W2VM_HAVE_AVX2_PATH 1
typedef float w2vm_v8 __attribute__((vector_size(32)));

__attribute__((target("avx2,fma")))
static inline w2vm_v8 w2vm_load8(const float *p) { w2vm_v8 v; memcpy(&v, p, sizeof(v)); return v; }

__attribute__((target("avx2,fma")))
static float w2vm_dot_avx2(const float *a, const float *b, int n) {
    w2vm_v8 s0 = {0}, s1 = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 += w2vm_load8(a + i) * w2vm_load8(b + i);
        s1 += w2vm_load8(a + i + 8) * w2vm_load8(b + i + 8);
    }
    if (i + 8 <= n) { s0 += w2vm_load8(a + i) * w2vm_load8(b + i); i += 8; }
    s0 += s1;
    float s = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s0[4] + s0[5]) + (s0[6] + s0[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

__attribute__((target("avx2,fma")))
static float w2vm_l2sq_avx2(const float *a, const float *b, int n) {
    w2vm_v8 s0 = {0}, s1 = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        w2vm_v8 d0 = w2vm_load8(a + i) - w2vm_load8(b + i);
        w2vm_v8 d1 = w2vm_load8(a + i + 8) - w2vm_load8(b + i + 8);
        s0 += d0 * d0; s1 += d1 * d1;
    }
    if (i + 8 <= n) { w2vm_v8 d0 = w2vm_load8(a + i) - w2vm_load8(b + i); s0 += d0 * d0; i += 8; }
    s0 += s1;
    float s = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s0[4] + s0[5]) + (s0[6] + s0[7]));
    for (; i < n; i++) { float d = a[i] - b[i]; s += d * d; }
    return s;
}
#endif
#endif

/* Prefetch hint: graph walks jump to random rows, so their latency (not the
 * arithmetic) is what a search spends most of its time on. */
#if defined(__GNUC__) || defined(__clang__)
#define w2vm_prefetch(p) __builtin_prefetch((const void *)(p), 0, 3)
#else
#define w2vm_prefetch(p) ((void)0)
#endif

/* Prefetch every cache line of a row of n floats (re-ranking reads whole rows
 * at random: issuing all their loads early overlaps the misses). */
static inline void w2vm_prefetch_row(const float *p, int n) {
    const char *c = (const char *)p;
    const char *end = (const char *)(p + n);
    for (; c < end; c += 64) w2vm_prefetch(c);
}

/* Selected at import time by w2vm_kernels_init(); per compiled module. */
static w2vm_dist_fn w2vm_dot_fn = w2vm_dot_scalar;
static w2vm_dist_fn w2vm_l2sq_fn = w2vm_l2sq_scalar;
static const char *w2vm_kernel_name = "scalar";

/* which: 0 = best available, 1 = scalar, 2 = 4-wide vectors, 3 = avx2+fma. */
static int w2vm_kernels_init(int which) {
    w2vm_dot_fn = w2vm_dot_scalar; w2vm_l2sq_fn = w2vm_l2sq_scalar; w2vm_kernel_name = "scalar";
    if (which == 1) return 0;
#ifdef W2VM_HAVE_VECEXT
    w2vm_dot_fn = w2vm_dot_v4; w2vm_l2sq_fn = w2vm_l2sq_v4; w2vm_kernel_name = "vec4";
    if (which == 2) return 0;
#ifdef W2VM_HAVE_AVX2_PATH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        w2vm_dot_fn = w2vm_dot_avx2; w2vm_l2sq_fn = w2vm_l2sq_avx2; w2vm_kernel_name = "avx2+fma";
        return 0;
    }
#endif
#endif
    return which == 0 ? 0 : -1;
}

/* Internal distances are always "smaller is closer": -dot for ip/cosine. */
enum { W2VM_METRIC_IP = 0, W2VM_METRIC_L2 = 1 };

static inline float w2vm_distance(int metric, const float *a, const float *b, int n) {
    return metric == W2VM_METRIC_L2 ? w2vm_l2sq_fn(a, b, n) : -w2vm_dot_fn(a, b, n);
}

/* ---------- binary heaps of (distance, id) ---------- */
typedef struct { float d; int32_t id; } w2vm_pair;

/* Max-heap on d: the worst kept result sits on top (results / top-k). */
static inline void w2vm_maxheap_push(w2vm_pair *h, int64_t *size, float d, int32_t id) {
    int64_t i = (*size)++;
    while (i > 0) {
        int64_t p = (i - 1) >> 1;
        if (h[p].d >= d) break;
        h[i] = h[p]; i = p;
    }
    h[i].d = d; h[i].id = id;
}

static inline void w2vm_maxheap_pop(w2vm_pair *h, int64_t *size) {
    int64_t n = --(*size);
    if (n <= 0) return;
    w2vm_pair last = h[n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1].d > h[c].d) c++;
        if (h[c].d <= last.d) break;
        h[i] = h[c]; i = c;
    }
    h[i] = last;
}

/* Replace the top (worst) by a better item: one sift-down instead of pop+push. */
static inline void w2vm_maxheap_replace_top(w2vm_pair *h, int64_t size, float d, int32_t id) {
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && h[c + 1].d > h[c].d) c++;
        if (h[c].d <= d) break;
        h[i] = h[c]; i = c;
    }
    h[i].d = d; h[i].id = id;
}

/* Min-heap on d: the closest unexplored candidate on top. */
static inline void w2vm_minheap_push(w2vm_pair *h, int64_t *size, float d, int32_t id) {
    int64_t i = (*size)++;
    while (i > 0) {
        int64_t p = (i - 1) >> 1;
        if (h[p].d <= d) break;
        h[i] = h[p]; i = p;
    }
    h[i].d = d; h[i].id = id;
}

static inline void w2vm_minheap_pop(w2vm_pair *h, int64_t *size) {
    int64_t n = --(*size);
    if (n <= 0) return;
    w2vm_pair last = h[n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && h[c + 1].d < h[c].d) c++;
        if (h[c].d >= last.d) break;
        h[i] = h[c]; i = c;
    }
    h[i] = last;
}

/* Empty a max-heap into out[0..size) sorted by increasing distance. */
static inline void w2vm_maxheap_drain_sorted(w2vm_pair *h, int64_t size, w2vm_pair *out) {
    while (size > 0) {
        out[size - 1] = h[0];
        w2vm_maxheap_pop(h, &size);
    }
}

/* Write a top-k heap as one result row, closest first; missing results are
 * id -1 at distance +infinity. ``sorted`` is scratch for ``size`` pairs. */
static inline void w2vm_topk_write(w2vm_pair *h, int64_t size, w2vm_pair *sorted, int64_t k,
                                   int32_t *ids, float *dist) {
    w2vm_maxheap_drain_sorted(h, size, sorted);
    for (int64_t j = 0; j < k; j++) {
        ids[j] = j < size ? sorted[j].id : -1;
        dist[j] = j < size ? sorted[j].d : INFINITY;
    }
}

/* Push into a bounded top-k max-heap. */
static inline void w2vm_topk_push(w2vm_pair *h, int64_t *size, int64_t k, float d, int32_t id) {
    if (*size < k) w2vm_maxheap_push(h, size, d, id);
    else if (d < h[0].d) w2vm_maxheap_replace_top(h, *size, d, id);
}

#endif
