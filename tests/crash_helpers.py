"""Saves killed at random moments, for ``test_crash_safety.py``.

Every kind of save (``model``, ``kv``, ``index``) writes *generations*: the
content of generation ``g`` is a fixed template with ``g`` written into every
file (vectors, counts, output weights, ids, keys, meta), so the files of two
generations differ everywhere and a mix shows. :func:`reference_files` gives
the bytes a complete save of generation ``g`` writes.

Run as a script this module is a fork server: it imports w2vm once, then for
each command line ``KIND<TAB>FOLDER<TAB>START<TAB>LOG`` on stdin it forks a
child that saves generations ``START, START+1, ...`` of KIND into FOLDER
until it is killed, appending each finished generation to LOG. It answers
``PID``; then ``KILL`` makes it kill the child (``WAIT`` lets the child end)
and it answers ``EXIT STATUS``. Kind ``cli`` (START: the arguments as JSON)
runs ``w2vm train`` (``w2vm.cli.main``) with its stderr in LOG, and
``cli-ref`` does the same while copying every checkpoint it saves into
``FOLDER.ref/EPOCHS/``. Forking keeps each start at milliseconds instead of
half a second of imports.
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback

import numpy as np

N_WORDS = 1500
DIM = 32
_COUNT0 = 1_000_000


def _template():
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((N_WORDS, DIM)).astype(np.float32)
    counts = np.arange(N_WORDS, 0, -1, dtype=np.int64) * 3
    return vectors, counts


def _with_generation(array, g):
    out = np.array(array, copy=True)
    out[:, 0] = g
    return out


def _model_template():
    from w2vm import Word2Vec

    words = [f"w{i}" for i in range(N_WORDS)]
    sentences = [words[i:i + 15] for i in range(0, N_WORDS, 15)] * 2
    model = Word2Vec(vector_size=DIM, min_count=1, hs=1, negative=5, seed=1, workers=1, levels=[8, DIM])
    model.build_vocab(sentences)
    model.syn1neg[:] = 0.25
    model.syn1[:] = -0.5
    return model


class Saver:
    """Builds generation ``g`` of one kind and saves it to ``base``."""

    def __init__(self, kind):
        self.kind = kind
        self.vectors, self.counts = _template()
        if kind == "model":
            self.model = _model_template()
            self.model_vectors = self.model.wv.vectors.copy()
            self.model_counts = self.model.wv.expandos["count"].copy()
            self.syn1neg, self.syn1 = self.model.syn1neg.copy(), self.model.syn1.copy()

    def save(self, base, g):
        if self.kind == "model":
            m = self.model
            m.wv.vectors = _with_generation(self.model_vectors, g)
            counts = self.model_counts.copy()
            counts[0] = _COUNT0 + g
            m.wv.set_vecattr(list(range(len(counts))), "count", counts)
            m.syn1neg = _with_generation(self.syn1neg, g)
            m.syn1 = _with_generation(self.syn1, g)
            m.train_count = g  # saved in the meta file's training state
            m.save(base)
        elif self.kind == "kv":
            self.keyed_vectors(g).save(base, meta={"generation": g})
        elif self.kind == "index":
            self.index(g).save(base)
        else:
            raise ValueError(self.kind)

    def keyed_vectors(self, g):
        from w2vm import KeyedVectors

        kv = KeyedVectors(DIM, levels=[8, DIM])
        keys = [f"g{g}w{i}" for i in range(N_WORDS)]
        kv.add_vectors(keys, _with_generation(self.vectors, g))
        counts = self.counts.copy()
        counts[0] = _COUNT0 + g
        kv.set_vecattr(keys, "count", counts)
        return kv

    def index(self, g):
        from w2vm.similarities import HNSWIndex

        index = HNSWIndex(M=8, ef_construction=32, seed=3, n_threads=1)
        return index.build(self.keyed_vectors(g), ids=np.arange(N_WORDS, dtype=np.int64) + g * N_WORDS)

    def load_generation(self, base):
        """Load ``base`` with the public loader; return the generation every part of it agrees on."""
        if self.kind == "model":
            from w2vm import Word2Vec

            m = Word2Vec.load(base)
            g = int(m.train_count)
            parts = [m.wv.vectors[:, 0], m.syn1neg[:, 0], m.syn1[:, 0], m.wv.expandos["count"][:1] - _COUNT0]
        elif self.kind == "kv":
            from w2vm import KeyedVectors
            from w2vm.io.npy_vocab import load_meta

            kv = KeyedVectors.load(base)
            g = int(load_meta(base)["generation"])
            parts = [kv.vectors[:, 0], kv.expandos["count"][:1] - _COUNT0,
                     np.array([int(kv.index_to_key[-1][1:].split("w")[0])])]
        else:
            from w2vm.similarities import HNSWIndex

            index = HNSWIndex.load(base)
            g = int(index._ids[0]) // N_WORDS
            parts = [index._vectors[:, 0], index._ids // N_WORDS,
                     np.array([int(index._keys[-1][1:].split("w")[0])])]
        for part in parts:
            assert np.all(part == g), (self.kind, g, part[:5])
        return g


def read_set(folder):
    """``{name: bytes}`` of the files in ``folder``."""
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


def reference_files(saver, g, scratch):
    """The files (``{name: bytes}``) a complete save of generation ``g`` writes, saved into ``scratch``."""
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    saver.save(os.path.join(scratch, "set"), g)
    return read_set(scratch)


# ---------------------------------------------------------------- fork server
def _slow_renames():
    """Widen the window between a set's renames (2 ms after each), so random kills land in it often."""
    real = os.replace

    def replace(src, dst, **kw):
        real(src, dst, **kw)
        time.sleep(0.002)

    os.replace = replace


def _child(kind, folder, start, log):
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stdout is the server's answer channel
    base = os.path.join(folder, "set")
    if kind in ("cli", "cli-ref"):
        argv = json.loads(start)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        if kind == "cli-ref":
            from w2vm import Word2Vec

            real_save = Word2Vec.save

            def save(self, path):
                real_save(self, path)
                dest = os.path.join(folder + ".ref", str(self.epochs_trained))
                os.makedirs(dest)
                for name in os.listdir(folder):
                    shutil.copy(os.path.join(folder, name), dest)

            Word2Vec.save = save
        else:
            _slow_renames()
        from w2vm.cli import main

        os._exit(main(argv))
    _slow_renames()
    saver = SAVERS[kind]
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    g = int(start)
    while True:
        saver.save(base, g)
        os.write(fd, b"%d\n" % g)
        g += 1


SAVERS = {}


def serve():
    from w2vm.cli import main  # noqa: F401  (imported once, before any fork)

    with tempfile.TemporaryDirectory() as scratch:
        for kind in ("model", "kv", "index"):
            SAVERS[kind] = Saver(kind)
            SAVERS[kind].save(os.path.join(scratch, kind), 0)  # imports and warms up everything a save uses
    print("READY", flush=True)
    for line in sys.stdin:
        kind, folder, start, log = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            try:
                _child(kind, folder, start, log)
            except BaseException:
                traceback.print_exc()
            os._exit(3)
        print(pid, flush=True)
        # the child is killed here, by its parent, so that its pid cannot have been reused
        if sys.stdin.readline() == "KILL\n":
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        print("EXIT", status, flush=True)


def save_for(kind, folder, start, seconds):
    """Save generations ``start, start+1, ...`` of ``kind`` into ``folder`` for ``seconds``; print how many."""
    _slow_renames()
    saver = Saver(kind)
    g, end = start, time.monotonic() + seconds
    while time.monotonic() < end:
        saver.save(os.path.join(folder, "set"), g)
        g += 1
    print(g - start)


if __name__ == "__main__":
    if len(sys.argv) > 1:  # KIND FOLDER START SECONDS
        save_for(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        serve()
