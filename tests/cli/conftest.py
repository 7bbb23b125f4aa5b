"""Fixtures for the command-line tests: a small trained model and evaluation files (helpers in ``cli_helpers``)."""
import pytest

from cli_helpers import run_cli
from w2vm.cli.demo import demo_corpus_path


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
