"""Machinery for the concurrency tests: one writer, several readers, every answer checked offline.

The writer applies operations one at a time and records, after each, the
*version* it produced (a copy of what a query should see). Readers note
``done`` (operations completed) before and after each query: the snapshot a
query worked on can only be version ``lo .. hi + 1`` (the operation after
``hi`` may have swapped its snapshot in without having returned yet). The
check then looks for one version in that range that explains the whole
answer. No timing is asserted anywhere; the writer waits, after each
operation, until the readers have answered a few more queries, so that the
two interleave on any machine.
"""
import sys
import threading
import traceback
from contextlib import contextmanager

import numpy as np

TOL = 2e-5  # float32 arithmetic in the library against float64 in the checks


@contextmanager
def fast_thread_switching(interval=2e-5):
    """Switch threads far more often than the default 5 ms, to make interleavings likely."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


class Race:
    """Runs ``n_readers`` reader loops against one writer and collects what they saw.

    ``reader(rng, lo)`` runs one query and returns a record (anything); it is
    called with the number of operations completed when the query starts.
    ``ops`` is a list of callables, applied in order by the writer;
    ``record()`` is called once before the first and once after each.
    """

    def __init__(self, reader, ops, record, n_readers=4, queries_per_op=3, min_queries=40, seed=0):
        self.reader, self.ops, self.record = reader, ops, record
        self.n_readers, self.queries_per_op, self.min_queries = n_readers, queries_per_op, min_queries
        self.seed = seed
        self.versions = []
        self.done = 0
        self.records = []          # (lo, hi, record)
        self.errors = []
        self._answered = 0
        self._cond = threading.Condition()
        self._writer_finished = threading.Event()

    def _reader_loop(self, tid):
        rng = np.random.default_rng([self.seed, tid])
        mine = 0
        try:
            while not self._writer_finished.is_set() or mine < self.min_queries // self.n_readers:
                lo = self.done
                rec = self.reader(rng, lo)
                hi = self.done
                self.records.append((lo, hi, rec))
                mine += 1
                with self._cond:
                    self._answered += 1
                    self._cond.notify_all()
        except Exception:  # noqa: BLE001 - reported by run()
            self.errors.append(f"reader {tid}:\n{traceback.format_exc()}")
            self._writer_finished.set()

    def _writer_loop(self):
        try:
            for op in self.ops:
                if self.errors:
                    break
                op()
                self.versions.append(self.record())
                self.done += 1
                with self._cond:
                    target = self._answered + self.queries_per_op * self.n_readers
                    # a generous bound only so that a dead reader cannot hang the test
                    self._cond.wait_for(lambda t=target: self._answered >= t or self.errors, timeout=60)
        except Exception:  # noqa: BLE001 - reported by run()
            self.errors.append(f"writer:\n{traceback.format_exc()}")
        finally:
            self._writer_finished.set()

    def run(self):
        self.versions.append(self.record())
        readers = [threading.Thread(target=self._reader_loop, args=(t,), daemon=True)
                   for t in range(self.n_readers)]
        writer = threading.Thread(target=self._writer_loop, daemon=True)
        with fast_thread_switching():
            for t in readers:
                t.start()
            writer.start()
            writer.join()
            for t in readers:
                t.join()
        assert not self.errors, "\n".join(self.errors)
        assert self.done == len(self.ops)
        return self

    def check(self, explains):
        """Every record must be explained by one version in its range: ``explains(version, record)``."""
        last = len(self.versions) - 1
        bad = []
        for lo, hi, rec in self.records:
            candidates = range(lo, min(hi + 1, last) + 1)
            if not any(explains(self.versions[v], rec) for v in candidates):
                bad.append((lo, hi, rec))
        assert not bad, (f"{len(bad)} of {len(self.records)} answers match no consistent snapshot; "
                         f"first: versions {bad[0][0]}..{bad[0][1] + 1}, {bad[0][2]!r:.600}")

    @property
    def overlapping(self):
        """How many queries ran while an operation completed (for the curious; not asserted)."""
        return sum(hi > lo for lo, hi, _ in self.records)


def is_exact_top(true_scores, rows, scores, k, exclude=()):
    """Whether ``rows`` (best first, with ``scores``) are a top-``k`` of ``true_scores``, ties allowed.

    Ties within :data:`TOL` may come in either order, so the check is: right
    length, no duplicates or excluded rows, each score the row's true score,
    best first, and no row left out beating the weakest one returned.
    """
    rows = np.asarray(rows, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    n = len(true_scores)
    excl = np.zeros(n, bool)
    excl[np.asarray(exclude, dtype=np.int64)] = True
    want = min(k, n - int(excl.sum()))
    if rows.shape != (want,) or scores.shape != (want,):
        return False
    if want == 0:
        return True
    if rows.min() < 0 or rows.max() >= n or excl[rows].any() or np.unique(rows).size != want:
        return False
    if not np.allclose(true_scores[rows], scores, atol=TOL, rtol=0):
        return False
    if np.any(np.diff(scores) > TOL):
        return False
    rest = ~excl
    rest[rows] = False
    return not rest.any() or true_scores[rest].max() <= scores.min() + TOL
