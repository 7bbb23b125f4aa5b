import numpy as np
import pytest

from w2vm.models._native import native
from w2vm.models.batching import iter_chunks


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


def greedy_jobs(sentences, key_to_index, batch_words):
    """The jobs iter_chunks must form, as lists of pieces: each sentence's known ids cut
    every batch_words, packed in order into jobs of at most batch_words ids."""
    jobs, job = [], []
    for sentence in sentences:
        ids = [key_to_index[w] for w in sentence if w in key_to_index]
        for start in range(0, len(ids), batch_words):
            piece = ids[start:start + batch_words]
            if job and sum(map(len, job)) + len(piece) > batch_words:
                jobs.append(job)
                job = []
            job.append(piece)
    return jobs + ([job] if job else [])


# (2, 1500): chunks of thousands of pieces, past the first size of the offset buffers
@pytest.mark.parametrize("batch_words,jobs_per_chunk", [(1, 1), (3, 2), (7, 1), (16, 3), (64, 8), (2, 1500)])
def test_chunks_match_greedy_packing_of_random_sentences(batch_words, jobs_per_chunk):
    rng = np.random.default_rng(batch_words * 10 + jobs_per_chunk)
    key_to_index = {f"w{i}": i for i in range(40)}
    tokens = list(key_to_index) + ["oov1", "oov2", "oov3"]
    sentences = []
    for _ in range(120 if jobs_per_chunk < 100 else 6000):
        length = int(rng.choice([0, 1, 2, 5, 9, 30, 200]))
        sentence = [tokens[k] for k in rng.integers(0, len(tokens), length)]
        sentences.append(tuple(sentence) if rng.random() < 0.3 else sentence)
    chunks = list(iter_chunks(sentences, key_to_index, batch_words, jobs_per_chunk))
    got = []
    for c in chunks:
        assert c.words.dtype == np.uint32 and c.words.flags.c_contiguous
        assert 1 <= c.n_jobs <= jobs_per_chunk
        for j in range(c.n_jobs):
            first, last = c.job_starts[j], c.job_starts[j + 1]
            got.append([c.words[c.sentence_offsets[k]:c.sentence_offsets[k + 1]].tolist()
                        for k in range(first, last)])
    assert got == greedy_jobs(sentences, key_to_index, batch_words)
    assert sum(int(c.job_raw_words.sum()) for c in chunks) == sum(len(s) for s in sentences)
    assert sum(c.n_examples for c in chunks) == len(sentences)


def test_a_sentence_longer_than_a_whole_chunk_is_kept_whole():
    key_to_index = {"a": 0, "b": 1}
    sentences = [["a"] * 5, ["b", "a", "zz"] * 500, ["b"]]
    chunks = list(iter_chunks(sentences, key_to_index, batch_words=4, jobs_per_chunk=2))
    words = np.concatenate([c.words for c in chunks]).tolist()
    assert words == [0] * 5 + [1, 0] * 500 + [1]


def test_sentences_that_are_not_lists_are_listed_or_refused():
    key_to_index = {"a": 0, "b": 1}
    sentences = [iter(["a", "b"]), np.array(["b", "x", "a"]), ("a",)]
    chunks = list(iter_chunks(sentences, key_to_index, 10, 2))
    assert np.concatenate([c.words for c in chunks]).tolist() == [0, 1, 1, 0, 0]
    assert sum(int(c.job_raw_words.sum()) for c in chunks) == 6
    with pytest.raises(TypeError, match="got a plain str"):
        list(iter_chunks([["a"], "a b"], key_to_index, 10, 2))
    with pytest.raises(TypeError, match="got int"):
        list(iter_chunks([7], key_to_index, 10, 2))
    with pytest.raises(ValueError, match="must be >= 1"):
        list(iter_chunks([["a"]], key_to_index, 0, 2))


def test_tokens_that_are_not_str_are_named_or_skipped():
    key_to_index = {"a": 0, "b": 1}
    with pytest.raises(TypeError, match="tokens must be str, got list"):
        list(iter_chunks([["a", ["b"]]], key_to_index, 10, 2))
    # a hashable non-str token can never be in a vocabulary of str: it is skipped, as dict.get does
    chunks = list(iter_chunks([["a", 7, "b", None]], key_to_index, 10, 2))
    assert chunks[0].words.tolist() == [0, 1]


def test_lookup_ids_checks_its_buffer_and_sentence():
    key_to_index = {"a": 0, "b": 1}
    out = np.zeros(4, dtype=np.uint32)
    assert native.lookup_ids(["b", "x", "a"], key_to_index, out, 1) == 3
    assert out.tolist() == [0, 1, 0, 0]
    with pytest.raises(ValueError, match="no room"):
        native.lookup_ids(["a", "b"], key_to_index, out, 3)
    with pytest.raises(ValueError, match="no room"):
        native.lookup_ids([], key_to_index, out, -1)
    with pytest.raises(TypeError, match="list or tuple"):
        native.lookup_ids(iter(["a"]), key_to_index, out, 0)
    with pytest.raises(OverflowError):
        native.lookup_ids(["a"], {"a": -1}, out, 0)
    with pytest.raises(TypeError):
        native.lookup_ids(["a"], None, out, 0)
    with pytest.raises(TypeError):
        native.lookup_ids(["a"], key_to_index, None, 0)


def test_lookup_ids_in_a_table_gives_the_dicts_ids():
    rng = np.random.default_rng(5)
    keys = [f"w{i}" for i in range(300)] + ["café", "日本", "x" * 40, ""]
    key_to_index = {k: i for i, k in enumerate(keys)}
    table = native.ByteVocab.from_keys(keys)
    others = ["unknown", "caf\u00e9s", "\udcff", 7, None, ("w1",)]
    for case in range(40):
        # past LOOKUP_BLOCK (256) tokens, so blocks are flushed mid-sentence
        n = int(rng.integers(0, 700))
        pool = keys + others
        sentence = [pool[i] for i in rng.integers(0, len(pool), size=n)]
        if case % 2:
            sentence = tuple(sentence)
        expected = [key_to_index[t] for t in sentence if isinstance(t, str) and t in key_to_index]
        out = np.zeros(n + 3, dtype=np.uint32)
        assert native.lookup_ids(sentence, key_to_index, out, 3, table) == 3 + len(expected)
        assert out[3:3 + len(expected)].tolist() == expected
        assert out[:3].tolist() == [0, 0, 0]
    with pytest.raises(TypeError):
        native.lookup_ids(["w1", ["w2"]], key_to_index, np.zeros(2, dtype=np.uint32), 0, table)
    with pytest.raises(TypeError):
        native.lookup_ids(["w1"], key_to_index, np.zeros(2, dtype=np.uint32), 0, key_to_index)


def test_iter_chunks_refuses_a_table_of_another_vocabulary():
    table = native.ByteVocab.from_keys(["a", "b", "c"])
    with pytest.raises(ValueError, match="lookup table has 3 keys, the vocabulary 2"):
        list(iter_chunks([["a"]], {"a": 0, "b": 1}, 10, 2, table))
    chunks = list(iter_chunks([["c", "x", "a"], ["b"]], {"a": 0, "b": 1, "c": 2}, 10, 2, table))
    assert np.concatenate([c.words for c in chunks]).tolist() == [2, 0, 1]
