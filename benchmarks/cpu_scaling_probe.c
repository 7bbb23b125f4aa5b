/* Does this machine scale compute across its cores?
 *
 *     gcc -O2 -mavx2 -mfma -fopenmp benchmarks/cpu_scaling_probe.c -o /tmp/probe && /tmp/probe 400000000
 *
 * Every thread gets the same fixed work, so perfect scaling prints the same time
 * for 1 and 2 threads. benchmarks/README.md ("Thread scaling") uses it to tell
 * cores that share execution units apart from contention on shared rows. */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <immintrin.h>
/* compute-bound: independent FMA chains in registers, per thread */
static double compute(long iters) {
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6=a0, a7=a0;
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
    }
    float out[8]; _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a0,a1),_mm256_add_ps(_mm256_add_ps(a2,a3),_mm256_add_ps(_mm256_add_ps(a4,a5),_mm256_add_ps(a6,a7)))));
    return out[0];
}
/* cache-resident: dot+axpy on a private 100-float pair of rows, like the kernels' hot loop */
static double l1work(long iters) {
    float x[128], y[128]; for (int i = 0; i < 128; i++) { x[i] = 0.001f * i; y[i] = 0.0f; }
    float s = 0;
    for (long it = 0; it < iters; it++) {
        float d = 0; for (int i = 0; i < 100; i++) d += x[i] * y[i];
        float g = 1e-6f * (d > 0 ? 1 : -1);
        for (int i = 0; i < 100; i++) y[i] += g * x[i];
        s += d;
    }
    return s;
}
int main(int argc, char **argv) {
    long n = atol(argv[1]);
    for (int kind = 0; kind < 2; kind++) for (int nt = 1; nt <= 2; nt++) {
        double t = omp_get_wtime(); double sink = 0;
        #pragma omp parallel num_threads(nt) reduction(+:sink)
        { sink += kind == 0 ? compute(n) : l1work(n / 20); }
        double dt = omp_get_wtime() - t;
        printf("%s threads=%d  %.3f s  (work per thread fixed; ideal: same time) sink=%g\n",
               kind == 0 ? "fma-in-registers" : "dot+axpy-in-L1", nt, dt, sink);
    }
    return 0;
}
