# cython: language_level=3
"""Native word2vec kernels (baseline build).

The code lives in include files (kernels, the corpus-file reader, the
iterable batcher's token lookup, the chunk queue) so that the same source
is compiled twice: ``_word2vec_inner`` for the architecture's baseline instruction set, and on
x86-64 ``_word2vec_inner_avx2`` with AVX2 and FMA. ``w2vm.models._native`` picks
the best one the CPU supports at import time (no ``-march=native``).
"""
include "_word2vec_kernels.pxi"
include "_corpusfile.pxi"
include "_batching.pxi"
include "_chunk_queue.pxi"
