import bz2
import gzip
import lzma
import random

import pytest

from w2vm import Word2Vec
from w2vm.corpora import CorpusReadError, LineSentence, PathLineSentences, Text8Corpus, TruncatedCompressedFileError
from w2vm.models.epochs import IndexedCorpusFile


def test_line_sentence_plain_gz_bz2_and_file_object(tmp_path):
    text = "the quick brown fox\n\n  jumps  over\tthe dog \nlast line without newline"
    expected = [["the", "quick", "brown", "fox"], [], ["jumps", "over", "the", "dog"],
                ["last", "line", "without", "newline"]]
    plain = tmp_path / "c.txt"
    plain.write_text(text)
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "c.txt.bz2").write_bytes(bz2.compress(text.encode()))
    for name in ("c.txt", "c.txt.gz", "c.txt.bz2"):
        corpus = LineSentence(tmp_path / name)
        assert list(corpus) == expected
        assert list(corpus) == expected  # restartable
    with open(plain, "rb") as fh:
        corpus = LineSentence(fh)
        assert list(corpus) == expected and list(corpus) == expected
    assert list(LineSentence(plain, limit=1)) == expected[:1]


def test_line_sentence_splits_long_lines(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(str(i) for i in range(25)) + "\n")
    pieces = list(LineSentence(path, max_sentence_length=10))
    assert [len(p) for p in pieces] == [10, 10, 5]
    assert sum(pieces, []) == [str(i) for i in range(25)]


def test_path_line_sentences_reads_a_folder_in_order(tmp_path):
    (tmp_path / "b.txt").write_text("second file\n")
    (tmp_path / "a.txt").write_text("first file\n")
    assert list(PathLineSentences(tmp_path)) == [["first", "file"], ["second", "file"]]
    assert list(PathLineSentences(tmp_path / "a.txt")) == [["first", "file"]]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no corpus files"):
        PathLineSentences(tmp_path / "empty")


def test_text8_corpus_streams_one_long_line(tmp_path):
    words = [f"w{i}" for i in range(25_003)]
    path = tmp_path / "text8"
    path.write_text(" ".join(words))
    sentences = list(Text8Corpus(path, max_sentence_length=10_000))
    assert [len(s) for s in sentences] == [10_000, 10_000, 5_003]
    assert sum(sentences, []) == words


def test_bad_paths(tmp_path):
    for cls in (LineSentence, PathLineSentences, Text8Corpus):
        with pytest.raises(FileNotFoundError):
            cls(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError):
        LineSentence(tmp_path)
    with pytest.raises(ValueError):
        LineSentence(tmp_path, max_sentence_length=0)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok \xff\xfe broken\n")
    with pytest.raises(CorpusReadError, match="line 1 .byte 3.: 'utf-8' codec can't decode byte 0xff"):
        list(LineSentence(bad))
    with pytest.raises(LookupError, match="unknown encoding"):
        LineSentence(bad, encoding="no-such-codec")


# --------------------------------------------------------------------------- dirty data
N_LINES = 20_000
LATIN1_LINE = 12_346  # 1-based


def _dirty_corpus(tmp_path):
    """20,000 lines of UTF-8 with one Latin-1 line (``café`` as the single byte 0xe9)."""
    lines = [f"w{i % 50} café line{i % 7}".encode() for i in range(N_LINES)]
    lines[LATIN1_LINE - 1] = "w1 café latin".encode("latin-1")
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    offset = sum(len(line) + 1 for line in lines[:LATIN1_LINE - 1]) + len(b"w1 caf")
    return path, data, offset


def test_a_latin1_line_is_named_by_every_reader(tmp_path):
    path, data, offset = _dirty_corpus(tmp_path)
    gz = tmp_path / "mixed.txt.gz"
    gz.write_bytes(gzip.compress(data))
    where = f": line {LATIN1_LINE} (byte {offset}): 'utf-8' codec can't decode byte 0xe9: invalid continuation byte"
    readers = {
        "LineSentence": lambda: list(LineSentence(path)),
        "LineSentence .gz": lambda: list(LineSentence(gz)),
        "PathLineSentences": lambda: list(PathLineSentences(tmp_path / "mixed.txt")),
        "Text8Corpus": lambda: list(Text8Corpus(path)),
        "native count": lambda: Word2Vec(corpus_file=str(path), vector_size=4, min_count=1, workers=1),
        "native index": lambda: IndexedCorpusFile(path),
    }
    for name, read in readers.items():
        with pytest.raises(CorpusReadError) as info:
            read()
        assert str(info.value).endswith(where), (name, str(info.value))
        assert info.value.line == LATIN1_LINE and info.value.offset == offset, name
    # as Python's open: another encoding, or another policy
    assert sum(map(len, LineSentence(path, encoding="latin-1"))) == 3 * N_LINES
    replaced = list(LineSentence(path, errors="replace"))
    assert replaced[LATIN1_LINE - 1] == ["w1", "caf\ufffd", "latin"]
    assert list(LineSentence(path, errors="ignore"))[LATIN1_LINE - 1] == ["w1", "caf", "latin"]
    assert len(list(PathLineSentences(tmp_path, errors="replace"))) == 2 * N_LINES


def test_random_bytes_truncated_gz_and_xz(tmp_path):
    noise = tmp_path / "noise.txt"
    noise.write_bytes(b"\x93" + random.Random(3).randbytes(4000))
    for read in (lambda: list(LineSentence(noise)),
                 lambda: Word2Vec(corpus_file=str(noise), vector_size=4, min_count=1, workers=1)):
        with pytest.raises(CorpusReadError, match=r"noise.txt: line 1 \(byte 0\): 'utf-8' codec can't decode byte "
                                                  r"0x93: invalid start byte"):
            read()
    rng = random.Random(4)
    text = b"".join(b"the cat sat on %08d\n" % rng.randrange(10**8) for _ in range(30_000))
    truncated = tmp_path / "cut.txt.gz"
    truncated.write_bytes(gzip.compress(text)[:-2000])
    for read in (lambda: list(LineSentence(truncated)),
                 lambda: Word2Vec(corpus_file=str(truncated), vector_size=4, min_count=1, workers=1)):
        with pytest.raises(TruncatedCompressedFileError) as info:
            read()
        error = info.value
        assert isinstance(error, CorpusReadError) and error.path == str(truncated)
        assert str(error).startswith(f"{truncated}: near line {error.line} (byte {error.offset}): truncated gz data")
        assert error.line == error.offset // 24 + 1  # every line is 24 bytes
    xz = tmp_path / "c.txt.xz"
    xz.write_bytes(lzma.compress(b"the cat sat on the mat\n" * 500))
    assert list(LineSentence(xz)) == [["the", "cat", "sat", "on", "the", "mat"]] * 500
    model = Word2Vec(corpus_file=str(xz), vector_size=4, min_count=1, workers=1, epochs=1)
    assert sorted(model.wv.index_to_key) == ["cat", "mat", "on", "sat", "the"]
    assert model.corpus_total_words == 3000


def test_progress_of_a_pass(tmp_path):
    path = tmp_path / "c.txt.gz"
    path.write_bytes(gzip.compress(b"".join(b"w%d x y z\n" % i for i in range(100_000))))
    corpus = LineSentence(path)
    assert corpus.progress() is None  # no pass yet
    seen = [corpus.progress() for k, _ in enumerate(corpus) if k % 10_000 == 0]
    assert seen == sorted(seen) and 0 <= seen[0] < 0.2 and seen[-1] > 0.8
    assert corpus.progress() == 1.0
