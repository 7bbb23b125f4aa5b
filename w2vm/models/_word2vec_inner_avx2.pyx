# cython: language_level=3
# The AVX2 + FMA build of _word2vec_inner (see its docstring): the same source,
# compiled with -mavx2 -mfma and imported only on CPUs that have both.
include "_word2vec_kernels.pxi"
include "_corpusfile.pxi"
include "_batching.pxi"
include "_chunk_queue.pxi"
