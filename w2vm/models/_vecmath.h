/* Small dense vector kernels for the training loops.
 *
 * Plain loops with `omp simd` hints: at word2vec's sizes (segments of 25-300
 * floats) a call into BLAS costs more than the arithmetic, and the compiler
 * vectorises these loops (SSE2 baseline; no -march=native) once it is allowed
 * to reassociate the reduction. benchmarks/README.md records the comparison.
 */
#ifndef W2VM_VECMATH_H
#define W2VM_VECMATH_H

#if defined(_OPENMP)
#define W2VM_SIMD_REDUCE _Pragma("omp simd reduction(+:sum)")
#define W2VM_SIMD _Pragma("omp simd")
#else
#define W2VM_SIMD_REDUCE
#define W2VM_SIMD
#endif

static inline float w2vm_dot(const float *a, const float *b, int n) {
    float sum = 0.0f;
    W2VM_SIMD_REDUCE
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/* y += alpha * x */
static inline void w2vm_axpy(float alpha, const float *x, float *y, int n) {
    W2VM_SIMD
    for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

/* The two updates of one (hidden, output-row) pair fused into one pass:
 * err += g * out (with `out` before its update), out += g * hidden. */
static inline void w2vm_pair_update(float g, const float *hidden, float *out, float *err, int n) {
    W2VM_SIMD
    for (int i = 0; i < n; i++) {
        float o = out[i];
        err[i] += g * o;
        out[i] = o + g * hidden[i];
    }
}

static inline void w2vm_scale(float alpha, float *x, int n) {
    W2VM_SIMD
    for (int i = 0; i < n; i++) x[i] *= alpha;
}

/* Ask for a row's cache lines ahead of use: output rows of negative samples
 * are random and mostly not in cache, so their latency otherwise dominates. */
static inline void w2vm_prefetch_row(const float *row, int n) {
#if defined(__GNUC__) || defined(__clang__)
    const char *p = (const char *)row;
    for (int i = 0; i < n * (int)sizeof(float); i += 64) __builtin_prefetch(p + i, 1, 3);
#else
    (void)row; (void)n;
#endif
}

#endif
