"""Fixtures for the command-line tests: run ``python -m w2vm`` as a subprocess, a small trained model."""
import os
import subprocess
import sys

import pytest

import w2vm
from w2vm.cli.demo import demo_corpus_path

# the subprocess imports the same w2vm as the tests, installed or not
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(w2vm.__file__)))


def cli_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


def cli_command(*args):
    return [sys.executable, "-m", "w2vm", *map(str, args)]


def run_cli(*args, cwd=None, input=None, timeout=120):
    """Run the command line; return the CompletedProcess (text stdout/stderr)."""
    return subprocess.run(cli_command(*args), cwd=cwd, input=input, capture_output=True, text=True,
                          env=cli_env(), timeout=timeout)


def assert_one_line_error(proc, code, command, text=None):
    """Exit ``code`` and a last stderr line ``w2vm COMMAND: error: ...``, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"w2vm {command}: error: "), proc.stderr
    if text is not None:
        assert text in last, last


@pytest.fixture(scope="session")
def corpus():
    return demo_corpus_path()


@pytest.fixture(scope="session")
def model_base(tmp_path_factory, corpus):
    """A small skip-gram model (16 dims, levels 4/8/16) trained once by ``w2vm train``."""
    folder = tmp_path_factory.mktemp("cli-model")
    base = folder / "model"
    proc = run_cli("train", corpus, "--output", base, "--levels", "4,8,16", "--sg", "1", "--epochs", "1",
                   "--workers", "2", "--seed", "3", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return str(base)


@pytest.fixture(scope="session")
def eval_files(tmp_path_factory, model_base):
    """Tiny analogy and word-pair files made of words the model knows (no shared data needed)."""
    folder = tmp_path_factory.mktemp("cli-eval")
    analogies = folder / "analogies.txt"
    analogies.write_text(": family\nking queen man woman\nbrother sister father mother\nson daughter he she\n"
                         ": other\nwhale sea ship water\n")
    pairs = folder / "pairs.tsv"
    pairs.write_text("# word1\tword2\tscore\nking\tqueen\t8.5\nman\twoman\t8.3\nwhale\tsea\t7.0\n"
                     "ship\tsea\t7.5\nking\twater\t1.0\nsister\tship\t0.5\nfather\tmother\t8.0\n")
    return str(analogies), str(pairs)
