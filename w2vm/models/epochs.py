"""One epoch of training, from an iterable or natively from a corpus file.

Both runners yield a :class:`StepResult` after each call into native code, so
``Word2Vec.train`` reports progress the same way for both. The learning rate
falls linearly with the raw words processed over the whole ``train`` call,
and each unit of parallel work draws its random numbers from a stream seeded
by ``(seed, epoch, unit)``: with ``workers=1`` the result is bit-reproducible.
"""
import os
from dataclasses import dataclass

import numpy as np

from w2vm.models._native import native
from w2vm.models.batching import iter_chunks, prefetch

# Every call into native code costs a round trip through Python and ends at a
# barrier, where the threads that have run out of jobs wait (spinning, which
# takes CPU from the Python thread that builds the next chunk) for the last
# job. 8 jobs per thread per call make both a small share: 4 cost iterable
# training 5-9 %, and 16 gained nothing more while doubling the memory of the
# chunks in flight (benchmarks/README.md). Fewer jobs are taken when a chunk
# would pass MAX_CHUNK_WORDS words (a large batch_words), so the few chunks
# in flight stay small next to the model.
JOBS_PER_CALL_PER_WORKER = 8
MAX_CHUNK_WORDS = 1 << 22
FILE_CHUNKS_PER_CALL_PER_WORKER = 8
# stream ids that keep the two corpus modes' random streams apart
_FILE_STREAM = 0x66696C65


@dataclass
class Schedule:
    """The learning-rate schedule of one ``train`` call."""
    start_alpha: float
    end_alpha: float
    total_words: float  # epochs * words per epoch

    def alpha(self, words_done):
        fraction = np.minimum(np.asarray(words_done, dtype=np.float64) / self.total_words, 1.0)
        return (self.start_alpha - (self.start_alpha - self.end_alpha) * fraction).astype(np.float32)


@dataclass
class StepResult:
    examples: int
    raw_words: int
    effective_words: int
    loss: np.ndarray  # per level
    alpha: float      # the learning rate reached


def jobs_per_chunk(batch_words, workers):
    """Jobs per native call: JOBS_PER_CALL_PER_WORKER per worker, fewer if their words would pass
    MAX_CHUNK_WORDS, but one per worker at least."""
    return max(workers, min(JOBS_PER_CALL_PER_WORKER * workers, MAX_CHUNK_WORDS // max(batch_words, 1)))


def iterable_epoch(trainer, corpus, key_to_index, *, batch_words, workers, seed, epoch,
                   words_before, schedule, table=None):
    """Train one pass over a restartable iterable of token lists."""
    chunks = iter_chunks(corpus, key_to_index, batch_words, jobs_per_chunk(batch_words, workers),
                         table)
    done = words_before
    for index, chunk in enumerate(prefetch(chunks)):
        starts = done + np.concatenate([[0], np.cumsum(chunk.job_raw_words)[:-1]])
        job_alpha = schedule.alpha(starts)
        job_seed = np.random.SeedSequence([seed, epoch, index]).generate_state(
            max(chunk.n_jobs, 1), dtype=np.uint64)[:chunk.n_jobs]
        effective, losses = trainer.train_chunk(
            chunk.words, chunk.sentence_offsets, chunk.job_starts, job_alpha,
            np.ascontiguousarray(job_seed), workers)
        raw = int(chunk.job_raw_words.sum())
        done += raw
        yield StepResult(chunk.n_examples, raw, int(effective.sum()), losses.sum(axis=0),
                         float(job_alpha[-1]) if chunk.n_jobs else float(schedule.alpha(done)))


def native_corpus_file(path):
    """Whether ``path`` can be read by the native reader (an uncompressed regular file)."""
    path = os.fspath(path)
    return os.path.isfile(path) and not path.endswith((".gz", ".bz2"))


class IndexedCorpusFile:
    """A plain-text corpus file cut into line-aligned chunks with exact word counts.

    The chunk size depends on the file size only (not on ``workers``), so the
    random streams, and with ``workers=1`` the result, depend on the seed alone.
    """

    def __init__(self, path, max_sentence_length=10000):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"corpus file {self.path!r} does not exist")
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"corpus_file {self.path!r} is a directory")
        size = os.path.getsize(self.path)
        self.chunk_bytes = int(min(max(size // 256, 1 << 16), 1 << 20))
        self.starts, self.raw_words = native.index_file(self.path, self.chunk_bytes)
        self.max_sentence_length = max_sentence_length
        self.total_words = int(self.raw_words.sum())

    @property
    def n_chunks(self):
        return len(self.raw_words)


def file_epoch(trainer, corpus, lookup, *, workers, seed, epoch, words_before, schedule):
    """Train one pass over an :class:`IndexedCorpusFile`, reading it in native code."""
    n = corpus.n_chunks
    seeds = np.random.SeedSequence([seed, epoch, _FILE_STREAM]).generate_state(max(n, 1), dtype=np.uint64)
    per_call = FILE_CHUNKS_PER_CALL_PER_WORKER * workers
    done = words_before
    for first in range(0, n, per_call):
        last = min(first + per_call, n)
        effective, raw, sentences, losses = native.train_file_chunks(
            trainer, lookup, corpus.path, np.ascontiguousarray(corpus.starts[first:last + 1]),
            np.ascontiguousarray(corpus.raw_words[first:last]),
            np.ascontiguousarray(seeds[first:last]), done, schedule.total_words,
            schedule.start_alpha, schedule.end_alpha, corpus.max_sentence_length, workers)
        expected = corpus.raw_words[first:last]
        if not np.array_equal(raw, expected):
            raise ValueError(f"corpus file {corpus.path!r} changed while training "
                             f"(read {int(raw.sum())} words where {int(expected.sum())} were indexed)")
        done += int(raw.sum())
        yield StepResult(int(sentences.sum()), int(raw.sum()), int(effective.sum()),
                         losses.sum(axis=0), float(schedule.alpha(done)))
