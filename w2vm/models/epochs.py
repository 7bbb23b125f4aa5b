"""One epoch of training, from an iterable or natively from a corpus file.

Both runners yield a :class:`StepResult` after each call into native code, so
``Word2Vec.train`` reports progress the same way for both. The learning rate
falls linearly with the raw words processed over the whole ``train`` call,
and each unit of parallel work draws its random numbers from a stream seeded
by ``(seed, epoch, unit)``: with ``workers=1`` the result is bit-reproducible.
"""
import collections
import functools
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
class Progress:
    """Training threads have finished ``raw_words`` raw words of the epoch so far (a running count)."""
    raw_words: int


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
                   words_before, schedule, table=None, tick=None):
    """Train one pass over a restartable iterable of token lists.

    This thread builds the chunks and puts them in a native ``ChunkQueue``;
    the training threads take their jobs from it without ever needing the
    GIL (see _chunk_queue.pxi). Yields a :class:`StepResult` per finished
    chunk and, with ``tick`` (seconds), a :class:`Progress` that often while
    this thread waits for the training threads.
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
    queued = collections.deque()  # (chunk, words done after it, effective, losses)
    reported = 0

    def report_finished():
        nonlocal reported
        while reported < chunk_queue.finished:
            chunk, words_done, effective, losses = queued.popleft()
            reported += 1
            # the rate the schedule has reached after this chunk, as the file runner and gensim report it
            yield StepResult(chunk.n_examples, int(chunk.job_raw_words.sum()), int(effective.sum()),
                             losses.sum(axis=0), float(schedule.alpha(words_done)))

    def wait_until(ready):
        # the jobs finished so far, every `tick` seconds, until ready(timeout) says done
        while not ready(tick):
            yield from report_finished()
            yield Progress(chunk_queue.raw_words_trained)

    done = words_before
    finished = False
    try:
        for index, chunk in enumerate(chunks):
            starts = done + np.concatenate([[0], np.cumsum(chunk.job_raw_words)[:-1]])
            job_alpha = schedule.alpha(starts)
            job_seed = np.random.SeedSequence([seed, epoch, index]).generate_state(
                max(chunk.n_jobs, 1), dtype=np.uint64)[:chunk.n_jobs]
            if tick is not None:
                yield from wait_until(chunk_queue.wait_for_room)
            effective, losses = chunk_queue.put(chunk.words, chunk.sentence_offsets,
                                                chunk.job_starts, job_alpha,
                                                np.ascontiguousarray(job_seed),
                                                job_raw_words=chunk.job_raw_words)
            done += int(chunk.job_raw_words.sum())
            queued.append((chunk, done, effective, losses))
            yield from report_finished()
        chunk_queue.close()
        if tick is not None:
            yield from wait_until(chunk_queue.wait)
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


def file_epoch(trainer, corpus, lookup, *, workers, seed, epoch, words_before, schedule, tick=None):
    """Train one pass over an :class:`IndexedCorpusFile`, reading it in native code.

    Yields a :class:`StepResult` per native call and, with ``tick`` (seconds),
    a :class:`Progress` that often while a call runs (in a helper thread).
    """
    n = corpus.n_chunks
    seeds = np.random.SeedSequence([seed, epoch, _FILE_STREAM]).generate_state(max(n, 1), dtype=np.uint64)
    per_call = FILE_CHUNKS_PER_CALL_PER_WORKER * workers
    done = words_before
    for first in range(0, n, per_call):
        last = min(first + per_call, n)
        # each chunk's raw words are stored here as soon as it is trained
        raw_out = np.zeros(last - first, dtype=np.int64)
        call = functools.partial(
            native.train_file_chunks, trainer, lookup, corpus.path,
            np.ascontiguousarray(corpus.starts[first:last + 1]),
            np.ascontiguousarray(corpus.raw_words[first:last]),
            np.ascontiguousarray(seeds[first:last]), done, schedule.total_words,
            schedule.start_alpha, schedule.end_alpha, corpus.max_sentence_length, workers,
            raw_out=raw_out)
        if tick is None:
            effective, raw, sentences, losses = call()
        else:
            before = done - words_before
            # a running sum of int64s written by the training threads: each is read whole
            effective, raw, sentences, losses = yield from _run_with_ticks(
                call, tick, lambda: Progress(before + int(raw_out.sum())))
        expected = corpus.raw_words[first:last]
        if not np.array_equal(raw, expected):
            raise ValueError(f"corpus file {corpus.path!r} changed while training "
                             f"(read {int(raw.sum())} words where {int(expected.sum())} were indexed)")
        done += int(raw.sum())
        yield StepResult(int(sentences.sum()), int(raw.sum()), int(effective.sum()),
                         losses.sum(axis=0), float(schedule.alpha(done)))


def _run_with_ticks(call, tick, progress):
    """Run ``call()`` (native, GIL released) in a helper thread; yield ``progress()`` every
    ``tick`` seconds until it returns, then return its result. If the consumer stops
    early, the call still runs to its end before the error goes on: it cannot be
    interrupted, and nothing may train on after ``train`` has returned."""
    outcome = {}
    finished = threading.Event()

    def run():
        try:
            outcome["result"] = call()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            finished.set()

    thread = threading.Thread(target=run, name="w2vm-file-trainer", daemon=True)
    thread.start()
    try:
        while not finished.wait(tick):
            yield progress()
    finally:
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
