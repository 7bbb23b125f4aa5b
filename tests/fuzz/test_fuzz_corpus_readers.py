"""Fuzzing the corpus readers: ``LineSentence``, ``PathLineSentences``, ``Text8Corpus``, the native
``corpus_file`` reader (``scan_corpus_file``, ``Word2Vec(corpus_file=...)``, ``build_vocab(corpus_file=...)``)
and compressed inputs.

Bytes that are not UTF-8, NUL bytes, 10 MB lines, empty files, CRLF and
whitespace-only files: every reader yields token lists or raises
``ValueError`` (``UnicodeDecodeError`` included) / ``EOFError`` with a message.
"""
import bz2
import gzip

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fuzz_helpers import check_outcome, fuzz_settings, run_seeded
from w2vm.corpora import LineSentence, PathLineSentences, Text8Corpus
from w2vm.io.compression import CorruptCompressedFileError, TruncatedCompressedFileError
from w2vm.models.vocab import scan_corpus_file, scan_vocab
from w2vm.models.word2vec import Word2Vec

SEEDS = st.integers(0, 2**64 - 1)
EDGE_FILES = {
    "empty": b"",
    "newlines only": b"\n\n\n",
    "whitespace only": b"  \t \n \r\n\x0b\x0c  \n",
    "crlf": b"the cat sat\r\nthe dog sat\r\n",
    "nul bytes": b"the\x00cat sat\nthe \x00 dog\n\x00\n",
    "latin-1": b"caf\xe9 na\xefve the\n",
    "lone surrogate": b"a \xed\xa0\x80 b\n",
    "truncated utf-8": b"the cat \xe4\xb8",
    "no final newline": b"the cat sat",
}


@pytest.mark.parametrize("target", ["corpus_readers", "scan_corpus_file", "word2vec_corpus_file"])
@fuzz_settings(150)
@given(seed=SEEDS)
def test_generated_corpora(target, seed):
    """Token/whitespace soups, bad UTF-8, NUL, long tokens, gz/bz2/xz (sometimes damaged)."""
    run_seeded(target, seed)


@fuzz_settings(100)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_native_and_python_readers_agree(tmp_path_factory, text):
    """On valid UTF-8 with only ASCII whitespace, the native counter equals the Python reader."""
    text = "".join(c if not c.isspace() or c in " \t\n\r\x0b\x0c" else "_" for c in text)
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    counts, _, n_words = scan_corpus_file(str(path))
    py_counts, _, py_words = scan_vocab(LineSentence(str(path)))
    assert counts == py_counts and n_words == py_words


@fuzz_settings(100)
@given(data=st.binary(max_size=300))
def test_random_bytes_every_reader(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "c.txt"
    path.write_bytes(data)
    for make in (LineSentence, PathLineSentences, Text8Corpus):
        check_outcome(lambda: list(make(str(path))))
    check_outcome(lambda: scan_corpus_file(str(path)))


def _readers(path):
    return {
        "LineSentence": lambda: list(LineSentence(path)),
        "PathLineSentences": lambda: list(PathLineSentences(path)),
        "Text8Corpus": lambda: list(Text8Corpus(path)),
        "scan_corpus_file": lambda: scan_corpus_file(path),
        "Word2Vec(corpus_file)": lambda: Word2Vec(corpus_file=path, vector_size=4, min_count=1, epochs=1,
                                                  workers=2),
        "build_vocab(corpus_file)": lambda: Word2Vec(vector_size=4, min_count=1).build_vocab(corpus_file=path),
    }


@pytest.mark.parametrize("name", sorted(EDGE_FILES))
def test_edge_files(tmp_path, name):
    path = str(tmp_path / "c.txt")
    with open(path, "wb") as fh:
        fh.write(EDGE_FILES[name])
    outcomes = {reader: check_outcome(call) for reader, call in _readers(path).items()}
    if name in ("crlf", "nul bytes", "no final newline"):
        assert set(outcomes.values()) == {"loaded"}, outcomes
    if name in ("latin-1", "lone surrogate", "truncated utf-8"):
        assert "loaded" not in outcomes.values(), outcomes  # never silently mis-decoded


def test_crlf_and_nul_tokens(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(EDGE_FILES["crlf"] + EDGE_FILES["nul bytes"])
    sentences = list(LineSentence(str(path)))
    assert sentences[0] == ["the", "cat", "sat"] and sentences[2] == ["the\x00cat", "sat"]
    counts, _, _ = scan_corpus_file(str(path))
    assert counts["the\x00cat"] == 1 and "\x00" in counts and counts["sat"] == 3


@pytest.mark.parametrize("shape", ["one token", "many tokens"])
def test_ten_megabyte_line(tmp_path, shape):
    """A 10 MB line: one 10 MB token, or 3.5 M short tokens (cut into max_sentence_length pieces)."""
    path = str(tmp_path / "c.txt")
    reps = (10 << 20) // 6
    line = b"w" * (10 << 20) if shape == "one token" else b"ab cd " * reps
    n_tokens = 4 + (1 if shape == "one token" else 2 * reps)
    with open(path, "wb") as fh:
        fh.write(b"x y\n" + line + b"\nx y\n")
    if shape == "many tokens":
        lengths = [len(s) for s in LineSentence(path)]
        assert max(lengths) == 10000 and sum(lengths) == n_tokens
        assert sum(map(len, Text8Corpus(path))) == n_tokens
    else:
        # Regression: Text8Corpus grew a space-less run by str concatenation, quadratic in its length.
        assert max(len(w) for s in Text8Corpus(path) for w in s) == 10 << 20
    counts, _, n_words = scan_corpus_file(path)
    assert n_words == sum(counts.values()) == n_tokens
    model = Word2Vec(corpus_file=path, vector_size=4, min_count=1, epochs=1, workers=1)
    assert np.isfinite(model.wv.vectors).all()


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_damaged_compressed_corpus(tmp_path, suffix):
    """Regression (fuzzing): gzip.BadGzipFile / bz2's OSError escaped the corpus readers."""
    path = str(tmp_path / ("c.txt" + suffix))
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00BZh9 not compressed data" * 4)
    for reader, call in _readers(path).items():
        if reader == "scan_corpus_file":
            continue  # the native counter reads uncompressed files only
        with pytest.raises(CorruptCompressedFileError, match="corrupt"):
            call()


def test_truncated_gzip_corpus(tmp_path):
    path = str(tmp_path / "c.txt.gz")
    with open(path, "wb") as fh:
        fh.write(gzip.compress(b"the cat sat on the mat\n" * 2000)[:-20])
    with pytest.raises(TruncatedCompressedFileError) as info:
        list(LineSentence(path))
    assert isinstance(info.value, EOFError)


def test_compressed_corpora_load(tmp_path):
    for suffix, pack in ((".gz", gzip.compress), (".bz2", bz2.compress)):
        path = str(tmp_path / ("c.txt" + suffix))
        with open(path, "wb") as fh:
            fh.write(pack(b"the cat\r\nsat\n\n"))
        assert list(LineSentence(path)) == [["the", "cat"], ["sat"], []]
        model = Word2Vec(corpus_file=path, vector_size=4, min_count=1, epochs=1, workers=1)
        assert sorted(model.wv.index_to_key) == ["cat", "sat", "the"]
