/* Small dense vector kernels for the training loops.
 *
 * At word2vec's sizes (rows of 25-300 floats, and with Matryoshka levels
 * segments of those rows) a call into BLAS costs more than the arithmetic, so
 * these are inline loops, in two versions:
 *
 * - the AVX2 + FMA module (compiled with -mavx2 -mfma and chosen at run time
 *   on CPUs that have both) uses intrinsics: 8-float blocks, two accumulators
 *   for the dot product, and a scalar tail. The compiler's own vectorisation
 *   of the plain loops spent more time in alignment prologues and epilogues
 *   than in the vectors once rows are cut into level segments (25 floats);
 *   masked tail loads/stores and a one-pass "blended" level update measured
 *   slower than this.
 * - the baseline module uses plain loops with `omp simd` hints (SSE2 on x86-64,
 *   NEON on arm64; no -march=native).
 *
 * The output rows of one target (its Huffman path, or it and its negatives)
 * are trained as a set: all nested scores first, four rows per pass
 * (w2vm_nested_dot4), then the gradients of eight rows per vector
 * (w2vm_level_gradients), then all updates four rows per pass with the error
 * row kept in registers (w2vm_path_update). Rows of a set are distinct, so
 * taking every score before any update changes nothing; what it buys is
 * independent work for the CPU (hierarchical softmax trains 1.35-1.7x as
 * fast as row after row did).
 *
 * benchmarks/README.md records the measurements behind these choices.
 */
#ifndef W2VM_VECMATH_H
#define W2VM_VECMATH_H

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static inline float w2vm_hsum(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 shuf = _mm_movehdup_ps(lo);
    __m128 sums = _mm_add_ps(lo, shuf);
    shuf = _mm_movehl_ps(shuf, sums);
    return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}

static inline float w2vm_dot(const float *a, const float *b, int n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float tail = 0.0f;
    for (; i < n; i++) tail += a[i] * b[i];
    return w2vm_hsum(_mm256_add_ps(acc0, acc1)) + tail;
}

/* y += alpha * x */
static inline void w2vm_axpy(float alpha, const float *x, float *y, int n) {
    __m256 g = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(g, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

/* The two updates of one (hidden, output-row) pair fused into one pass:
 * err += g * out (with `out` before its update), out += g * hidden. */
static inline void w2vm_pair_update(float alpha, const float *hidden, float *out, float *err, int n) {
    __m256 g = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 o = _mm256_loadu_ps(out + i);
        _mm256_storeu_ps(err + i, _mm256_fmadd_ps(g, o, _mm256_loadu_ps(err + i)));
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(g, _mm256_loadu_ps(hidden + i), o));
    }
    for (; i < n; i++) {
        float o = out[i];
        err[i] += alpha * o;
        out[i] = o + alpha * hidden[i];
    }
}

/* out = rows[0] + rows[1] + ... (n_rows >= 1), added in that order: the CBOW
 * hidden layer. The sum of each block stays in a register instead of going
 * through out once per row. */
static inline void w2vm_sum_rows(float *const *rows, int n_rows, float *out, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 acc = _mm256_loadu_ps(rows[0] + i);
        for (int r = 1; r < n_rows; r++) acc = _mm256_add_ps(acc, _mm256_loadu_ps(rows[r] + i));
        _mm256_storeu_ps(out + i, acc);
    }
    for (; i < n; i++) {
        float acc = rows[0][i];
        for (int r = 1; r < n_rows; r++) acc += rows[r][i];
        out[i] = acc;
    }
}

/* Nested scores of four rows at once:
 * scores[r * row_stride + j * level_stride] = a[:ends[j]] . rows[r][:ends[j]].
 * Each row keeps one running accumulator across the segments, and the four are
 * reduced together at each segment end (three hadds instead of four separate
 * horizontal sums). */
static inline void w2vm_nested_dot4(const float *a, float *const *rows, const int *ends,
                                    int n_levels, float *scores, int row_stride,
                                    int level_stride) {
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    __m128 tails = _mm_setzero_ps();
    int start = 0;
    for (int j = 0; j < n_levels; j++) {
        int i = start, end = ends[j];
        for (; i + 8 <= end; i += 8) {
            __m256 x = _mm256_loadu_ps(a + i);
            acc0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r0 + i), acc0);
            acc1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r1 + i), acc1);
            acc2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r2 + i), acc2);
            acc3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(r3 + i), acc3);
        }
        for (; i < end; i++)
            tails = _mm_fmadd_ps(_mm_set1_ps(a[i]), _mm_setr_ps(r0[i], r1[i], r2[i], r3[i]), tails);
        __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(acc0, acc1), _mm256_hadd_ps(acc2, acc3));
        __m128 sums = _mm_add_ps(_mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)),
                                 tails);
        float out[4];
        _mm_storeu_ps(out, sums);
        float *level = scores + j * level_stride;
        level[0] = out[0];
        level[row_stride] = out[1];
        level[2 * row_stride] = out[2];
        level[3 * row_stride] = out[3];
        start = end;
    }
}

/* Per-segment gradients of rows [0, n), level-major (row p, level j at
 * [j * stride + p]; stride a multiple of 8, padding included in the arrays):
 * grads[j] = sum over levels k >= j whose score is inside (-max_exp, max_exp) of
 * weights[k] * (labels[p] - sigmoid(score)) * alpha, the sigmoid read from the
 * kernels' table as table_sigmoid does. Eight rows per vector, a gather for
 * the table. */
static inline void w2vm_level_gradients(const float *scores, int stride, const float *labels,
                                        int n, const float *weights, int n_levels, float alpha,
                                        const float *exp_table, float max_exp, float table_scale,
                                        int table_size, float *grads) {
    const __m256 lo = _mm256_set1_ps(-max_exp), hi = _mm256_set1_ps(max_exp);
    const __m256 scale = _mm256_set1_ps(table_scale), rate = _mm256_set1_ps(alpha);
    const __m256i last = _mm256_set1_epi32(table_size - 1), zero = _mm256_setzero_si256();
    for (int p = 0; p < n; p += 8) {
        __m256 label = _mm256_loadu_ps(labels + p), total = _mm256_setzero_ps();
        for (int j = n_levels - 1; j >= 0; j--) {
            __m256 x = _mm256_loadu_ps(scores + j * stride + p);
            __m256 inside = _mm256_and_ps(_mm256_cmp_ps(x, lo, _CMP_GT_OQ),
                                          _mm256_cmp_ps(x, hi, _CMP_LT_OQ));
            /* clamped so that lanes outside the range (and NaN) still read the table */
            __m256i index = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_add_ps(x, hi), scale));
            index = _mm256_min_epi32(_mm256_max_epi32(index, zero), last);
            __m256 sigmoid = _mm256_i32gather_ps(exp_table, index, 4);
            __m256 step = _mm256_mul_ps(_mm256_set1_ps(weights[j]), _mm256_sub_ps(label, sigmoid));
            total = _mm256_fmadd_ps(_mm256_and_ps(step, inside), rate, total);
            _mm256_storeu_ps(grads + j * stride + p, total);
        }
    }
}

/* One 8-float block of one row of w2vm_path_update: returns e + g * row (the
 * row before its update) and stores row + g * h. */
static inline __m256 w2vm_row_step(__m256 g, __m256 h, float *row, __m256 e) {
    __m256 o = _mm256_loadu_ps(row);
    _mm256_storeu_ps(row, _mm256_fmadd_ps(g, h, o));
    return _mm256_fmadd_ps(g, o, e);
}

/* The updates of a row set (a Huffman path, or a target and its negatives) on
 * [start, end): for every row p, err += g[p] * rows[p] (rows before their
 * update) and rows[p] += g[p] * hidden, with g[p] = grads[p * grads_stride].
 * Rows go four at a time with their gradients in registers, and err and
 * hidden are loaded once per 8-float block and four rows. Per element the
 * operations and their order are those of w2vm_pair_update row after row, so
 * the result is the same bit for bit. */
static inline void w2vm_path_update(const float *grads, int grads_stride, float *const *rows,
                                    int n_rows, const float *hidden, float *err,
                                    int start, int end) {
    int p = 0;
    for (; p + 4 <= n_rows; p += 4) {
        float *r0 = rows[p], *r1 = rows[p + 1], *r2 = rows[p + 2], *r3 = rows[p + 3];
        float s0 = grads[p * grads_stride], s1 = grads[(p + 1) * grads_stride];
        float s2 = grads[(p + 2) * grads_stride], s3 = grads[(p + 3) * grads_stride];
        __m256 g0 = _mm256_set1_ps(s0), g1 = _mm256_set1_ps(s1);
        __m256 g2 = _mm256_set1_ps(s2), g3 = _mm256_set1_ps(s3);
        int i = start;
        for (; i + 8 <= end; i += 8) {
            __m256 e = _mm256_loadu_ps(err + i), h = _mm256_loadu_ps(hidden + i);
            e = w2vm_row_step(g0, h, r0 + i, e);
            e = w2vm_row_step(g1, h, r1 + i, e);
            e = w2vm_row_step(g2, h, r2 + i, e);
            e = w2vm_row_step(g3, h, r3 + i, e);
            _mm256_storeu_ps(err + i, e);
        }
        for (; i < end; i++) {
            /* locals, not err[i]: through memory each row would wait for the
             * previous row's store */
            float e = err[i], h = hidden[i], o;
            o = r0[i]; e += s0 * o; r0[i] = o + s0 * h;
            o = r1[i]; e += s1 * o; r1[i] = o + s1 * h;
            o = r2[i]; e += s2 * o; r2[i] = o + s2 * h;
            o = r3[i]; e += s3 * o; r3[i] = o + s3 * h;
            err[i] = e;
        }
    }
    for (; p < n_rows; p++)
        w2vm_pair_update(grads[p * grads_stride], hidden + start, rows[p] + start, err + start,
                         end - start);
}

static inline void w2vm_scale(float alpha, float *x, int n) {
    __m256 g = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(g, _mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] *= alpha;
}

#else  /* baseline: let the compiler vectorise */

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

static inline void w2vm_nested_dot(const float *a, const float *b, const int *ends, int n_levels,
                                   float *scores);

/* out = rows[0] + rows[1] + ... (n_rows >= 1), added in that order. */
static inline void w2vm_sum_rows(float *const *rows, int n_rows, float *out, int n) {
    for (int i = 0; i < n; i++) out[i] = rows[0][i];
    for (int r = 1; r < n_rows; r++) {
        const float *row = rows[r];
        W2VM_SIMD
        for (int i = 0; i < n; i++) out[i] += row[i];
    }
}

/* See the AVX2 version: four rows' nested scores (here one row after another). */
static inline void w2vm_nested_dot4(const float *a, float *const *rows, const int *ends,
                                    int n_levels, float *scores, int row_stride,
                                    int level_stride) {
    float one[32];  /* MAX_LEVELS: the Trainer refuses more levels */
    for (int r = 0; r < 4; r++) {
        w2vm_nested_dot(a, rows[r], ends, n_levels, one);
        for (int j = 0; j < n_levels; j++) scores[r * row_stride + j * level_stride] = one[j];
    }
}

/* See the AVX2 version: the gradients of rows [0, n), one row after another. */
static inline void w2vm_level_gradients(const float *scores, int stride, const float *labels,
                                        int n, const float *weights, int n_levels, float alpha,
                                        const float *exp_table, float max_exp, float table_scale,
                                        int table_size, float *grads) {
    (void)table_size;
    for (int p = 0; p < n; p++) {
        float total = 0.0f;
        for (int j = n_levels - 1; j >= 0; j--) {
            float x = scores[j * stride + p];
            if (-max_exp < x && x < max_exp) {
                float sigmoid = exp_table[(int)((x + max_exp) * table_scale)];
                total = total + weights[j] * (labels[p] - sigmoid) * alpha;
            }
            grads[j * stride + p] = total;
        }
    }
}

/* See the AVX2 version: the row set's updates on [start, end), row after row,
 * the same operations in the same order as w2vm_pair_update. */
static inline void w2vm_path_update(const float *grads, int grads_stride, float *const *rows,
                                    int n_rows, const float *hidden, float *err,
                                    int start, int end) {
    for (int p = 0; p < n_rows; p++) {
        float g = grads[p * grads_stride];
        float *out = rows[p];
        W2VM_SIMD
        for (int i = start; i < end; i++) {
            float o = out[i];
            err[i] += g * o;
            out[i] = o + g * hidden[i];
        }
    }
}

static inline void w2vm_scale(float alpha, float *x, int n) {
    W2VM_SIMD
    for (int i = 0; i < n; i++) x[i] *= alpha;
}

#endif

/* Matryoshka levels (ends[] strictly increasing, the last one the row size):
 * scores[j] = a[:ends[j]] . b[:ends[j]], as running sums of segment dots. */
static inline void w2vm_nested_dot(const float *a, const float *b, const int *ends, int n_levels,
                                   float *scores) {
    float total = 0.0f;
    int start = 0;
    for (int j = 0; j < n_levels; j++) {
        total += w2vm_dot(a + start, b + start, ends[j] - start);
        scores[j] = total;
        start = ends[j];
    }
}

/* w2vm_pair_update with gradient grads[j] on segment j of the row. */
static inline void w2vm_nested_pair_update(const float *grads, const int *ends, int n_levels,
                                           const float *hidden, float *out, float *err) {
    int start = 0;
    for (int j = 0; j < n_levels; j++) {
        w2vm_pair_update(grads[j], hidden + start, out + start, err + start, ends[j] - start);
        start = ends[j];
    }
}

/* y1 += grads . x1 and y2 += grads . x2, gradient grads[j] on segment j. */
static inline void w2vm_nested_axpy2(const float *grads, const int *ends, int n_levels,
                                     const float *x1, float *y1, const float *x2, float *y2) {
    int start = 0;
    for (int j = 0; j < n_levels; j++) {
        w2vm_axpy(grads[j], x1 + start, y1 + start, ends[j] - start);
        w2vm_axpy(grads[j], x2 + start, y2 + start, ends[j] - start);
        start = ends[j];
    }
}

/* Ask for one cache line ahead of use. */
static inline void w2vm_prefetch(const void *p) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p, 0, 3);
#else
    (void)p;
#endif
}

/* Ask for a row's cache lines ahead of use: output rows of negative samples
 * are random and mostly not in cache. */
static inline void w2vm_prefetch_row(const float *row, int n) {
#if defined(__GNUC__) || defined(__clang__)
    const char *p = (const char *)row;
    for (int i = 0; i < n * (int)sizeof(float); i += 64) __builtin_prefetch(p + i, 1, 3);
#else
    (void)row; (void)n;
#endif
}

#endif
