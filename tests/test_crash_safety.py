"""A save killed (SIGKILL) at any moment leaves the previous save or the new one, never a mix.

A fork server (``crash_helpers.py`` run as a script) starts a child that saves
a model, KeyedVectors, an HNSW index, or runs ``w2vm train
--checkpoint-every-epoch``, in a loop whose every generation differs in every
file; the test kills it after a random delay, loads the files with the public
loader and checks that they are byte for byte one complete save: the last one
the child reported, or the one it was writing. The children sleep 2 ms after
each rename, so many kills land between two renames of one set; the test
counts the kills that left a mix on disk (before w2vm's recovery ran) and
requires some, so it would fail without the journal. ``python -m w2vm train``
is also killed for real a few times.

``W2VM_CRASH_KILLS=N`` runs the ``slow`` variant with N kills per kind.
"""
import collections
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

import crash_helpers as ch
import w2vm
from w2vm import Word2Vec
from w2vm.io.atomic import JOURNAL_NAME, TMP_SUFFIX

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or os.name == "nt", reason="needs fork and SIGKILL")

KILLS = 25  # per kind, in the default suite
SLOW_KILLS = int(os.environ.get("W2VM_CRASH_KILLS", "0"))
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(w2vm.__file__)))
_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
            OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


class ForkServer:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, ch.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=_ENV)
        assert self.proc.stdout.readline() == "READY\n"

    def start(self, kind, folder, start, log):
        self.proc.stdin.write("\t".join([kind, str(folder), str(start), str(log)]) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self, kill=True):
        """SIGKILL the child (or wait for it to end); its wait status."""
        self.proc.stdin.write("KILL\n" if kill else "WAIT\n")
        self.proc.stdin.flush()
        word, status = self.proc.stdout.readline().split()
        assert word == "EXIT"
        return int(status)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def fork_server():
    server = ForkServer()
    yield server
    server.close()


def _lines(path):
    """The complete lines of a file a killed process was appending to."""
    with open(path, "rb") as fh:
        return fh.read().split(b"\n")[:-1]


def _raw_state(folder, before, after):
    """What a kill left on disk, before w2vm looks: journal / temporary files / a mix of two saves."""
    raw = ch.read_set(folder)
    finals = {name: data for name, data in raw.items() if not name.startswith(".")}
    old = any(before.get(n) == d and after.get(n) != d for n, d in finals.items())
    new = any(after.get(n) == d and before.get(n) != d for n, d in finals.items())
    return {"journal": JOURNAL_NAME in raw, "temporary files": any(n.endswith(TMP_SUFFIX) for n in raw),
            "mixed on disk": old and new}


def _kill_saves(server, kind, tmp_path, kills, max_delay=0.25):
    saver = ch.Saver(kind)
    folder = tmp_path / "save"
    folder.mkdir()
    base = str(folder / "set")
    log = tmp_path / "progress"
    refs = {}

    def ref(g):
        if g not in refs:
            refs[g] = ch.reference_files(saver, g, str(tmp_path / "ref"))
        return refs[g]

    saver.save(base, 0)
    current = 0
    stats = collections.Counter()
    rng = random.Random(kills)
    # more kills if none has yet caught a set half renamed: the test must be able to fail
    while stats["kills"] < kills or (not stats["mixed on disk"] and stats["kills"] < 4 * kills):
        log.write_bytes(b"")
        server.start(kind, folder, current + 1, log)
        time.sleep(rng.uniform(0, max_delay))
        status = server.stop()
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
        done = [int(x) for x in _lines(log)]
        prev = done[-1] if done else current
        stats.update(k for k, v in _raw_state(folder, ref(prev), ref(prev + 1)).items() if v)
        g = saver.load_generation(base)
        assert g in (prev, prev + 1), (g, prev)
        # byte for byte one complete save, and nothing else left in the folder
        assert ch.read_set(folder) == ref(g)
        stats["saves"] += len(done)
        stats["kills"] += 1
        current = g
    print(f"{kind}: {dict(stats)}")
    assert stats["mixed on disk"], stats
    return stats


@pytest.mark.parametrize("kind", ["model", "kv", "index"])
def test_killed_saves_leave_one_complete_set(fork_server, tmp_path, kind):
    _kill_saves(fork_server, kind, tmp_path, KILLS)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW_KILLS, reason="set W2VM_CRASH_KILLS=N to kill each kind of save N times")
@pytest.mark.parametrize("kind", ["model", "kv", "index"])
def test_killed_saves_many_times(fork_server, tmp_path, kind):
    _kill_saves(fork_server, kind, tmp_path, SLOW_KILLS)


def test_two_processes_saving_at_once_never_mix_and_loads_see_whole_sets(tmp_path):
    """Two writers save into one base while this process loads it: every load is one generation."""
    saver = ch.Saver("kv")
    folder = tmp_path / "save"
    folder.mkdir()
    base = str(folder / "set")
    saver.save(base, 0)
    writers = [subprocess.Popen([sys.executable, ch.__file__, "kv", str(folder), str(start), "2"],
                                stdout=subprocess.PIPE, text=True, env=_ENV) for start in (1000, 2000)]
    seen = set()
    while any(w.poll() is None for w in writers):
        seen.add(saver.load_generation(base))  # asserts that every file holds the same generation
        time.sleep(0.01)  # flock favours no one: back-to-back loads would starve the writers
    saved = [int(w.communicate()[0]) for w in writers]
    assert all(w.returncode == 0 for w in writers)
    g = saver.load_generation(base)
    assert g in (1000 + saved[0] - 1, 2000 + saved[1] - 1)  # the last save of one of them, whole
    assert ch.read_set(folder) == ch.reference_files(saver, g, str(tmp_path / "ref"))
    print(f"concurrent: {saved} saves, {len(seen)} generations seen by the loads")
    assert min(saved) > 0 and len(seen) >= 2


# ---------------------------------------------------------------- w2vm train
EPOCHS = 12


def _train_argv(corpus, base):
    return ["train", str(corpus), "--output", str(base), "--epochs", str(EPOCHS), "--checkpoint-every-epoch",
            "--workers", "1", "--seed", "1", "--vector-size", "16", "--levels", "4,16", "--min-count", "1",
            "--hs", "1", "--log-json", "--progress-interval", "1000"]


@pytest.fixture(scope="module")
def train_setup(fork_server, tmp_path_factory):
    """A small corpus and the checkpoint files of an uninterrupted run (training is deterministic)."""
    tmp = tmp_path_factory.mktemp("crash-train")
    rng = random.Random(5)
    words = [f"w{i}" for i in range(400)]
    corpus = tmp / "corpus.txt"
    corpus.write_text("".join(" ".join(rng.choices(words, k=12)) + "\n" for _ in range(300)))
    folder = tmp / "reference"
    folder.mkdir()
    fork_server.start("cli-ref", folder, json.dumps(_train_argv(corpus, folder / "set")), tmp / "reference.log")
    assert fork_server.stop(kill=False) == 0, (tmp / "reference.log").read_text()
    refs = {int(e): ch.read_set(tmp / "reference.ref" / e) for e in os.listdir(tmp / "reference.ref")}
    assert sorted(refs) == list(range(1, EPOCHS + 1))
    return corpus, refs


def _checkpoints(log):
    events = [json.loads(line) for line in _lines(log)]
    return [e["epochs_done"] for e in events if e.get("event") == "checkpoint"]


def _check_checkpoint(folder, refs, previous, reported, stats):
    """After a kill: the files are the last reported checkpoint, the next one, or (none yet) the previous run's."""
    if reported:
        allowed = {reported[-1], min(reported[-1] + 1, EPOCHS)}
    else:
        allowed = {previous, 1}
    if previous is not None and not reported:
        before, after = refs[previous], refs[1]
    elif reported:
        before, after = refs[reported[-1]], refs[min(reported[-1] + 1, EPOCHS)]
    else:
        before, after = {}, refs[1]
    stats.update(k for k, v in _raw_state(folder, before, after).items() if v)
    try:
        epochs = Word2Vec.load(str(folder / "set")).epochs_trained
    except FileNotFoundError:
        assert None in allowed  # nothing committed yet; the load still cleaned up
        assert os.listdir(folder) == []
        return None
    assert epochs in allowed, (epochs, allowed)
    assert ch.read_set(folder) == refs[epochs]
    return epochs


def _kill_training(fork_server, train_setup, tmp_path, kills):
    corpus, refs = train_setup
    folder = tmp_path / "run"
    folder.mkdir()
    argv = json.dumps(_train_argv(corpus, folder / "set"))
    log = tmp_path / "train.log"
    stats = collections.Counter()
    rng = random.Random(kills)
    previous = None
    while stats["kills"] < kills or (not stats["mixed on disk"] and stats["kills"] < 4 * kills):
        log.write_bytes(b"")
        fork_server.start("cli", folder, argv, log)
        time.sleep(rng.uniform(0.02, 0.5))
        status = fork_server.stop()
        finished = os.WIFEXITED(status)
        assert finished and os.WEXITSTATUS(status) == 0 or os.WTERMSIG(status) == signal.SIGKILL, status
        reported = _checkpoints(log)
        previous = _check_checkpoint(folder, refs, previous, reported, stats)
        stats["checkpoints"] += len(reported)
        stats["kills" if not finished else "finished"] += 1
    print(f"train: {dict(stats)}")
    assert stats["mixed on disk"], stats


def test_killed_training_leaves_one_complete_checkpoint(fork_server, train_setup, tmp_path):
    _kill_training(fork_server, train_setup, tmp_path, KILLS)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW_KILLS, reason="set W2VM_CRASH_KILLS=N to kill w2vm train N times")
def test_killed_training_many_times(fork_server, train_setup, tmp_path):
    _kill_training(fork_server, train_setup, tmp_path, SLOW_KILLS)


def test_python_m_w2vm_train_killed_after_a_checkpoint(train_setup, tmp_path):
    """The real command line, in its own interpreter (no fork server, no slowed renames)."""
    corpus, refs = train_setup
    folder = tmp_path / "run"
    folder.mkdir()
    log = tmp_path / "train.log"
    rng = random.Random(3)
    previous = None
    stats = collections.Counter()
    for _ in range(3):
        with open(log, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "w2vm", *_train_argv(corpus, folder / "set")],
                                    stdout=subprocess.DEVNULL, stderr=err, env=_ENV)
        try:
            deadline = time.monotonic() + 60
            while not _checkpoints(log) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        reported = _checkpoints(log)
        assert reported, log.read_text()
        previous = _check_checkpoint(folder, refs, previous, reported, stats)
