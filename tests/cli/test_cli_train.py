"""``w2vm train`` end to end: outputs, logs, progress bar, bad input, Ctrl-C and resume."""
import bz2
import gzip
import json
import os
import pty
import random
import re
import signal
import subprocess
import time

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, cli_command, cli_env, run_cli
from w2vm import KeyedVectors, Word2Vec

FAST = ("--vector-size", "16", "--epochs", "1", "--workers", "2")


def test_train_saves_a_loadable_model_and_logs_plain_lines(tmp_path, corpus):
    base = tmp_path / "m"
    proc = run_cli("train", corpus, "-o", base, "--levels", "4,8,16", "--epochs", "2", "--workers", "2",
                   "--sg", "1", "--min_count", "3", "--compute-loss", "--progress-interval", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    # not a terminal: gensim-style log lines, never a bar redrawn with \r
    assert "\r" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert all(" : INFO : " in line or " : WARNING : " in line for line in lines), lines
    assert any("EPOCH 1 - PROGRESS: at" in line and "words/s" in line and "alpha" in line for line in lines)
    assert any(line.split(" : INFO : ")[1].startswith("EPOCH 2: training on") for line in lines)
    assert any("loss per level" in line for line in lines)
    model = Word2Vec.load(base)
    assert model.levels == [4, 8, 16] and model.sg == 1 and model.min_count == 3
    assert model.epochs_trained == 2 and len(model.loss_history) == 2
    kv = KeyedVectors.load(base)
    assert kv.vectors.shape == (len(model.wv), 16)


def test_log_json_is_one_object_per_line(tmp_path, corpus):
    proc = run_cli("train", corpus, "-o", tmp_path / "m", *FAST, "--levels", "4,16", "--compute-loss",
                   "--log-json", "--progress-interval", "0", "--checkpoint-every-epoch", "--epochs", "2")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    names = [e["event"] for e in events]
    for name in ("vocab", "start", "progress", "epoch_end", "checkpoint", "done"):
        assert name in names, names
    assert names[-1] == "done"
    progress = [e for e in events if e["event"] == "progress"]
    assert all(set(e) >= {"epoch", "progress", "words_per_s", "alpha", "loss", "eta_s"} for e in progress)
    assert all(len(e["loss"]) == 2 for e in progress)
    fractions = [e["progress"] for e in progress]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1
    ends = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ends] == [1, 2]
    # a checkpoint after epoch 1 (epoch 2 is the final save)
    assert [e["epochs_done"] for e in events if e["event"] == "checkpoint"] == [1, 2]


def test_quiet_prints_nothing(tmp_path, corpus):
    proc = run_cli("train", corpus, "-o", tmp_path / "m", *FAST, "--quiet")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


def test_progress_bar_on_a_terminal(tmp_path, corpus):
    """A real terminal 80 columns wide: per-epoch percentages, every level's loss, no line ever wider."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cli_command("train", corpus, "-o", tmp_path / "m", *FAST, "--epochs", "3",
                                        "--compute-loss", "--levels", "2,4,8,16"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                            env=cli_env(COLUMNS="80"))
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO once the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    out = b"".join(chunks).decode()
    assert "\r\x1b[K[" in out  # the bar redraws its line in place
    frames = [f for f in out.split("\r\x1b[K") if f and "\n" not in f]
    assert frames and all(len(f) <= 79 for f in frames), max(frames, key=len)
    scan = [f for f in frames if "vocabulary scan" in f]
    training = [f for f in frames if " epoch " in f]
    assert scan and training, frames
    for bar in training:
        epoch_share = float(re.search(r"(\d+\.\d)%  epoch [123]/3", bar).group(1))
        assert 0 <= epoch_share <= 100 and re.search(r"loss [\d.]+k?/[\d.]+k?/[\d.]+k?/[\d.]+k?", bar), bar
    assert "EPOCH 3: training on" in out and "model saved to" in out
    assert " : INFO : " not in out  # no log-line prefixes on a terminal


@pytest.mark.parametrize("args, code, text", [
    (["missing.txt", "-o", "{tmp}/m"], 1, "does not exist"),
    (["{empty}", "-o", "{tmp}/m"], 1, "is empty"),
    (["{corpus}", "-o", "{tmp}/m", "--levels", "8,x"], 2, "--levels"),
    (["{corpus}", "-o", "{tmp}/m", "--levels", "16,8"], 2, "strictly increasing"),
    (["{corpus}", "-o", "{tmp}/m", "--levels", "8,16", "--vector-size", "32"], 2, "vector_size=32"),
    (["{corpus}", "-o", "{tmp}/m", "--negative", "0"], 2, "nothing to train"),
    (["{corpus}"], 2, "--output"),
    (["{corpus}", "-o", "{tmp}/no/such/folder/m"], 1, "does not exist"),
    (["{corpus}", "-o", "{tmp}/m", "--min-count", "10000000"], 1, "vocabulary is empty"),
    (["{corpus}", "-o", "{tmp}/m", "--bogus"], 2, "unrecognized arguments"),
    (["{corpus}", "--resume", "{tmp}/nothing"], 1, "no model there"),
])
def test_bad_input_is_one_line_and_an_exit_code(tmp_path, corpus, args, code, text):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    args = [a.format(tmp=tmp_path, empty=empty, corpus=corpus) for a in args]
    proc = run_cli("train", *args, "--workers", "1")
    assert_one_line_error(proc, code, "train", text)
    assert not (tmp_path / "m.vocab.json").exists()


def test_empty_compressed_corpus(tmp_path):
    path = tmp_path / "empty.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n\n")
    proc = run_cli("train", path, "-o", tmp_path / "m", "--quiet")
    assert_one_line_error(proc, 1, "train", "corpus is empty")


def test_debug_shows_the_traceback(tmp_path):
    proc = run_cli("train", tmp_path / "missing.txt", "-o", tmp_path / "m", "--debug")
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_folder_text8_and_several_files(tmp_path, corpus):
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.txt").write_text("\n".join(lines[:3000]) + "\n")
    with bz2.open(folder / "b.txt.bz2", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines[3000:]) + "\n")
    text8 = tmp_path / "text8"
    text8.write_text(" ".join(" ".join(lines).split()[:250000]))  # > 1 MiB on one line
    runs = {"dir": [folder], "files": [folder / "a.txt", folder / "b.txt.bz2"], "text8": [text8]}
    counts = {}
    for name, paths in runs.items():
        proc = run_cli("train", *paths, "-o", tmp_path / name, *FAST, "--log-json")
        assert proc.returncode == 0, proc.stderr
        start = next(json.loads(line) for line in proc.stderr.splitlines() if '"start"' in line)
        counts[name] = start["words_per_epoch"]
        if name == "text8":
            assert "(text8)" in start["corpus"]
    assert counts["dir"] == counts["files"] == len(" ".join(lines).split())


def _start_long_training(base, corpus, *extra):
    """A run far too long to finish; returns the process once it reports training progress."""
    proc = subprocess.Popen(cli_command("train", corpus, "-o", base, "--vector-size", "16", "--epochs", "500",
                                        "--workers", "1", "--log-json", "--progress-interval", "0.05", *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    events = []
    for line in proc.stderr:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and events[-1]["epoch"] >= 2:
            return proc, events
    raise AssertionError(f"training ended early: {events[-3:]}")


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_saves_a_checkpoint_that_loads_and_resumes(tmp_path, corpus, sig, code):
    base = tmp_path / "m"
    proc, events = _start_long_training(base, corpus)
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == code
    model = Word2Vec.load(base)
    assert 1 <= model.epochs_trained < 500 and model.epochs == 500
    assert np.isfinite(model.wv.vectors).all()
    if sig == signal.SIGTERM:
        return
    # resume with a smaller total: only the epochs left are trained
    done = model.epochs_trained
    resumed = run_cli("train", corpus, "--resume", base, "--epochs", done + 1, "--log-json")
    assert resumed.returncode == 0, resumed.stderr
    start = next(json.loads(line) for line in resumed.stderr.splitlines() if '"start"' in line)
    assert start["first_epoch"] == done + 1
    again = Word2Vec.load(base)
    assert again.epochs_trained == done + 1
    assert not np.array_equal(again.wv.vectors, model.wv.vectors)


def test_interrupt_events_and_message(tmp_path, corpus):
    proc, _ = _start_long_training(tmp_path / "m", corpus)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    events = [json.loads(line) for line in err.splitlines()]
    names = [e["event"] for e in events]
    assert "signal" in names and names[-1] == "interrupted"
    assert "--resume" in events[-1]["message"]
    assert proc.returncode == 130


def test_resume_refuses_changed_parameters(tmp_path, corpus, model_base):
    proc = run_cli("train", corpus, "--resume", model_base, "--output", tmp_path / "m", "--window", "3",
                   "--epochs", "5")
    assert_one_line_error(proc, 2, "train", "--window")
    done = run_cli("train", corpus, "--resume", model_base, "--output", tmp_path / "m")
    assert_one_line_error(done, 1, "train", "finished")


# --------------------------------------------------------------------------- dirty corpora
def _dirty_files(folder):
    """The four kinds of bad input a user meets, and what the one-line error must say about each."""
    lines = [f"w{i % 50} café line{i % 7}".encode() for i in range(20_000)]
    lines[12_345] = "w1 café latin".encode("latin-1")
    latin1 = folder / "mixed.txt"
    latin1.write_bytes(b"\n".join(lines) + b"\n")
    rng = random.Random(7)
    text = b"".join(b"the cat sat on %08d\n" % rng.randrange(10**8) for _ in range(20_000))
    truncated = folder / "cut.txt.gz"
    truncated.write_bytes(gzip.compress(text)[:-1000])
    noise = folder / "noise.txt"
    noise.write_bytes(b"\xfe" + rng.randbytes(3000))
    corrupt = folder / "bad.txt.xz"
    corrupt.write_bytes(rng.randbytes(3000))
    return {
        "latin1": (latin1, r"mixed\.txt: line 12346 \(byte \d+\): 'utf-8' codec can't decode byte 0xe9: "
                           r"invalid continuation byte"),
        "truncated": (truncated, r"cut\.txt\.gz: near line \d+ \(byte \d+\): truncated gz data"),
        "noise": (noise, r"noise\.txt: line 1 \(byte 0\): 'utf-8' codec can't decode byte 0xfe: invalid start byte"),
        "corrupt": (corrupt, r"bad\.txt\.xz: near line 1 \(byte 0\): corrupt xz data"),
    }


@pytest.mark.parametrize("case", ["latin1", "truncated", "noise", "corrupt"])
def test_unreadable_corpus_is_one_line_naming_file_line_and_cause(tmp_path, capsys, case):
    from w2vm.cli import main

    path, expected = _dirty_files(tmp_path)[case]
    code = main(["train", str(path), "-o", str(tmp_path / "m"), "--quiet", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1, err
    assert re.fullmatch(r"w2vm train: error: .*" + expected + r".*\n", err), err
    assert not (tmp_path / "m.vocab.json").exists()


def test_unreadable_corpus_from_a_real_process(tmp_path):
    path, expected = _dirty_files(tmp_path)["latin1"]
    proc = run_cli("train", path, "-o", tmp_path / "m", "--workers", "1", "--min-count", "1", "--vector-size", "8",
                   "--epochs", "1")
    assert_one_line_error(proc, 1, "train")
    assert re.search(expected, proc.stderr.splitlines()[-1]) and "is empty" not in proc.stderr
    with_debug = run_cli("train", path, "-o", tmp_path / "m", "--debug", "--quiet")
    assert with_debug.returncode != 0 and "Traceback" in with_debug.stderr and "CorpusReadError" in with_debug.stderr


def test_encoding_and_error_policy_options(tmp_path, capsys):
    from w2vm.cli import main

    path, _ = _dirty_files(tmp_path)["latin1"]
    # --encoding: the Python reader decodes the file as asked (the native one reads strict UTF-8 only)
    assert main(["train", str(path), "-o", str(tmp_path / "m"), "--encoding", "latin-1", "--min-count", "1",
                 "--vector-size", "8", "--epochs", "1", "--workers", "1", "--no-bar", "--progress-interval", "0"]) == 0
    err = capsys.readouterr().err
    assert "native reader" not in err and "vocabulary scan: " in err and "vocabulary scan done" in err
    assert "caf\u00e9" in KeyedVectors.load(tmp_path / "m").key_to_index
    assert main(["train", str(path), "-o", str(tmp_path / "m"), "--encoding", "klingon"]) == 2
    assert "unknown encoding: klingon" in capsys.readouterr().err
    assert main(["train", str(path), "-o", str(tmp_path / "m"), "--reader", "native", "--errors", "replace"]) == 1
    assert "strict UTF-8" in capsys.readouterr().err


def test_errors_replace_keeps_the_other_lines(tmp_path, capsys):
    from w2vm.cli import main

    path, _ = _dirty_files(tmp_path)["latin1"]
    assert main(["train", str(path), "-o", str(tmp_path / "m"), "--errors", "replace", "--min-count", "1",
                 "--vector-size", "8", "--epochs", "1", "--workers", "1", "--quiet"]) == 0
    keys = KeyedVectors.load(tmp_path / "m").key_to_index
    assert "caf\ufffd" in keys and "café" in keys and "latin" in keys
