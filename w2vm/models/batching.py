"""Turning a stream of token lists into CSR chunks for the training kernels.

A *chunk* is what Python hands to native code at once: a flat ``uint32`` array of
word ids, ``int64`` sentence offsets, and the sentence boundaries of its
*jobs* (about ``batch_words`` words each, the unit of parallel work). The
Python thread builds the next chunks under the GIL while the training threads
train the queued ones without it (``epochs.iterable_epoch``), so the cores stay
busy; the queue between them is short, so memory stays bounded however large
the corpus.
"""
from dataclasses import dataclass

import numpy as np

from w2vm.models._native import native


@dataclass
class Chunk:
    words: np.ndarray          # uint32 ids of in-vocabulary tokens
    sentence_offsets: np.ndarray  # int64, len = n_sentences + 1
    job_starts: np.ndarray     # int64 sentence index where each job starts, len = n_jobs + 1
    job_raw_words: np.ndarray  # int64 raw tokens (out-of-vocabulary included) per job
    n_examples: int            # input sentences whose last piece is in this chunk

    @property
    def n_jobs(self):
        return len(self.job_starts) - 1


def iter_chunks(corpus_iterable, key_to_index, batch_words, jobs_per_chunk, table=None):
    """Yield :class:`Chunk` objects covering ``corpus_iterable`` once.

    Sentences longer than ``batch_words`` in-vocabulary words are split into
    pieces of at most ``batch_words`` (never truncated). A job holds whole
    sentences (or pieces) up to ``batch_words`` words. ``table`` (optional)
    is ``native.ByteVocab.from_keys`` of the vocabulary, a faster lookup for
    ``str`` tokens (see ``native.lookup_ids``).
    """
    if table is not None and len(table) != len(key_to_index):
        raise ValueError(f"the lookup table has {len(table)} keys, the vocabulary {len(key_to_index)}")
    for words, offsets, job_starts, job_raw_words, n_examples in native.build_chunks(
            corpus_iterable, key_to_index, batch_words, jobs_per_chunk, table):
        yield Chunk(words, offsets, job_starts, job_raw_words, n_examples)
