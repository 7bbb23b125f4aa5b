"""The one table of compressions: every suffix reads and writes, damaged data names the file."""
import bz2
import gzip
import lzma

import pytest

from w2vm.io.compression import (COMPRESSED_SUFFIXES, COMPRESSIONS, CorruptCompressedFileError,
                                 TruncatedCompressedFileError, compression_of, disk_position, is_compressed,
                                 open_read, open_write, strip_compression)
from w2vm.io.errors import CorpusReadError

PACK = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def test_the_table_names_every_suffix_once():
    assert COMPRESSED_SUFFIXES == (".gz", ".bz2", ".xz") == tuple(COMPRESSIONS)
    assert [compression_of(f"a.txt{s.upper()}") for s in COMPRESSED_SUFFIXES] == ["gz", "bz2", "xz"]
    assert compression_of("a.txt") is None and not is_compressed("a.gzip") and is_compressed(b"a.xz")
    assert strip_compression("v.bin.gz") == "v.bin" and strip_compression("v.bin") == "v.bin"


@pytest.mark.parametrize("suffix", COMPRESSED_SUFFIXES)
def test_round_trip_and_position(tmp_path, suffix):
    path = tmp_path / f"c.txt{suffix}"
    data = b"the cat sat\n" * 50_000
    with open_write(path) as fh:
        fh.write(data)
    assert path.read_bytes()[:3] == PACK[suffix](b"x")[:3]  # really compressed with that codec
    with open_read(path) as fh:
        head = fh.read(1000)
        assert 0 < disk_position(fh) <= path.stat().st_size
        assert head + fh.read() == data
        assert disk_position(fh) == path.stat().st_size


@pytest.mark.parametrize("suffix", COMPRESSED_SUFFIXES)
def test_damaged_data_is_a_corpus_read_error_naming_the_file(tmp_path, suffix):
    truncated = tmp_path / f"t.txt{suffix}"
    truncated.write_bytes(PACK[suffix](b"word " * 100_000)[:-40])
    with pytest.raises(TruncatedCompressedFileError, match="truncated") as info:
        with open_read(truncated) as fh:
            fh.read()
    assert isinstance(info.value, (CorpusReadError, EOFError, ValueError))
    assert str(truncated) in str(info.value) and info.value.offset is not None
    garbage = tmp_path / f"g.txt{suffix}"
    garbage.write_bytes(b"\x00\x01 certainly not compressed \xff" * 10)
    with pytest.raises(CorruptCompressedFileError, match="corrupt") as info:
        with open_read(garbage) as fh:
            fh.read()
    assert info.value.path == str(garbage)
