"""What gensim's documentation examples import from ``gensim.test.utils``.

``common_texts`` (the nine "Deerwester" documents of gensim's tutorials),
``get_tmpfile`` and ``temporary_file``, so that an example runs after
``gensim`` becomes ``w2vm`` in its imports. ``datapath`` finds gensim's test
files (``lee_background.cor``, ``questions-words.txt`` ...) in gensim's
installation when gensim is installed, and ``lee_corpus_list`` is gensim's:
w2vm does not ship them.

>>> from w2vm.models import Word2Vec
>>> from w2vm.test.utils import common_texts, get_tmpfile
>>> model = Word2Vec(common_texts, vector_size=16, min_count=1, workers=1)
>>> model.save(get_tmpfile("word2vec.model"))
"""
import contextlib
import os
import shutil
import tempfile

__all__ = ["common_texts", "datapath", "get_tmpfile", "temporary_file", "lee_corpus_list"]

common_texts = [
    ["human", "interface", "computer"],
    ["survey", "user", "computer", "system", "response", "time"],
    ["eps", "user", "interface", "system"],
    ["system", "human", "system", "eps"],
    ["user", "response", "time"],
    ["trees"],
    ["graph", "trees"],
    ["graph", "minors", "trees"],
    ["graph", "minors", "survey"],
]


def datapath(fname):
    """Full path of gensim's test data file ``fname`` (gensim must be installed).

    Raises
    ------
    FileNotFoundError
        gensim is not installed, or its test data has no such file.
    """
    try:
        from gensim.test.utils import datapath as gensim_datapath
    except ImportError:
        raise FileNotFoundError(f"{fname}: w2vm ships no gensim test data; install gensim to use "
                                "its files through datapath()") from None
    path = gensim_datapath(fname)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file in gensim's test data")
    return path


def get_tmpfile(suffix):
    """A path named ``suffix`` in a new temporary folder (the file is not created)."""
    return os.path.join(tempfile.mkdtemp(), suffix)


@contextlib.contextmanager
def temporary_file(name=""):
    """The path ``name`` in a temporary folder that is removed, with its content, on exit."""
    folder = tempfile.mkdtemp()
    try:
        yield os.path.join(folder, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def __getattr__(name):
    # gensim's tokenised Lee corpus, read from gensim's test data on first use
    if name == "lee_corpus_list":
        try:
            from gensim.test.utils import lee_corpus_list
        except ImportError:
            raise AttributeError("lee_corpus_list is gensim's test data: install gensim to use it") from None
        return lee_corpus_list
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
