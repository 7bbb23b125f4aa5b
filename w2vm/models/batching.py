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
from w2vm.models.vocab import check_sentence, check_tokens


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
    # ids are written straight into the chunk's array by native code; a chunk
    # never holds more than jobs_per_chunk * batch_words of them, but the
    # sentence being looked up may run past that before it is cut into jobs
    capacity = jobs_per_chunk * batch_words
    words = np.empty(capacity, dtype=np.uint32)
    used = 0  # ids in words that belong to this chunk
    offsets, job_starts, job_raw = [0], [0], []
    job_words = 0
    job_raw_words = 0
    n_examples = 0

    def close_job():
        nonlocal job_words, job_raw_words
        job_starts.append(len(offsets) - 1)
        job_raw.append(job_raw_words)
        job_words = 0
        job_raw_words = 0

    def take_chunk(keep_from, keep_to):
        """Hand out the chunk's first ``keep_from`` ids; ``[keep_from, keep_to)`` start the next."""
        nonlocal words, offsets, job_starts, job_raw, n_examples
        chunk = Chunk(
            words=words[:keep_from],
            sentence_offsets=np.array(offsets, dtype=np.int64),
            job_starts=np.array(job_starts, dtype=np.int64),
            job_raw_words=np.array(job_raw, dtype=np.int64),
            n_examples=n_examples,
        )
        carried = words[keep_from:keep_to]
        words = np.empty(max(capacity, len(carried)), dtype=np.uint32)
        words[:len(carried)] = carried
        offsets, job_starts, job_raw, n_examples = [0], [0], [], 0
        return chunk

    for sentence in corpus_iterable:
        sentence = check_sentence(sentence)
        if used + len(sentence) > len(words):
            grown = np.empty(used + len(sentence), dtype=np.uint32)
            grown[:used] = words[:used]
            words = grown
        try:
            end = native.lookup_ids(sentence, key_to_index, words, used, table)
        except TypeError:
            check_tokens(sentence)
            raise
        job_raw_words += len(sentence)
        n_examples += 1
        start = used
        while start < end:
            piece_end = min(start + batch_words, end)
            if job_words + (piece_end - start) > batch_words and job_words > 0:
                close_job()
                if len(job_starts) - 1 >= jobs_per_chunk:
                    # the chunk's raw-word tally stays with the job that holds the sentence
                    yield take_chunk(start, end)
                    end -= start
                    piece_end -= start
                    start = 0
            offsets.append(piece_end)
            job_words += piece_end - start
            start = piece_end
        used = end
    if job_words > 0 or job_raw_words > 0:
        close_job()
    if len(job_starts) > 1 or n_examples:
        if len(job_starts) == 1:
            # raw words of sentences with no known word still count as progress
            close_job()
        yield take_chunk(used, used)
