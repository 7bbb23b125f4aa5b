import math

import numpy as np
import pytest

from w2vm.models import vocab


def test_alias_table_samples_in_proportion_to_weights():
    weights = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    prob, alias = vocab.native.build_alias_table(weights)
    # exact distribution implied by the table
    n = len(weights)
    p = np.zeros(n)
    keep = prob.astype(np.float64) / 2**32
    for bucket in range(n):
        p[bucket] += keep[bucket] / n
        p[alias[bucket]] += (1 - keep[bucket]) / n
    np.testing.assert_allclose(p, weights / weights.sum(), atol=1e-6)
    assert p[3] < 1e-9  # a zero weight is never drawn


def test_negative_table_uses_the_exponent():
    counts = np.array([100, 10, 1], dtype=np.int64)
    prob, alias = vocab.negative_table(counts, 0.0)  # uniform
    assert np.all(prob == 0xFFFFFFFF)
    with pytest.raises(ValueError):
        vocab.negative_table(np.array([0, 0]), 0.75)
    with pytest.raises(ValueError):
        vocab.native.build_alias_table(np.array([1.0, np.nan]))


def test_huffman_tree_is_a_prefix_code_with_short_codes_for_frequent_words():
    counts = np.array([50, 20, 20, 5, 3, 1, 1], dtype=np.int64)
    points, codes, offsets = vocab.huffman_tree(counts)
    paths = [tuple(codes[offsets[w]:offsets[w + 1]]) for w in range(len(counts))]
    for a in range(len(paths)):
        for b in range(len(paths)):
            if a != b:
                assert paths[b][:len(paths[a])] != paths[a], "not a prefix code"
    lengths = [len(p) for p in paths]
    assert lengths[0] == min(lengths) and lengths[-1] == max(lengths)
    # Kraft equality holds for a full binary tree
    assert math.isclose(sum(2.0 ** -n for n in lengths), 1.0)
    # every path starts at the root (row 0) and stays inside the n - 1 inner nodes
    assert all(points[offsets[w]] == 0 for w in range(len(counts)))
    assert points.max() < len(counts) - 1
    # optimal: expected code length equals that of a reference Huffman construction
    import heapq
    heap = [(c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a[0] + b[0]
        heapq.heappush(heap, (a[0] + b[0], -len(heap) - 100))
    assert sum(c * n for c, n in zip(counts, lengths)) == cost


def test_huffman_single_word():
    points, codes, offsets = vocab.huffman_tree(np.array([7], dtype=np.int64))
    assert len(points) == 0 and list(offsets) == [0, 0]


def test_sample_ints_follow_the_word2vec_formula():
    counts = np.array([1_000_000, 1000, 1], dtype=np.int64)
    ints = vocab.sample_ints(counts, 1e-3)
    total = counts.sum()
    threshold = 1e-3 * total
    expected = [min(1.0, (math.sqrt(c / threshold) + 1) * threshold / c) for c in counts]
    np.testing.assert_allclose(ints / 2**32, expected, atol=1e-6)
    assert ints[-1] == 0xFFFFFFFF  # rare words are always kept
    assert np.all(vocab.sample_ints(counts, 0) == 0xFFFFFFFF)


def test_scan_vocab_counts_and_prunes():
    sentences = [["a", "b", "a"], ["c"], []]
    counts, n_sentences, n_words = vocab.scan_vocab(sentences)
    assert counts == {"a": 2, "b": 1, "c": 1}
    assert (n_sentences, n_words) == (3, 4)
    many = [[f"w{i}", "x"] for i in range(1000)]
    counts, _, _ = vocab.scan_vocab(many, max_vocab_size=50)
    assert len(counts) <= 50 and counts["x"] >= 900


def test_effective_min_count_respects_max_final_vocab():
    counts = {"a": 10, "b": 5, "c": 5, "d": 1}
    assert vocab.effective_min_count(counts, 1, 2) == 6
    assert vocab.effective_min_count(counts, 1, None) == 1
    assert vocab.effective_min_count(counts, 1, 10) == 1


def test_trim_rule_must_return_a_known_value():
    with pytest.raises(ValueError, match="trim_rule"):
        vocab.keep_vocab_item("a", 3, 1, trim_rule=lambda w, c, m: "yes")


def test_native_counter_and_lookup_tell_apart_words_that_share_long_prefixes(tmp_path):
    # slots carry a hash tag and keys are compared 8 bytes at a time, then byte
    # by byte: words of every length around those steps, sharing long
    # prefixes, must keep their own counts and ids
    stems = ["a" * k for k in (1, 7, 8, 9, 15, 16, 17, 40)]
    words = [stem + tail for stem in stems for tail in ("", "x", "y", "xy")]
    lines = [" ".join(words[:i + 1]) for i in range(len(words))]
    path = tmp_path / "prefixes.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts, n_sentences, n_words = vocab.scan_corpus_file(path)
    assert n_sentences == len(lines)
    assert counts == {w: len(words) - i for i, w in enumerate(words)}
    lookup = vocab.native.ByteVocab.from_keys(words)
    assert [lookup.get(w) for w in words] == list(range(len(words)))
    assert lookup.get("a" * 41) is None and lookup.get("a" * 16 + "z") is None
