import numpy as np
import pytest

from w2vm.models.batching import iter_chunks, prefetch


def test_chunks_are_valid_csr_and_cover_the_corpus():
    key_to_index = {w: i for i, w in enumerate("abcdefgh")}
    sentences = [list("abc"), list("xyz"), list("hgfedcba") * 3, [], list("a")]
    chunks = list(iter_chunks(sentences, key_to_index, batch_words=5, jobs_per_chunk=2))
    words = np.concatenate([c.words for c in chunks])
    expected = [key_to_index[w] for s in sentences for w in s if w in key_to_index]
    assert words.tolist() == expected
    assert sum(int(c.job_raw_words.sum()) for c in chunks) == sum(len(s) for s in sentences)
    assert sum(c.n_examples for c in chunks) == len(sentences)
    for c in chunks:
        assert c.sentence_offsets[0] == 0 and c.sentence_offsets[-1] == len(c.words)
        lengths = np.diff(c.sentence_offsets)
        assert lengths.max() <= 5  # long sentences split at batch_words
        for j in range(c.n_jobs):
            s0, s1 = c.job_starts[j], c.job_starts[j + 1]
            assert c.sentence_offsets[s1] - c.sentence_offsets[s0] <= 5
        assert c.n_jobs <= 2


def test_prefetch_forwards_items_and_errors():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def failing():
        yield 1
        raise KeyError("boom")

    got = []
    with pytest.raises(KeyError, match="boom"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_the_producer_when_the_consumer_stops():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    for item in prefetch(endless(), depth=2):
        if item == 5:
            break
    n = len(produced)
    assert n < 20
