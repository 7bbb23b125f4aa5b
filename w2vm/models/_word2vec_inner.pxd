# Declarations shared by the training kernels (_word2vec_inner.pyx) and the
# corpus-file reader (_word2vec_corpusfile.pyx).
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

cdef enum:
    MAX_LEVELS = 32


ctypedef struct TrainConfig:
    int sg
    int hs
    int negative
    int cbow_mean
    int window
    int shrink_windows
    int compute_loss
    int do_sample
    int size
    int n_levels
    int level_ends[MAX_LEVELS]
    float level_weights[MAX_LEVELS]
    uint32_t vocab_size
    float *syn0
    float *syn1neg
    float *syn1
    const uint32_t *sample_ints
    const uint32_t *alias_prob
    const uint32_t *alias_index
    const uint32_t *hs_points
    const uint8_t *hs_codes
    const int64_t *hs_offsets


ctypedef struct Scratch:
    float *hidden        # CBOW: mean/sum of the context rows
    float *error         # gradient accumulated for the input row(s)
    uint32_t *sentence   # the sentence after subsampling
    double loss[MAX_LEVELS]
    uint64_t rng


cdef class Trainer:
    cdef TrainConfig cfg
    cdef object _keep
    cdef readonly int n_levels


cdef Scratch *new_scratch(int size, int64_t max_sentence_length) noexcept nogil
cdef void free_scratch(Scratch *s) noexcept nogil
cdef int64_t train_sentence(const TrainConfig *c, Scratch *s, const uint32_t *words,
                            int64_t length, float alpha) noexcept nogil
