# BLAS level-1 routines from scipy.linalg.cython_blas, in one place.
# The training loops use them only when asked (vector_ops="blas"): at
# word2vec's sizes the call costs more than plain loops (benchmarks/README.md).
from scipy.linalg.cython_blas cimport saxpy, sdot


cdef inline float blas_dot(int n, const float *x, const float *y) noexcept nogil:
    cdef int one = 1
    return sdot(&n, <float *>x, &one, <float *>y, &one)


cdef inline void blas_axpy(int n, float alpha, const float *x, float *y) noexcept nogil:
    cdef int one = 1
    saxpy(&n, &alpha, <float *>x, &one, y, &one)
