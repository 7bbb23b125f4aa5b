"""One epoch of training, from an iterable or natively from a corpus file.

Both runners yield a :class:`StepResult` after each call into native code, so
``Word2Vec.train`` reports progress the same way for both. The learning rate
falls linearly with the raw words processed over the whole ``train`` call,
and each unit of parallel work draws its random numbers from a stream seeded
by ``(seed, epoch, unit)``: with ``workers=1`` the result is bit-reproducible.
"""
import collections
import os
import threading
from dataclasses import dataclass

import numpy as np

from w2vm.io.compression import is_compressed
from w2vm.io.text import error_at_offset
from w2vm.models._native import native
from w2vm.models.batching import iter_chunks

# Jobs per chunk of the iterable path. Each chunk costs a round trip through
# Python (checks, a random seed per job, a progress step); the training threads
# go from one chunk's jobs to the next without waiting for each other. With
# the chunk queue, 2 to 16 jobs per worker gave the same speed; 8 keeps the
# round trips rare. Fewer jobs are taken when a chunk would pass
# MAX_CHUNK_WORDS words (a large batch_words), so the few chunks in flight
# stay small next to the model.
JOBS_PER_CHUNK_PER_WORKER = 8
MAX_CHUNK_WORDS = 1 << 22
# chunks queued or in training at once: the training threads find the next
# chunk's jobs ready when the batcher falls behind for a moment
QUEUED_CHUNKS = 3
# corpus-file chunks per native call; each call ends at a barrier where the
# threads that have run out of chunks wait for the last one
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
    """Jobs per chunk: JOBS_PER_CHUNK_PER_WORKER per worker, fewer if their words would pass
    MAX_CHUNK_WORDS, but one per worker at least."""
    return max(workers, min(JOBS_PER_CHUNK_PER_WORKER * workers, MAX_CHUNK_WORDS // max(batch_words, 1)))


def iterable_epoch(trainer, corpus, key_to_index, *, batch_words, workers, seed, epoch,
                   words_before, schedule, table=None):
    """Train one pass over a restartable iterable of token lists.

    This thread builds the chunks and puts them in a native ``ChunkQueue``;
    the training threads take their jobs from it without ever needing the
    GIL (see _chunk_queue.pxi).
    """
    chunks = iter_chunks(corpus, key_to_index, batch_words, jobs_per_chunk(batch_words, workers),
                         table)
    chunk_queue = trainer.chunk_queue(workers, QUEUED_CHUNKS, max_sentence_words=batch_words)
    failure = []

    def train():
        try:
            chunk_queue.run()
        except BaseException as exc:  # put() and wait() raise it again in this thread
            failure.append(exc)

    thread = threading.Thread(target=train, name="w2vm-trainer", daemon=True)
    thread.start()
    queued = collections.deque()  # (chunk, job_alpha, words done after it, effective, losses)
    reported = 0

    def report_finished():
        nonlocal reported
        while reported < chunk_queue.finished:
            chunk, job_alpha, words_done, effective, losses = queued.popleft()
            reported += 1
            yield StepResult(chunk.n_examples, int(chunk.job_raw_words.sum()), int(effective.sum()),
                             losses.sum(axis=0), float(job_alpha[-1]) if chunk.n_jobs
                             else float(schedule.alpha(words_done)))

    done = words_before
    finished = False
    try:
        for index, chunk in enumerate(chunks):
            starts = done + np.concatenate([[0], np.cumsum(chunk.job_raw_words)[:-1]])
            job_alpha = schedule.alpha(starts)
            job_seed = np.random.SeedSequence([seed, epoch, index]).generate_state(
                max(chunk.n_jobs, 1), dtype=np.uint64)[:chunk.n_jobs]
            effective, losses = chunk_queue.put(chunk.words, chunk.sentence_offsets,
                                                chunk.job_starts, job_alpha,
                                                np.ascontiguousarray(job_seed))
            done += int(chunk.job_raw_words.sum())
            queued.append((chunk, job_alpha, done, effective, losses))
            yield from report_finished()
        chunk_queue.close()
        chunk_queue.wait()
        finished = True
        yield from report_finished()
    finally:
        if not finished:
            chunk_queue.abort()  # an error or an early stop: drop what is queued
        thread.join()
    if failure:
        raise failure[0]


def native_corpus_file(path):
    """Whether ``path`` can be read by the native reader (an uncompressed regular file)."""
    path = os.fspath(path)
    return os.path.isfile(path) and not is_compressed(path)


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
        try:
            self.starts, self.raw_words = native.index_file(self.path, self.chunk_bytes)
        except native.InvalidUtf8 as exc:  # the native reader gives the byte; this adds the line and cause
            raise error_at_offset(self.path, exc.offset) from None
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
