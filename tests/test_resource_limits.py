"""Resource limits: memory that must not grow with the input, and reads that must stop early.

- Training streams its corpus: peak RSS is the same for a corpus and for ten
  times that corpus with the same vocabulary (iterable and ``corpus_file``
  paths; each run in a fresh process so that its peak is its own).
- ``max_vocab_size`` bounds the vocabulary scan, whatever the number of
  distinct tokens (tracemalloc for the Python scan, RSS for the native one),
  and the frequent words survive the pruning.
- ``load_word2vec_format(limit=...)`` reads a prefix of the file, not all of it.

The ``slow`` test at the end (10x the shared corpus, ~164M tokens, a few
minutes) only runs with ``W2VM_MEMORY_10X=1``.
"""
import os
import sys
import tracemalloc

import numpy as np
import pytest

from resource_helpers import UNDER_ASAN, GeneratedCorpus, run_child
from w2vm import KeyedVectors, Word2Vec

# ---------------------------------------------------------------- training memory is flat

TRAIN_CHILD = r"""
import json, sys, time
from resource_helpers import GeneratedCorpus, peak_rss_mb
from w2vm import Word2Vec

mode, n_tokens, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
model = Word2Vec(vector_size=64, levels=[16, 32, 64], window=5, min_count=1, sg=0, negative=5,
                 workers=2, seed=1)
start = time.perf_counter()
if mode == "file":
    model.build_vocab(corpus_file=path)
    trained, raw = model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
else:
    corpus = GeneratedCorpus(n_tokens)
    model.build_vocab(corpus)
    trained, raw = model.train(corpus, total_examples=model.corpus_count, epochs=1)
print(json.dumps({"mode": mode, "raw_words": raw, "vocab": len(model.wv), "peak_rss_mb": peak_rss_mb(),
                  "seconds": time.perf_counter() - start}))
"""

S = 300_000
# A leak of 4 bytes per token (one id kept per word) would add ~10 MB between S and 10 S.
RSS_GROWTH_LIMIT_MB = 8.0


def _train_peaks(tmp_path, mode, sizes):
    rows = []
    for n in sizes:
        path = GeneratedCorpus(n).write(tmp_path / f"corpus-{n}.txt") if mode == "file" else "-"
        rows.append(run_child(TRAIN_CHILD, mode, n, path))
        if mode == "file":
            os.unlink(path)
    return rows


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS (VmHWM) is read from /proc")
@pytest.mark.skipif(UNDER_ASAN, reason="peak RSS is meaningless under AddressSanitizer (quarantine, shadow memory)")
@pytest.mark.parametrize("mode", ["iter", "file"])
def test_training_memory_does_not_grow_with_the_corpus(tmp_path, mode):
    small, big = _train_peaks(tmp_path, mode, [S, 10 * S])
    assert small["raw_words"] == S and big["raw_words"] == 10 * S
    assert small["vocab"] == big["vocab"] == 2000
    growth = big["peak_rss_mb"] - small["peak_rss_mb"]
    assert growth < RSS_GROWTH_LIMIT_MB, (
        f"peak RSS grew by {growth:.1f} MB from {S:,} to {10 * S:,} tokens ({mode}): "
        f"{small['peak_rss_mb']:.1f} -> {big['peak_rss_mb']:.1f} MB")


# ---------------------------------------------------------------- max_vocab_size bounds the scan

N_FREQUENT = 50


class ManyUniques:
    """Sentences of the 50 frequent words plus 5 tokens never seen before: ``n_unique`` types."""

    def __init__(self, n_unique):
        self.n_unique = n_unique

    def __iter__(self):
        frequent = [f"f{i}" for i in range(N_FREQUENT)]
        for s in range(self.n_unique // 5):
            yield frequent[s % 10::10] + [f"u{5 * s + j}" for j in range(5)]


def _scan_peak(n_unique, max_vocab_size):
    # min_count=2: the final vocabulary is the 50 frequent words whatever the pruning kept last
    model = Word2Vec(vector_size=8, min_count=2, max_vocab_size=max_vocab_size)
    corpus = ManyUniques(n_unique)
    tracemalloc.start()
    try:
        model.build_vocab(corpus, keep_raw_vocab=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return model, peak / 2**20


def _frequent_counts_are_exact(counts, n_unique):
    expected = n_unique // 5 * 5 // N_FREQUENT  # each sentence has 5 of the 50
    return all(counts.get(f"f{i}") == expected for i in range(N_FREQUENT))


def test_max_vocab_size_bounds_the_scan_of_an_iterable():
    # (tracemalloc slows the scan sixfold: the sizes are small, the ratios are what matter)
    small_model, small_peak = _scan_peak(20_000, 1_000)
    big_model, big_peak = _scan_peak(200_000, 1_000)
    _, unbounded_peak = _scan_peak(20_000, None)
    # ten times the distinct tokens in the same memory, far below keeping them all
    assert big_peak < 1.25 * small_peak, (small_peak, big_peak)
    assert small_peak < unbounded_peak / 4, (small_peak, unbounded_peak)
    for model, n_unique in ((small_model, 20_000), (big_model, 200_000)):
        assert len(model.raw_vocab) <= 1_000 + 5
        assert _frequent_counts_are_exact(model.raw_vocab, n_unique)
        assert sorted(model.wv.index_to_key) == sorted(f"f{i}" for i in range(N_FREQUENT))


def _write_uniques(path, n_unique):
    with open(path, "w", encoding="utf-8") as fh:
        batch = []
        for sentence in ManyUniques(n_unique):
            batch.append(" ".join(sentence))
            if len(batch) == 8192:
                fh.write("\n".join(batch) + "\n")
                batch = []
        fh.write("\n".join(batch) + "\n")
    return path


SCAN_CHILD = r"""
import json, sys
from resource_helpers import peak_rss_mb
from w2vm import Word2Vec

path, limit = sys.argv[1], int(sys.argv[2]) or None
before = peak_rss_mb()
model = Word2Vec(vector_size=8, min_count=2, max_vocab_size=limit)
model.build_vocab(corpus_file=path, keep_raw_vocab=True)
frequent = {f"f{i}": model.raw_vocab.get(f"f{i}") for i in range(50)}
print(json.dumps({"grew": peak_rss_mb() - before, "types": len(model.raw_vocab), "frequent": frequent,
                  "vocab": len(model.wv)}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS (VmHWM) is read from /proc")
@pytest.mark.skipif(UNDER_ASAN, reason="peak RSS is meaningless under AddressSanitizer (quarantine, shadow memory)")
def test_max_vocab_size_bounds_the_native_scan_of_a_corpus_file(tmp_path):
    n_unique = 1_000_000
    path = _write_uniques(tmp_path / "uniques.txt", n_unique)
    bounded = run_child(SCAN_CHILD, path, 10_000)
    unbounded = run_child(SCAN_CHILD, path, 0)
    assert unbounded["types"] == n_unique + N_FREQUENT
    assert bounded["types"] <= 10_000 + 5
    assert bounded["vocab"] == unbounded["vocab"] == N_FREQUENT
    assert bounded["frequent"] == unbounded["frequent"]
    assert _frequent_counts_are_exact(bounded["frequent"], n_unique)
    # The native scan prunes after every sentence, as scan_vocab does: it holds its 4 MiB read
    # buffer and a table of about max_vocab_size types (4.5 MB measured; ~240 MB unbounded).
    assert bounded["grew"] < 16, f"the bounded scan grew the process by {bounded['grew']:.1f} MB"
    assert bounded["grew"] < unbounded["grew"] / 4, (bounded["grew"], unbounded["grew"])


def test_native_and_python_scans_prune_alike(tmp_path):
    from w2vm.corpora import LineSentence
    from w2vm.models import vocab

    path = _write_uniques(tmp_path / "uniques.txt", 100_000)
    python = vocab.scan_vocab(LineSentence(str(path)), max_vocab_size=5_000)
    native = vocab.scan_corpus_file(str(path), max_vocab_size=5_000)
    assert native[1:] == python[1:]
    assert native[0] == dict(python[0])


# ---------------------------------------------------------------- load_word2vec_format(limit=...)

N_ROWS = 200_000
DIM = 10


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    rng = np.random.default_rng(0)
    kv = KeyedVectors(DIM)
    kv.add_vectors([f"word{i}" for i in range(N_ROWS)], rng.standard_normal((N_ROWS, DIM)).astype(np.float32))
    files = {}
    for binary in (False, True):
        path = str(folder / f"big.{'bin' if binary else 'txt'}")
        kv.save_word2vec_format(path, binary=binary)
        files[binary] = path
    return kv, files


def _bytes_read():
    with open("/proc/self/io") as fh:
        for line in fh:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise OSError("no rchar")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_limit_reads_only_a_prefix(big_files, binary):
    kv, files = big_files
    path = files[binary]
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        start = _bytes_read() if os.path.exists("/proc/self/io") else None
        small = KeyedVectors.load_word2vec_format(path, binary=binary, limit=10)
        read = _bytes_read() - start if start is not None else None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert small.index_to_key == kv.index_to_key[:10]
    np.testing.assert_allclose(small.vectors, kv.vectors[:10], rtol=1e-6)
    assert peak < 1 << 20, f"loading 10 rows of a {size >> 20} MB file took {peak >> 10} KB"
    if read is not None:
        assert read < 1 << 20, f"loading 10 rows read {read >> 10} KB of a {size >> 10} KB file"


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_limit_ignores_what_follows_the_last_row_read(tmp_path, binary):
    # Rows past the limit are never parsed: garbage (not UTF-8, not numbers, truncated) may follow.
    rng = np.random.default_rng(1)
    kv = KeyedVectors(DIM)
    kv.add_vectors([f"w{i}" for i in range(10)], rng.standard_normal((10, DIM)).astype(np.float32))
    path = tmp_path / ("g.bin" if binary else "g.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    data = path.read_bytes()
    body = data.split(b"\n", 1)[1]
    garbage = b"\xff\xfe not a row \x00" + rng.integers(0, 256, 3 << 20, dtype=np.uint8).tobytes()
    path.write_bytes(f"{N_ROWS} {DIM}\n".encode() + body + garbage)
    loaded = KeyedVectors.load_word2vec_format(str(path), binary=binary, limit=10)
    assert loaded.index_to_key == kv.index_to_key
    np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-6)
    with pytest.raises(ValueError):  # without the limit the garbage is read, and refused
        KeyedVectors.load_word2vec_format(str(path), binary=binary, limit=11)


def test_limit_with_no_header_stops_counting_rows(tmp_path):
    # GloVe files (no header) are sized by a first pass over the lines: it must stop at the limit too.
    rng = np.random.default_rng(2)
    rows = "".join(f"w{i} " + " ".join(f"{x:.4f}" for x in rng.standard_normal(DIM)) + "\n" for i in range(10))
    path = tmp_path / "glove.txt"
    path.write_bytes(rows.encode() + b"\xff garbage without values\n" * 1000)
    loaded = KeyedVectors.load_word2vec_format(str(path), no_header=True, limit=10)
    assert len(loaded) == 10 and loaded.vector_size == DIM


# ---------------------------------------------------------------- 10x the shared corpus (opt-in)

SHARED_TOKENS = 16_355_383   # ../shared/data/stats.json: the shared corpus


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("W2VM_MEMORY_10X") != "1",
                    reason="minutes long: set W2VM_MEMORY_10X=1 to stream 10x the shared corpus")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS (VmHWM) is read from /proc")
@pytest.mark.skipif(UNDER_ASAN, reason="peak RSS is meaningless under AddressSanitizer (quarantine, shadow memory)")
@pytest.mark.parametrize("mode", ["iter", "file"])
def test_training_memory_at_ten_times_the_shared_corpus(tmp_path, mode):
    small, big = _train_peaks(tmp_path, mode, [SHARED_TOKENS, 10 * SHARED_TOKENS])
    for row in (small, big):
        print(f"{mode}: {row['raw_words']:,} tokens, peak RSS {row['peak_rss_mb']:.1f} MB, "
              f"{row['seconds']:.0f} s", file=sys.stderr)
    assert big["raw_words"] == 10 * SHARED_TOKENS
    growth = big["peak_rss_mb"] - small["peak_rss_mb"]
    assert growth < max(RSS_GROWTH_LIMIT_MB, 0.05 * small["peak_rss_mb"]), (small, big)
