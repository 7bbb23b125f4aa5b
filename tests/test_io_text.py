"""Decoding errors located exactly: line, byte offset and cause, whatever buffering hid them."""
import gzip

import pytest

from w2vm.io.errors import CorpusReadError, CorruptCompressedFileError
from w2vm.io.text import check_encoding, decode_error, error_at_offset, is_strict_utf8, line_of_offset, open_text


def test_line_of_offset_counts_universal_newlines(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"a\nb\r\nc\rd\n")
    assert [line_of_offset(path, k) for k in (0, 2, 5, 7, 8)] == [1, 2, 3, 4, 4]


def test_decode_error_finds_the_bad_byte_past_the_buffer(tmp_path):
    lines = [f"line {i} caf\u00e9" for i in range(30_000)]
    data = "\n".join(lines).encode()
    bad_at = data.index(b"line 20000 ")
    data = data[:bad_at] + b"line 20000 caf\xe9" + data[bad_at + len("line 20000 caf\u00e9".encode()):]
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(data))
    error = decode_error(path)
    assert isinstance(error, CorpusReadError) and isinstance(error, ValueError)
    assert (error.line, error.offset) == (20001, bad_at + len("line 20000 caf"))
    assert "invalid continuation byte" in error.cause and "0xe9" in error.cause
    assert str(error).startswith(f"{path}: line 20001 (byte {error.offset}): 'utf-8' codec")
    # the native reader reports only the byte: the rest is found the same way
    plain = tmp_path / "t.txt"
    plain.write_bytes(data)
    assert str(error_at_offset(plain, error.offset)) == str(error).replace(str(path), str(plain))


def test_a_sequence_cut_by_the_end_of_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"ok\nend \xe2\x82")
    error = decode_error(path)
    assert (error.line, error.offset) == (2, 7) and "unexpected end of data" in error.cause


def test_encodings_and_policies_as_open_takes_them(tmp_path):
    assert check_encoding("UTF8", "strict") == "utf-8" and is_strict_utf8("utf_8", "strict")
    assert not is_strict_utf8("utf-8", "replace") and not is_strict_utf8("latin-1", "strict")
    with pytest.raises(LookupError, match="unknown encoding"):
        check_encoding("no-such-codec", "strict")
    with pytest.raises(LookupError):
        check_encoding("utf-8", "no-such-policy")
    path = tmp_path / "t.txt"
    path.write_bytes(b"caf\xe9\n")
    with open_text(path, "latin-1") as fh:
        assert fh.read() == "caf\u00e9\n"
    with open_text(path, errors="replace") as fh:
        assert fh.read() == "caf\ufffd\n"


def test_errors_pickle_and_keep_their_class():
    import pickle

    error = CorruptCompressedFileError("c.gz", "corrupt gz data", line=3, offset=70)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is CorruptCompressedFileError and str(again) == str(error)
    assert str(error) == "c.gz: near line 3 (byte 70): corrupt gz data"
    assert str(error.with_place(line=9)) == str(error)  # known places are kept
