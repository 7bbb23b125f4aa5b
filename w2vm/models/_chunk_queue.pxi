# A queue of chunks between the Python thread that builds them and training
# threads that never take the GIL.
#
# With a Python queue the training thread needed the GIL after every chunk, to
# return its results and take the next chunk. The batcher holds the GIL while
# it runs Python code (the user's iterable, the lookups) and hands it over
# only every ``sys.getswitchinterval()`` (5 ms), so the training threads sat
# idle for that long about a hundred times an epoch. And each chunk ended at a
# barrier, where the thread done first waited for the other's last job.
# Here the training threads stay in one parallel region for the whole epoch
# and take job after job across chunks; they wait on locks of CPython's thread
# API, which work without the GIL, and read the chunks through pointers while
# the Python side keeps the arrays alive.

from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport (
    PY_LOCK_ACQUIRED, WAIT_LOCK, PyLockStatus, PyThread_acquire_lock, PyThread_allocate_lock,
    PyThread_free_lock, PyThread_release_lock, PyThread_type_lock,
)
from cython.parallel cimport parallel, threadid

import time

cdef extern from "pythread.h":
    PyLockStatus PyThread_acquire_lock_timed(PyThread_type_lock lock, long long microseconds,
                                             int intr_flag) nogil

cdef enum:
    QUEUE_SLOTS = 8  # the most chunks a queue holds (queued or in training)
# how often a Python thread waiting for room looks for Ctrl-C
cdef long long _SIGNAL_POLL_US = 50000


cdef struct QueuedChunk:
    const uint32_t *words
    const int64_t *offsets
    const int64_t *job_starts
    const float *job_alpha
    const uint64_t *job_seed
    const int64_t *job_raw_words   # NULL: not counted in raw_words_trained
    Py_ssize_t n_jobs
    Py_ssize_t jobs_done
    int64_t *effective
    double *losses


cdef struct TakenJob:
    QueuedChunk *chunk   # NULL: no more jobs
    Py_ssize_t job


cdef class ChunkQueue:
    """Chunks whose jobs ``workers`` threads train in order, without the GIL.

    One Python thread puts chunks in (:meth:`put` waits while ``capacity``
    chunks are queued or in training) and reads :attr:`finished` for
    progress; another calls :meth:`run`, which returns once the queue is
    closed and empty, or aborted. The threads take the jobs in the order they
    were put (with ``workers=1`` the result depends on the jobs alone, not on
    how they were cut into chunks) and do not wait for each other between
    chunks. :meth:`Trainer.train_chunk` is one chunk through a queue of its
    own. No sentence may be longer than ``max_sentence_words``.
    """
    cdef Trainer trainer
    cdef int workers
    cdef int capacity
    cdef int64_t max_sentence_words
    cdef QueuedChunk slots[QUEUE_SLOTS]
    cdef object kept                  # the arrays behind the slots' pointers
    # under the mutex: chunks put, the next job to hand out, chunks trained
    cdef Py_ssize_t n_put, take_chunk, take_job, n_finished
    # under the mutex: raw words of the jobs trained so far, in whatever order they finished
    cdef int64_t raw_trained
    cdef bint closed, aborted, failed, running
    cdef bint putter_waiting
    cdef bint *trainer_waiting
    cdef PyThread_type_lock mutex
    # wake-up locks, released only to answer a waiter (so never "over-released"):
    cdef PyThread_type_lock *work_ready   # one per training thread
    cdef PyThread_type_lock room_ready    # for the thread in put() or wait()

    def __cinit__(self, Trainer trainer not None, int workers, int capacity=3,
                  max_sentence_words=10000):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not 1 <= capacity <= QUEUE_SLOTS:
            raise ValueError(f"capacity must be between 1 and {QUEUE_SLOTS}, got {capacity}")
        if max_sentence_words < 1:
            raise ValueError(f"max_sentence_words must be >= 1, got {max_sentence_words}")
        self.trainer = trainer
        self.workers = workers
        self.capacity = capacity
        self.max_sentence_words = max_sentence_words
        self.kept = [None] * QUEUE_SLOTS
        self.trainer_waiting = <bint *>calloc(workers, sizeof(bint))
        self.work_ready = <PyThread_type_lock *>calloc(workers, sizeof(PyThread_type_lock))
        if self.trainer_waiting == NULL or self.work_ready == NULL:
            raise MemoryError("could not allocate the chunk queue")
        self.mutex = PyThread_allocate_lock()
        self.room_ready = _taken_lock()
        for t in range(workers):
            self.work_ready[t] = _taken_lock()
            if self.work_ready[t] == NULL:
                break
        if self.mutex == NULL or self.room_ready == NULL or self.work_ready[workers - 1] == NULL:
            raise MemoryError("could not allocate the chunk queue's locks")

    def __dealloc__(self):
        # run() holds a reference to the queue, so no thread is inside it here
        if self.mutex != NULL:
            PyThread_free_lock(self.mutex)
        if self.room_ready != NULL:
            PyThread_free_lock(self.room_ready)
        if self.work_ready != NULL:
            for t in range(self.workers):
                if self.work_ready[t] != NULL:
                    PyThread_free_lock(self.work_ready[t])
            free(self.work_ready)
        free(self.trainer_waiting)

    @property
    def finished(self):
        """How many chunks have been trained (they finish in the order they were put)."""
        cdef Py_ssize_t n
        # under the mutex: on CPUs that reorder memory accesses (ARM), the count
        # must not be seen before the results it counts
        with nogil:
            PyThread_acquire_lock(self.mutex, WAIT_LOCK)
            n = self.n_finished
            PyThread_release_lock(self.mutex)
        return n

    @property
    def raw_words_trained(self):
        """Raw words of the jobs trained so far (given by ``put(job_raw_words=...)``).

        Jobs finish out of order, so this runs ahead of the chunks :attr:`finished`
        counts: it is for progress reports, at most one job per thread behind.
        """
        cdef int64_t n
        with nogil:
            PyThread_acquire_lock(self.mutex, WAIT_LOCK)
            n = self.raw_trained
            PyThread_release_lock(self.mutex)
        return n

    def put(self, const uint32_t[::1] words, const int64_t[::1] sentence_offsets,
            const int64_t[::1] job_starts, const float[::1] job_alpha,
            const uint64_t[::1] job_seed, job_raw_words=None):
        """Queue a chunk; return ``(effective_words[job], loss[job, level])``, filled in
        once :attr:`finished` counts it. ``job_raw_words`` (int64, one per job), when
        given, is added to :attr:`raw_words_trained` job by job."""
        cdef Py_ssize_t n_jobs = job_starts.shape[0] - 1
        cdef int64_t max_len = self.trainer.check_chunk(words, sentence_offsets, job_starts,
                                                        job_alpha, job_seed, self.workers)
        cdef const int64_t[::1] raw_view = None
        if job_raw_words is not None:
            raw_view = _check_1d(job_raw_words, np.int64, n_jobs, "job_raw_words")
        if max_len > self.max_sentence_words:
            raise ValueError(f"a sentence of {max_len} words is longer than the queue's "
                             f"max_sentence_words ({self.max_sentence_words})")
        effective = np.zeros(n_jobs, dtype=np.int64)
        losses = np.zeros((n_jobs, self.trainer.n_levels), dtype=np.float64)
        cdef int64_t[::1] effective_view = effective
        cdef double[:, ::1] loss_view = losses
        self._wait_for(self.capacity - 1)
        if self.closed:
            raise ValueError("the chunk queue is closed")
        # no thread reads this slot: its last chunk is finished (capacity <= QUEUE_SLOTS)
        cdef QueuedChunk *slot = &self.slots[self.n_put % QUEUE_SLOTS]
        # an empty chunk keeps its place in the order but trains nothing
        slot.n_jobs = n_jobs if words.shape[0] else 0
        slot.jobs_done = 0
        if slot.n_jobs:
            slot.words = &words[0]
            slot.offsets = &sentence_offsets[0]
            slot.job_starts = &job_starts[0]
            slot.job_alpha = &job_alpha[0]
            slot.job_seed = &job_seed[0]
            slot.effective = &effective_view[0]
            slot.losses = &loss_view[0, 0]
            slot.job_raw_words = &raw_view[0] if raw_view is not None else NULL
        self.kept[self.n_put % QUEUE_SLOTS] = (words, sentence_offsets, job_starts, job_alpha,
                                              job_seed, effective_view, loss_view, raw_view)
        with nogil:
            PyThread_acquire_lock(self.mutex, WAIT_LOCK)
            self.n_put += 1
            self._count_finished()
            self._wake_trainers()
            PyThread_release_lock(self.mutex)
        return effective, losses

    def wait(self, timeout=None):
        """Wait until every chunk put so far has been trained, or ``timeout`` seconds;
        return whether they have been."""
        return self._wait_for(0, _timeout_us(timeout)) == 1

    def wait_for_room(self, timeout=None):
        """Wait until :meth:`put` can queue a chunk without waiting, or ``timeout``
        seconds; return whether it can."""
        return self._wait_for(self.capacity - 1, _timeout_us(timeout)) == 1

    def close(self):
        """No more chunks: :meth:`run` returns once the queued ones are trained."""
        with nogil:
            PyThread_acquire_lock(self.mutex, WAIT_LOCK)
            self._stop(False)
            PyThread_release_lock(self.mutex)

    def abort(self):
        """Drop the jobs not yet started: :meth:`run` returns after the current ones."""
        with nogil:
            PyThread_acquire_lock(self.mutex, WAIT_LOCK)
            self._stop(True)
            PyThread_release_lock(self.mutex)

    def run(self):
        """Train the queued chunks until the queue is closed and empty, or aborted.

        Raises ``MemoryError`` when a training thread could not get its
        buffers; the queue is then aborted, and :meth:`put` and :meth:`wait`
        raise too.
        """
        cdef int status
        # checked and set under the GIL, so two threads cannot both pass
        if self.running:
            raise ValueError("the chunk queue is already being run by another thread")
        self.running = True
        try:
            with nogil:
                status = self._train_all()
        finally:
            self.running = False
        if status != 0:
            raise MemoryError("not enough memory for the training threads' buffers")

    cdef int _train_all(self) noexcept nogil:
        cdef const TrainConfig *c = &self.trainer.cfg
        # every variable assigned in the parallel block is private to its thread and
        # starts as a copy of the value here (firstprivate): so the values here are defined
        cdef Scratch *s = NULL
        cdef TakenJob taken
        taken.chunk = NULL
        taken.job = 0
        cdef RowLocks locks
        row_locks_init(&locks)
        with parallel(num_threads=self.workers):
            s = new_scratch(c, self.max_sentence_words, self.workers, &locks)
            if s == NULL:
                PyThread_acquire_lock(self.mutex, WAIT_LOCK)
                self.failed = True
                self._stop(True)
                PyThread_release_lock(self.mutex)
            else:
                taken = self._take_job(threadid())
                while taken.chunk != NULL:
                    train_job(c, s, taken.chunk.words, taken.chunk.offsets,
                              taken.chunk.job_starts, taken.chunk.job_alpha,
                              taken.chunk.job_seed, taken.job, taken.chunk.effective,
                              taken.chunk.losses)
                    PyThread_acquire_lock(self.mutex, WAIT_LOCK)
                    taken.chunk.jobs_done += 1
                    if taken.chunk.job_raw_words != NULL:
                        self.raw_trained += taken.chunk.job_raw_words[taken.job]
                    self._count_finished()
                    PyThread_release_lock(self.mutex)
                    taken = self._take_job(threadid())
            free_scratch(s)
        row_locks_destroy(&locks)
        return -1 if self.failed else 0

    cdef TakenJob _take_job(self, int thread) noexcept nogil:
        """The next job, waiting for one if need be; its chunk is NULL when there are no more.
        Its chunk's slot stays as it is until the chunk is finished."""
        cdef QueuedChunk *chunk
        cdef TakenJob taken
        taken.chunk = NULL
        taken.job = 0
        PyThread_acquire_lock(self.mutex, WAIT_LOCK)
        while not self.aborted:
            if self.take_chunk < self.n_put:
                chunk = &self.slots[self.take_chunk % QUEUE_SLOTS]
                if self.take_job < chunk.n_jobs:
                    taken.chunk = chunk
                    taken.job = self.take_job
                    self.take_job += 1
                    break
                self.take_chunk += 1
                self.take_job = 0
            elif self.closed:
                break
            else:
                self.trainer_waiting[thread] = True
                PyThread_release_lock(self.mutex)
                PyThread_acquire_lock(self.work_ready[thread], WAIT_LOCK)
                PyThread_acquire_lock(self.mutex, WAIT_LOCK)
        PyThread_release_lock(self.mutex)
        return taken

    cdef void _count_finished(self) noexcept nogil:
        # with the mutex held: chunks finish in order, when all their jobs are done
        cdef QueuedChunk *chunk
        cdef Py_ssize_t before = self.n_finished
        while self.n_finished < self.n_put:
            chunk = &self.slots[self.n_finished % QUEUE_SLOTS]
            if chunk.jobs_done < chunk.n_jobs:
                break
            self.n_finished += 1
        if self.n_finished != before:
            self._wake_putter()

    cdef void _wake_trainers(self) noexcept nogil:
        # with the mutex held
        cdef int t
        for t in range(self.workers):
            if self.trainer_waiting[t]:
                self.trainer_waiting[t] = False
                PyThread_release_lock(self.work_ready[t])

    cdef int _wait_for(self, Py_ssize_t most_unfinished, long long timeout_us=-1) except -1:
        """Wait until at most ``most_unfinished`` chunks are queued or in training (return 1),
        or for ``timeout_us`` microseconds (return 0; a negative timeout waits as long as it takes)."""
        cdef bint ready = False, failed = False, aborted = False
        cdef PyLockStatus woken = PY_LOCK_ACQUIRED
        cdef double deadline = time.monotonic() + timeout_us / 1e6 if timeout_us >= 0 else 0.0
        cdef long long poll_us
        while True:
            poll_us = _SIGNAL_POLL_US
            if timeout_us >= 0:
                poll_us = min(poll_us, max(<long long>((deadline - time.monotonic()) * 1e6), 0))
            with nogil:
                PyThread_acquire_lock(self.mutex, WAIT_LOCK)
                failed = self.failed
                aborted = self.aborted
                ready = self.n_put - self.n_finished <= most_unfinished
                if not (ready or aborted):
                    self.putter_waiting = True
                PyThread_release_lock(self.mutex)
                if not (ready or aborted):
                    woken = PyThread_acquire_lock_timed(self.room_ready, poll_us, 0)
                    if woken != PY_LOCK_ACQUIRED:
                        # a timeout: withdraw the request, so that no stale wake-up
                        # is left behind for the next wait
                        PyThread_acquire_lock(self.mutex, WAIT_LOCK)
                        if not self.putter_waiting:
                            # released meanwhile, under the mutex: take it back
                            PyThread_acquire_lock(self.room_ready, WAIT_LOCK)
                        self.putter_waiting = False
                        PyThread_release_lock(self.mutex)
            if failed:
                raise MemoryError("not enough memory for the training threads' buffers")
            if aborted:
                raise ValueError("the chunk queue was aborted")
            if ready:
                return 1
            if woken != PY_LOCK_ACQUIRED:
                PyErr_CheckSignals()  # lets Ctrl-C through a long wait
                if timeout_us >= 0 and time.monotonic() >= deadline:
                    return 0

    cdef void _wake_putter(self) noexcept nogil:
        # with the mutex held
        if self.putter_waiting:
            self.putter_waiting = False
            PyThread_release_lock(self.room_ready)

    cdef void _stop(self, bint abort) noexcept nogil:
        # with the mutex held
        self.closed = True
        if abort:
            self.aborted = True
        self._wake_trainers()
        self._wake_putter()


cdef long long _timeout_us(timeout) except? -2:
    """Seconds (``None``: no limit) as the microseconds ``_wait_for`` takes."""
    if timeout is None:
        return -1
    if not timeout >= 0:
        raise ValueError(f"timeout must be >= 0 or None, got {timeout!r}")
    return <long long>(timeout * 1e6)


cdef PyThread_type_lock _taken_lock() noexcept:
    """A new lock, already acquired (NULL when out of memory)."""
    cdef PyThread_type_lock lock = PyThread_allocate_lock()
    if lock != NULL:
        PyThread_acquire_lock(lock, WAIT_LOCK)
    return lock
