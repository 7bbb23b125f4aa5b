import bz2
import gzip

import pytest

from w2vm.corpora import LineSentence, PathLineSentences, Text8Corpus


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
    with pytest.raises(UnicodeDecodeError):
        list(LineSentence(bad))
