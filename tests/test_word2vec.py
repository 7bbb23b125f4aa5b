import logging
import threading
import time
import random

import numpy as np
import pytest

from corpus_helpers import make_topic_corpus, shared_data, topic_purity
from w2vm import KeyedVectors, Word2Vec, set_seed
from w2vm.models._native import native
from w2vm.models.callbacks import CallbackAny2Vec
from w2vm.models.word2vec import LineSentence
from w2vm.utils import get_seed

MODES = [
    pytest.param(dict(sg=1, hs=0, negative=5), id="sg-ns"),
    pytest.param(dict(sg=1, hs=1, negative=0), id="sg-hs"),
    pytest.param(dict(sg=0, hs=0, negative=5), id="cbow-ns"),
    pytest.param(dict(sg=0, hs=1, negative=0), id="cbow-hs"),
]


def noisy_topic_corpus(noise=0.6, n_topics=40, words_per_topic=10, n_sentences=3000, seed=0):
    """Topic sentences where ``noise`` of the tokens are random words: hard at 4 dimensions."""
    rng = random.Random(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    everything = [w for words in topics for w in words]
    sentences = []
    for _ in range(n_sentences):
        topic = rng.choice(topics)
        sentences.append([rng.choice(everything) if rng.random() < noise else rng.choice(topic)
                          for _ in range(10)])
    return topics, sentences


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_learns_topics_at_every_level(mode, topic_corpus):
    topics, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=32, levels=[8, 16, 32], min_count=1, workers=2,
                     epochs=5, seed=7, **mode)
    for level in (8, 16, 32):
        # a random embedding scores about 1/8 here
        assert topic_purity(model.wv, topics, level=level) > 0.8, level


@pytest.fixture(params=[1 << 62, 1], ids=["end-of-job-syncs", "sync-every-sentence"])
def replica_sync_trainings(request):
    old = native.set_replica_sync_trainings(request.param)
    yield request.param
    native.set_replica_sync_trainings(old)


@pytest.mark.parametrize("source", ["iterable", "corpus_file"])
@pytest.mark.parametrize("sg", [1, 0], ids=["sg", "cbow"])
@pytest.mark.parametrize("output", ["hs", "ns"])
def test_threads_hand_back_their_private_output_rows(output, sg, source, topic_corpus, tmp_path,
                                                     replica_sync_trainings):
    # With several threads the hottest output rows (here all of them: 16
    # dimensions leave room for 6,400 rows) are trained in per-thread copies
    # that are merged into the shared rows as training goes and at the end of
    # each job. With the mid-job syncs off, a lost end-of-job merge would leave
    # every output row untrained; with a sync after every sentence, a mid-job
    # sync that lost or doubled a thread's changes would spoil the topics.
    topics, sentences = topic_corpus
    params = dict(vector_size=16, levels=[8, 16], min_count=1, workers=2, epochs=2, seed=3, sg=sg,
                  batch_words=500, hs=int(output == "hs"), negative=0 if output == "hs" else 5)
    if source == "corpus_file":
        path = tmp_path / "corpus.txt"
        path.write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
        model = Word2Vec(corpus_file=str(path), **params)
    else:
        model = Word2Vec(sentences, **params)
    outputs = model.syn1[:len(model.wv) - 1] if output == "hs" else model.syn1neg
    assert np.all(np.abs(outputs).sum(axis=1) > 0)
    assert np.isfinite(outputs).all()
    for level in (8, 16):
        assert topic_purity(model.wv, topics, level=level) > 0.8, level


@pytest.mark.parametrize("steps", [1, 600], ids=["one-update", "row-syncs"])
@pytest.mark.parametrize("n_rows", [0, 3, 8])
def test_replica_syncs_add_every_threads_changes(n_rows, steps):
    # B's copies predate A's sync: overwriting the shared rows with B's copies
    # (instead of adding B's change) would lose A's change. With 600 updates per
    # row each row is also synced on its own (every ROW_SYNC_UPDATES = 64), and
    # the updates after its last row sync must still reach the full sync. Rows
    # past n_rows are written in place (their update count shares one slot).
    rng = np.random.default_rng(0)
    start = rng.standard_normal((8, 5)).astype(np.float32)
    change_a = rng.standard_normal((8, 5)).astype(np.float32)
    change_b = rng.standard_normal((8, 5)).astype(np.float32)
    shared = start.copy()
    copies = native.replica_merge_check(shared, n_rows, change_a, change_b, steps=steps)
    np.testing.assert_allclose(shared, start + change_a + change_b, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(copies, shared[:n_rows])
    with pytest.raises(ValueError, match="n_rows"):
        native.replica_merge_check(shared, 9, change_a, change_b)
    with pytest.raises(ValueError, match="shape"):
        native.replica_merge_check(shared, 3, change_a[:4], change_b)


def splitmix64(state):
    """The kernels' ``next_random``: returns (new state, output)."""
    mask = (1 << 64) - 1
    state = (state + 0x9E3779B97F4A7C15) & mask
    z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return state, z ^ (z >> 31)


def reference_negatives(prob, alias, seed, n):
    """n draws from the negatives' own stream of a job seeded ``seed`` (alias method)."""
    _, state = splitmix64(seed ^ 0x6E65676174697665)
    drawn = []
    for _ in range(n):
        state, r = splitmix64(state)
        bucket = ((r >> 32) * len(prob)) >> 32
        drawn.append(bucket if (r & 0xFFFFFFFF) < int(prob[bucket]) else int(alias[bucket]))
    return drawn


def test_negatives_are_drawn_ahead_in_order_from_their_own_stream(topic_corpus):
    # the kernels draw negatives a few trainings before they are used, into a
    # ring: the trainings must still take them in the order they were drawn,
    # with no draw lost or taken twice when the ring wraps
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, levels=[8], min_count=1, negative=7, workers=1, seed=1)
    model.build_vocab(sentences)
    trainer = model._native_trainer(False)
    tables = model._sampling_tables()
    taken = native.negatives_check(trainer, 12345, 37)
    assert taken.shape == (37, 7)
    assert taken.ravel().tolist() == reference_negatives(tables["alias_prob"], tables["alias_index"],
                                                         12345, 37 * 7)
    # and they follow count ** 0.75
    many = native.negatives_check(trainer, 7, 40000).ravel()
    counts = model.wv.expandos["count"].astype(np.float64)
    np.testing.assert_allclose(np.bincount(many, minlength=len(counts)) / many.size,
                               counts ** 0.75 / (counts ** 0.75).sum(), atol=0.004)
    hs_only = Word2Vec(vector_size=8, levels=[8], min_count=1, hs=1, negative=0, workers=1)
    hs_only.build_vocab(sentences)
    with pytest.raises(ValueError, match="negative=0"):
        native.negatives_check(hs_only._native_trainer(False), 1, 1)


@pytest.mark.parametrize("mode", MODES)
def test_saturated_scores_train_nothing(mode, topic_corpus):
    # word2vec.c and gensim skip an output row whose score is outside
    # (-MAX_EXP, MAX_EXP) (8 here). Every score below is 10 (level 8) or 20
    # (level 16), and every negative sample and every HS branch coded 1 is
    # confidently wrong, which a clamped sigmoid would still train at full rate.
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=16, levels=[8, 16], min_count=1, workers=1, seed=1, **mode)
    model.build_vocab(sentences)
    outputs = model.syn1 if mode["hs"] else model.syn1neg
    model.wv.vectors[:] = 1.0
    outputs[:] = 1.25
    model.train(sentences, total_examples=len(sentences), epochs=1)
    assert np.all(model.wv.vectors == 1.0)
    assert np.all(outputs == 1.25)


def table_sigmoid(score):
    """The kernels' sigmoid: a 4096-entry table over (-8, 8), indexed in float32."""
    index = int(np.float32(np.float32(score) + np.float32(8)) * np.float32(256))
    x = ((index + 0.5) / 4096 * 2.0 - 1.0) * 8
    return float(np.float32(1.0 / (1.0 + np.exp(-x))))


def reference_hs_path(hidden, syn1, points, codes, ends, weights, alpha):
    """Node after node, as word2vec.c walks a path: returns the input error; updates syn1."""
    error = np.zeros_like(hidden)
    for node, code in zip(points, codes):
        row = syn1[node]
        scores = np.cumsum([hidden[a:b] @ row[a:b] for a, b in zip([0] + ends[:-1], ends)])
        grads, total = [], 0.0
        for level in reversed(range(len(ends))):
            if -8 < scores[level] < 8:
                total += weights[level] * ((1 - code) - table_sigmoid(scores[level])) * alpha
            grads.insert(0, total)
        for (a, b), g in zip(zip([0] + ends[:-1], ends), grads):
            error[a:b] += g * row[a:b]
            row[a:b] += g * hidden[a:b]
    return error


@pytest.mark.parametrize("sg", [1, 0])
def test_hierarchical_softmax_matches_a_node_by_node_reference(sg):
    # The kernels take every score of a path before updating any node (the
    # nodes are distinct rows); the result must equal word2vec.c's node-by-node walk.
    counts = {"a": 9, "b": 5, "c": 3, "d": 2, "e": 1, "f": 1}
    model = Word2Vec(vector_size=24, levels=[5, 24], level_weights=[0.5, 1.0], sg=sg, hs=1,
                     negative=0, window=2, shrink_windows=False, sample=0, min_count=1,
                     workers=1, seed=1)
    model.build_vocab([[w] * n for w, n in counts.items()])
    rng = np.random.default_rng(0)
    model.wv.vectors[:] = rng.uniform(-0.5, 0.5, model.wv.vectors.shape)
    model.syn1[:] = rng.uniform(-0.5, 0.5, model.syn1.shape)
    syn0 = model.wv.vectors.astype(np.float64)
    syn1 = model.syn1.astype(np.float64)
    tables = model._sampling_tables()
    points, codes, offsets = tables["hs_points"], tables["hs_codes"], tables["hs_offsets"]
    assert max(np.diff(offsets)) >= 3  # paths of several nodes
    sentence = ["e", "a", "b", "f", "c", "a", "d"]
    ids = [model.wv.key_to_index[w] for w in sentence]
    alpha = float(np.float32(0.025))
    for i, centre in enumerate(ids):
        path = slice(offsets[centre], offsets[centre + 1])
        context = [ids[j] for j in range(max(0, i - 2), min(len(ids), i + 3)) if j != i]
        if sg:
            for word in context:
                syn0[word] += reference_hs_path(syn0[word].copy(), syn1, points[path], codes[path],
                                                [5, 24], [0.5, 1.0], alpha)
        else:
            hidden = syn0[context].mean(axis=0)
            error = reference_hs_path(hidden, syn1, points[path], codes[path], [5, 24], [0.5, 1.0],
                                      alpha)
            for word in context:
                syn0[word] += error
    model.train([sentence], total_examples=1, epochs=1, start_alpha=0.025, end_alpha=0.025)
    np.testing.assert_allclose(model.syn1, syn1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.wv.vectors, syn0, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_level_gradients_train_the_prefix(mode):
    # The first 4 dimensions of a levels model must beat the first 4 of a model
    # trained only at full size: this fails if the prefix gradient is not applied.
    topics, sentences = noisy_topic_corpus()
    common = dict(vector_size=32, min_count=1, workers=1, epochs=5, seed=1, **mode)
    nested = Word2Vec(sentences, levels=[4, 32], **common)
    single = Word2Vec(sentences, levels=[32], **common)
    assert topic_purity(nested.wv, topics, level=4) > topic_purity(single.wv, topics, level=4) + 0.04


def test_demo_corpus_neighbours_make_sense():
    corpus = LineSentence(shared_demo_corpus())
    model = Word2Vec(corpus, vector_size=50, sg=1, workers=2, seed=1)
    for level in (12, 50):
        neighbours = [w for w, _ in model.wv.most_similar("king", topn=10, level=level)]
        assert {"david", "solomon", "babylon", "nebuchadnezzar", "daniel", "moab"} & set(neighbours)
    assert model.wv.similarity("france", "germany") > model.wv.similarity("france", "whale")


def shared_demo_corpus():
    from importlib.resources import files
    return str(files("w2vm") / "data" / "demo-corpus.txt.gz")


def test_prefix_is_a_slice_of_the_full_vector(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=16, levels=[4, 8, 16], min_count=1, workers=1, epochs=1)
    word = model.wv.index_to_key[3]
    full = model.wv.get_vector(word)
    for m in (4, 8, 16):
        np.testing.assert_array_equal(model.wv.get_vector(word, level=m), full[:m])


def test_default_levels_and_validation():
    assert Word2Vec(vector_size=100).levels == [25, 50, 100]
    assert Word2Vec(vector_size=2).levels == [1, 2]
    assert Word2Vec(vector_size=1).levels == [1]
    for bad in ([50, 25, 100], [0, 100], [25, 50], [25, 25, 100], [-1, 100], []):
        with pytest.raises(ValueError, match="level"):
            Word2Vec(vector_size=100, levels=bad)
    with pytest.raises(TypeError, match="levels"):
        Word2Vec(vector_size=100, levels="25,50,100")
    with pytest.raises(TypeError, match="int"):
        Word2Vec(vector_size=100, levels=[25.5, 100])
    with pytest.raises(ValueError, match="level_weights"):
        Word2Vec(vector_size=100, level_weights=[1, 1])


def test_gensim_defaults():
    model = Word2Vec()
    expected = dict(vector_size=100, alpha=0.025, window=5, min_count=5, max_vocab_size=None,
                    sample=1e-3, seed=1, workers=3, min_alpha=0.0001, sg=0, hs=0, negative=5,
                    ns_exponent=0.75, cbow_mean=1, epochs=5, null_word=0, sorted_vocab=1,
                    batch_words=10000, compute_loss=False, comment=None, max_final_vocab=None,
                    shrink_windows=True)
    for name, value in expected.items():
        assert getattr(model, name) == value, name


def test_workers_1_is_bit_reproducible(topic_corpus):
    _, sentences = topic_corpus
    runs = [Word2Vec(sentences, vector_size=24, min_count=1, workers=1, epochs=2, seed=42, sg=1,
                     hs=1, negative=3).wv.vectors.copy() for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    other = Word2Vec(sentences, vector_size=24, min_count=1, workers=1, epochs=2, seed=43, sg=1,
                     hs=1, negative=3).wv.vectors
    assert not np.array_equal(runs[0], other)


def test_set_seed_is_the_default_seed(topic_corpus):
    _, sentences = topic_corpus
    before = get_seed()
    try:
        set_seed(123)
        a = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1)
        b = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1, seed=123)
        assert a.seed == 123
        np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
        with pytest.raises(TypeError):
            set_seed("1")
    finally:
        set_seed(before)


def test_save_load_continue_matches_uninterrupted_training(tmp_path, topic_corpus):
    _, sentences = topic_corpus
    params = dict(vector_size=16, levels=[4, 16], min_count=1, workers=1, epochs=1, seed=5, sg=1,
                  hs=1, negative=2)
    straight = Word2Vec(sentences, **params)
    straight.train(sentences, total_examples=len(sentences), epochs=1)

    first = Word2Vec(sentences, **params)
    first.save(tmp_path / "model")
    for suffix in (".vocab.json", ".npy", ".meta.json", ".syn1neg.npy", ".syn1.npy"):
        assert (tmp_path / ("model" + suffix)).exists(), suffix
    resumed = Word2Vec.load(tmp_path / "model")
    assert resumed.levels == [4, 16] and resumed.hs == 1 and resumed.negative == 2
    resumed.train(sentences, total_examples=len(sentences), epochs=1)
    np.testing.assert_array_equal(resumed.wv.vectors, straight.wv.vectors)
    np.testing.assert_array_equal(resumed.syn1neg, straight.syn1neg)
    # the vectors of a model base load as KeyedVectors too
    kv = KeyedVectors.load(str(tmp_path / "model"))
    np.testing.assert_array_equal(kv.vectors, first.wv.vectors)


def test_long_sentences_are_split_not_truncated():
    words = [f"w{i % 50}" for i in range(25_000)]
    model = Word2Vec(vector_size=8, min_count=1, sample=0, workers=2, batch_words=1000)
    model.build_vocab([words])
    trained, raw = model.train([words], total_examples=1, epochs=1)
    assert raw == 25_000
    assert trained == 25_000  # no subsampling: every word is trained


def test_returned_counts_cover_every_epoch_and_oov(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, min_count=1, sample=0, workers=2)
    model.build_vocab(sentences)
    with_oov = [s + ["never-seen-word"] for s in sentences]
    trained, raw = model.train(with_oov, total_examples=len(sentences), epochs=3)
    n_words = sum(len(s) for s in sentences)
    assert raw == 3 * (n_words + len(sentences))
    assert trained == 3 * n_words


def test_train_without_vocabulary_builds_it():
    sentences = [["hello", "world", "again"]] * 20
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    trained, raw = model.train(sentences, epochs=2)
    assert set(model.wv.index_to_key) == {"hello", "world", "again"}
    assert raw == 2 * 60


def test_iterable_training_gives_the_same_vectors_with_the_byte_table_or_the_dict(monkeypatch):
    # str tokens are looked up in a native byte table, other tokens in key_to_index
    sentences = [["hello", "w\u00f6rld", "again", "\udcff", 7, "unseen"]] * 30 + [["again", "hello"]] * 10
    vocabulary = [["hello", "w\u00f6rld", "again"]]

    def train(byte_table):
        if not byte_table:
            monkeypatch.setattr(Word2Vec, "_byte_lookup", lambda self, required: None)
        model = Word2Vec(vector_size=8, min_count=1, workers=1, seed=4, sample=0)
        model.build_vocab(vocabulary)
        assert (model._byte_lookup(required=False) is not None) == byte_table
        model.train(sentences, total_examples=len(sentences), epochs=2)
        monkeypatch.undo()
        return model

    np.testing.assert_array_equal(train(True).wv.vectors, train(False).wv.vectors)

    # a key UTF-8 cannot encode (a lone surrogate, as surrogateescape decoding
    # makes) leaves the batcher on key_to_index alone
    model = Word2Vec(vector_size=8, min_count=1, workers=1, seed=4, sample=0)
    model.build_vocab(vocabulary + [["\udcff"]])
    assert model._byte_lookup(required=False) is None
    before = model.wv["\udcff"].copy()
    model.train(sentences, total_examples=len(sentences), epochs=1)
    assert not np.array_equal(model.wv["\udcff"], before)


def test_word2vec_matryoshka_flow(tmp_path):
    # the README flow of word2vec-matryoshka, with the import changed
    set_seed(42)
    try:
        sentences = [["hello", "world"], ["hello", "there"], ["goodbye", "world"]] * 10
        model = Word2Vec(sentences=sentences, vector_size=64, window=5, min_count=1, workers=2,
                         negative=5, sg=1, hs=0, levels=[16, 32, 64], alpha=0.025,
                         min_alpha=0.0001, verbose=True, progress_interval=1.0)
        assert model.wv["hello"].shape == (64,)
        assert model.wv.get_vector("hello", level=16).shape == (16,)
        assert len(model.wv.most_similar("hello", topn=2, level=32)) == 2
        assert model.wv.vectors.shape == (len(model.wv.index_to_key), 64)
        model.wv.save(str(tmp_path / "vectors"))
        loaded = KeyedVectors.load(str(tmp_path / "vectors"), mmap="r")
        np.testing.assert_array_equal(loaded["hello"], model.wv["hello"])
        model.save(str(tmp_path / "model"))
        again = Word2Vec.load(str(tmp_path / "model"))
        again.train([["hello", "world"]], total_examples=1, epochs=1)

        class Corpus:
            def __iter__(self):
                yield from sentences

        later = Word2Vec(vector_size=64, min_count=1, workers=2)
        later.train(Corpus(), epochs=2)
        assert "goodbye" in later.wv
    finally:
        set_seed(1)


def test_generators_are_rejected_when_several_passes_are_needed():
    def gen():
        yield ["a", "b"]

    with pytest.raises(TypeError, match="restartable"):
        Word2Vec(gen(), min_count=1)
    model = Word2Vec(min_count=1, vector_size=4)
    model.build_vocab([["a", "b"]])
    with pytest.raises(TypeError, match="restartable"):
        model.train(gen(), epochs=2)
    # one pass over a generator is fine
    model.train(gen(), total_examples=1, epochs=1)


@pytest.mark.parametrize("bad, kind", [
    ([["ok", 3]], "int"),
    ([["ok", None]], "NoneType"),
    ([["ok", b"bytes"]], "bytes"),
    ([["ok", ["nested"]]], "list"),
])
def test_non_string_tokens_name_the_type(bad, kind):
    with pytest.raises(TypeError, match=kind):
        Word2Vec(bad, min_count=1, vector_size=4)


def test_bad_inputs():
    with pytest.raises(TypeError, match="string"):
        Word2Vec("just a string", min_count=1)
    with pytest.raises(TypeError, match="list of str"):
        Word2Vec(["a sentence as a string"], min_count=1)
    with pytest.raises(TypeError):
        Word2Vec(12345)
    with pytest.raises(ValueError, match="negative"):
        Word2Vec(negative=0, hs=0)
    with pytest.raises(ValueError, match="vector_size"):
        Word2Vec(vector_size=0)
    with pytest.raises(ValueError, match="window"):
        Word2Vec(window=0)
    with pytest.raises(ValueError, match="workers"):
        Word2Vec(workers=0)
    with pytest.raises(TypeError, match="vector_size"):
        Word2Vec(vector_size="100")
    with pytest.raises(ValueError, match="alpha"):
        Word2Vec(alpha=float("nan"))
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([["rare"]], min_count=5)
    with pytest.raises(ValueError, match="empty"):
        Word2Vec([[]], min_count=1)
    with pytest.raises(TypeError, match="both"):
        Word2Vec([["a"]], corpus_file="x.txt")
    with pytest.raises(FileNotFoundError):
        Word2Vec(corpus_file="/nonexistent/corpus.txt")
    with pytest.raises(TypeError, match="unexpected"):
        Word2Vec(vector_size=4).train([["a"]], totl_examples=1)
    with pytest.raises(TypeError, match="progress"):
        Word2Vec([["a", "b"]] * 3, min_count=1, vector_size=4).train([["a"]], epochs=1,
                                                                        progress="yes")


def test_corpus_file_trains_natively_and_counts_exactly(tmp_path, topic_corpus):
    _, sentences = topic_corpus
    path = tmp_path / "corpus.txt"
    # CRLF line ends, an empty line, a blank line and no newline at the end: LineSentence's reading
    lines = [" ".join(s) for s in sentences] + ["", "   ", "t0w1 unknownword t0w2"]
    path.write_bytes("\r\n".join(lines).encode())
    expected = list(LineSentence(str(path)))
    n_words = sum(len(s) for s in expected)

    model = Word2Vec(corpus_file=str(path), vector_size=16, min_count=1, workers=2, sample=0,
                     epochs=2, seed=3)
    assert model.corpus_count == len(expected)
    assert model.corpus_total_words == n_words
    from_list = Word2Vec(expected, vector_size=16, min_count=1, workers=2, sample=0, epochs=2, seed=3)
    assert model.wv.index_to_key == from_list.wv.index_to_key
    for w in model.wv.index_to_key:
        assert model.wv.get_vecattr(w, "count") == from_list.wv.get_vecattr(w, "count")
    trained, raw = model.train(corpus_file=str(path), total_examples=model.corpus_count,
                               total_words=model.corpus_total_words, epochs=3)
    assert raw == 3 * n_words
    assert trained == 3 * n_words  # sample=0: every in-vocabulary word is trained
    # it learns: words of a topic end up closer than words of different topics
    assert model.wv.similarity("t0w1", "t0w2") > model.wv.similarity("t0w1", "t5w2")


def test_corpus_file_workers_1_is_reproducible_and_long_lines_split(tmp_path):
    path = tmp_path / "corpus.txt"
    words = [f"w{i % 40}" for i in range(30_000)]
    path.write_text(" ".join(words) + "\n" + "w1 w2 w3\n")
    runs = []
    for _ in range(2):
        model = Word2Vec(vector_size=8, min_count=1, workers=1, sample=0, seed=9)
        model.build_vocab(corpus_file=str(path))
        assert model.corpus_count == 4  # 30,000 tokens make three sentences of 10,000
        trained, raw = model.train(corpus_file=str(path), epochs=1)
        assert raw == trained == 30_003
        runs.append(model.wv.vectors.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_corpus_file_compressed_and_missing(tmp_path, topic_corpus):
    import gzip
    _, sentences = topic_corpus
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress("\n".join(" ".join(s) for s in sentences).encode()))
    model = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, workers=2, epochs=1)
    assert model.corpus_count == len(sentences)  # compressed files go through the streaming reader
    with pytest.raises(FileNotFoundError):
        Word2Vec(corpus_file=str(tmp_path / "missing.txt"))
    with pytest.raises(IsADirectoryError):
        Word2Vec(corpus_file=str(tmp_path))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine words \xff\xfe here\n")
    with pytest.raises(ValueError, match=r"bad.txt: line 1 \(byte 11\): 'utf-8' codec can't decode byte 0xff"):
        Word2Vec(corpus_file=str(bad), min_count=1)  # a CorpusReadError: the file, line, byte and cause


def test_compute_loss_decreases_and_is_per_level(topic_corpus):
    _, sentences = topic_corpus
    for mode in (dict(sg=1, hs=0, negative=5), dict(sg=1, hs=1, negative=0),
                 dict(sg=0, hs=0, negative=5), dict(sg=0, hs=1, negative=0)):
        model = Word2Vec(sentences, vector_size=16, levels=[4, 16], min_count=1, workers=1,
                         epochs=3, compute_loss=True, **mode)
        history = np.array(model.loss_history)
        assert history.shape == (3, 2)
        assert np.all(history > 0)
        assert history[-1, 1] < history[0, 1], mode  # full level improves
        # gensim's meaning: the full-dimension level's loss since the start of the call
        assert model.get_latest_training_loss() == pytest.approx(history[:, -1].sum())
        model.train(sentences, total_examples=len(sentences), epochs=1)
        assert model.get_latest_training_loss() == pytest.approx(model.loss_history[-1][-1])


def test_callbacks_progress_and_logging(topic_corpus, caplog):
    _, sentences = topic_corpus
    events = []

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            events.append("train_begin")

        def on_epoch_begin(self, model):
            events.append("epoch_begin")

        def on_epoch_end(self, model):
            events.append("epoch_end")

        def on_train_end(self, model):
            events.append("train_end")

    seen = []
    model = Word2Vec(vector_size=8, min_count=1, workers=2)
    model.build_vocab(sentences)
    with caplog.at_level(logging.INFO, logger="w2vm"):
        model.train(sentences, epochs=2, callbacks=[Recorder()], verbose=True, progress_interval=0.0,
                    progress=lambda done, total: seen.append((done, total)))
    assert events == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end", "train_end"]
    total = 2 * model.corpus_total_words
    assert seen[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("EPOCH 1 - PROGRESS: at ") and "words/s" in m for m in messages)
    assert any(m.startswith("EPOCH 2: training on") for m in messages)


def test_a_failing_progress_callback_stops_the_training_threads(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, min_count=1, workers=2, batch_words=50)
    model.build_vocab(sentences)

    def progress(done, total):
        raise RuntimeError("progress broke")

    with pytest.raises(RuntimeError, match="progress broke") as caught:
        model.train(sentences, epochs=1, progress=progress, progress_interval=0.0)
    # the traceback keeps train()'s frame alive: its threads must be gone all the same
    assert caught.value.__traceback__ is not None
    assert not [t for t in threading.enumerate() if t.name == "w2vm-trainer"]
    before = model.wv.vectors.copy()
    time.sleep(0.05)
    np.testing.assert_array_equal(model.wv.vectors, before)  # nothing trains on afterwards


def test_learning_rate_decays_linearly_over_all_epochs(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, min_count=1, workers=1, batch_words=500, alpha=0.05,
                     min_alpha=0.001)
    model.build_vocab(sentences)
    alphas = []

    class Watch(CallbackAny2Vec):
        def on_epoch_end(self, model):
            alphas.append(model.min_alpha_yet_reached)

    model.train(sentences, epochs=4, callbacks=[Watch()])
    assert alphas == sorted(alphas, reverse=True)
    # each epoch is a quarter of the schedule
    expected = [0.05 - 0.049 * (e + 1) / 4 for e in range(4)]
    np.testing.assert_allclose(alphas, expected, atol=0.049 * 500 * 2 / (4 * model.corpus_total_words) + 1e-6)


def test_build_vocab_update_adds_words_and_keeps_training(topic_corpus):
    _, sentences = topic_corpus
    for mode in (dict(hs=0, negative=5), dict(hs=1, negative=0)):
        model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1, **mode)
        old = model.wv.vectors.copy()
        new_sentences = [["brand", "new", "words"] + s[:3] for s in sentences[:50]]
        model.build_vocab(new_sentences, update=True)
        assert {"brand", "new", "words"} <= set(model.wv.key_to_index)
        assert len(model.wv.vectors) == len(old) + 3
        np.testing.assert_array_equal(model.wv.vectors[:len(old)], old)
        assert model.wv.get_vecattr("brand", "count") == 50
        model.train(new_sentences, total_examples=len(new_sentences), epochs=1)
        assert np.all(np.isfinite(model.wv.vectors))
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec(vector_size=4).build_vocab([["a"]], update=True)


def test_vocabulary_options(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=4, min_count=1, max_final_vocab=20)
    model.build_vocab(sentences)
    assert len(model.wv) <= 20
    counts = [model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key]
    assert counts == sorted(counts, reverse=True)

    from w2vm.utils import RULE_DISCARD, RULE_DEFAULT
    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab(sentences, trim_rule=lambda w, c, m: RULE_DISCARD if w.startswith("t0") else RULE_DEFAULT,
                      keep_raw_vocab=True)
    assert not any(k.startswith("t0") for k in model.wv.index_to_key)
    assert "t0w0" in model.raw_vocab

    model = Word2Vec(vector_size=4, min_count=1)
    model.build_vocab_from_freq({"a": 10, "b": 3, "c": 7})
    assert model.wv.index_to_key == ["a", "c", "b"]
    with pytest.raises(TypeError):
        model.build_vocab_from_freq(["a", "b"])


def test_max_vocab_size_bounds_the_scan():
    sentences = [[f"rare{i}", "common"] for i in range(5000)]
    model = Word2Vec(vector_size=4, min_count=1, max_vocab_size=100)
    model.build_vocab(sentences)
    assert len(model.wv) <= 100
    assert "common" in model.wv


def test_shared_corpus_small_quality():
    # a minute-scale sanity check on real text when the shared data is present
    path = shared_data("corpus-small.txt.gz")
    model = Word2Vec(LineSentence(str(path)), vector_size=50, sg=1, workers=2, epochs=1, seed=1)
    pairs = shared_data("eval", "wordsim353.tsv")
    _, spearman, _ = model.wv.evaluate_word_pairs(str(pairs))
    assert spearman[0] > 0.2


def test_hogbatch_learns_every_level_and_is_reproducible(topic_corpus, tmp_path):
    topics, sentences = topic_corpus
    runs = []
    for _ in range(2):
        model = Word2Vec(sentences, vector_size=32, levels=[8, 32], min_count=1, workers=1,
                         epochs=5, seed=4, sg=1, negative=5, hogbatch=True, compute_loss=True)
        runs.append(model.wv.vectors.copy())
        for level in (8, 32):
            assert topic_purity(model.wv, topics, level=level) > 0.8
        assert model.loss_history[-1][1] < model.loss_history[0][1]
    np.testing.assert_array_equal(runs[0], runs[1])
    model.save(tmp_path / "hb")
    assert Word2Vec.load(tmp_path / "hb").hogbatch is True


def test_hogbatch_needs_skipgram_negative_sampling():
    for params in (dict(sg=0), dict(sg=1, hs=1, negative=0), dict(sg=1, hs=1, negative=5)):
        with pytest.raises(ValueError, match="hogbatch"):
            Word2Vec(hogbatch=True, **params)


def test_predict_output_word(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=16, min_count=1, workers=1, epochs=5, sg=0)
    predicted = model.predict_output_word(["t0w1", "t0w2", "t0w3"], topn=5)
    assert len(predicted) == 5
    assert sum(w.startswith("t0") for w, _ in predicted) >= 4
    assert all(0 <= p <= 1 for _, p in predicted)
    assert model.predict_output_word(["nope"]) is None
    assert len(model.predict_output_word(["t0w1"], topn=3, level=4)) == 3
    with pytest.raises(TypeError):
        model.predict_output_word("t0w1")
    with pytest.raises(RuntimeError):
        Word2Vec(sentences, vector_size=8, min_count=1, hs=1, negative=0, epochs=1).predict_output_word(["t0w1"])


def test_load_rejects_broken_model_files(tmp_path, topic_corpus):
    import json
    _, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1)
    base = str(tmp_path / "m")
    model.save(base)
    (tmp_path / "m.syn1neg.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="syn1neg"):
        Word2Vec.load(base)
    (tmp_path / "m.syn1neg.npy").unlink()
    with pytest.raises(FileNotFoundError, match="output weights"):
        Word2Vec.load(base)
    model.save(base)
    meta = json.loads((tmp_path / "m.meta.json").read_text())
    meta["model"]["params"]["vector_size"] = 16
    (tmp_path / "m.meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="meta.json"):
        Word2Vec.load(base)
    meta["model"]["params"] = {"no_such_param": 1}
    (tmp_path / "m.meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="bad model parameters"):
        Word2Vec.load(base)
    with pytest.raises(FileNotFoundError):
        Word2Vec.load(str(tmp_path / "missing"))


def test_load_a_vectors_only_base_and_train_on(tmp_path, topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, epochs=1)
    model.wv.save(str(tmp_path / "vectors"))
    loaded = Word2Vec.load(str(tmp_path / "vectors"))
    assert loaded.wv.index_to_key == model.wv.index_to_key
    loaded.train(sentences, total_examples=len(sentences), epochs=1)
    mapped = Word2Vec.load(str(tmp_path / "vectors"), mmap="r")
    with pytest.raises(ValueError, match="read-only"):
        mapped.train(sentences, total_examples=len(sentences), epochs=1)


# ------------------------------------------------------------- gensim's vectors_lockf
@pytest.mark.parametrize("mode", MODES + [pytest.param(dict(sg=1, hs=0, negative=5, hogbatch=True), id="hogbatch")])
@pytest.mark.parametrize("source", ["iterable", "corpus_file"])
def test_a_row_locked_at_zero_never_changes(mode, source, topic_corpus, tmp_path):
    _, sentences = topic_corpus
    sentences = sentences[:300]
    corpus = dict(corpus_iterable=sentences)
    if source == "corpus_file":
        path = tmp_path / "corpus.txt"
        path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
        corpus = dict(corpus_file=str(path))
    model = Word2Vec(vector_size=8, levels=[4, 8], min_count=1, workers=2, seed=5, **mode)
    model.build_vocab(**corpus)
    model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
    model.wv.vectors_lockf[[0, 3]] = 0.0
    before = model.wv.vectors.copy()
    model.train(**corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words, epochs=2)
    np.testing.assert_array_equal(model.wv.vectors[[0, 3]], before[[0, 3]])
    assert not np.array_equal(model.wv.vectors[1], before[1])


def test_lock_factors_of_one_train_exactly_as_without_them(topic_corpus):
    _, sentences = topic_corpus
    runs = []
    for lockf in (None, "ones", "half"):
        model = Word2Vec(vector_size=8, min_count=1, workers=1, seed=9, epochs=1)
        model.build_vocab(sentences[:200])
        if lockf == "ones":
            model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
        elif lockf == "half":
            model.wv.vectors_lockf = np.array([1.0, 0.5], dtype=np.float32)  # gensim's i % len rule
        model.train(sentences[:200], total_examples=200, epochs=1)
        runs.append(model.wv.vectors.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0][1::2], runs[2][1::2])


def test_intersect_word2vec_format_seeds_and_freezes_pretrained_vectors(topic_corpus, tmp_path):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, min_count=1, workers=1, seed=2)
    model.build_vocab(sentences[:200])
    pretrained = np.arange(16, dtype=np.float32).reshape(2, 8) / 100
    path = tmp_path / "pretrained.txt"
    path.write_text("3 8\n" + "\n".join(f"{w} " + " ".join(map(str, v))
                                        for w, v in [("t0w0", pretrained[0]), ("unknown", pretrained[1]),
                                                     ("t1w1", pretrained[1])]) + "\n")
    assert model.wv.intersect_word2vec_format(str(path)) == 2
    assert "unknown" not in model.wv
    np.testing.assert_array_equal(model.wv["t0w0"], pretrained[0])
    model.train(sentences[:200], total_examples=200, epochs=2)
    np.testing.assert_array_equal(model.wv["t1w1"], pretrained[1])
    assert model.wv.vectors_lockf[model.wv.get_index("t1w1")] == 0.0
    model.build_vocab([["brand", "new"]], update=True)  # new rows train normally
    assert model.wv.vectors_lockf[-1] == 1.0 and len(model.wv.vectors_lockf) == len(model.wv)


# ------------------------------------------------------------- gensim's vocabulary steps
def test_scan_prepare_vocab_dry_run_reports_like_gensim(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(vector_size=8, min_count=1, workers=1, sample=1e-2)
    total_words, corpus_count = model.scan_vocab(sentences)
    assert (total_words, corpus_count) == (sum(map(len, sentences)), len(sentences))
    report = model.prepare_vocab(dry_run=True, min_count=1)
    assert not len(model.wv) and report["num_retained_words"] == 96
    report = model.prepare_vocab()
    assert len(model.wv) == 96 and report["memory"] == model.estimate_memory()
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.Word2Vec(vector_size=8, min_count=1, workers=1, sample=1e-2)
    theirs.scan_vocab(sentences)
    expected = theirs.prepare_vocab(dry_run=True)
    for key in ("drop_unique", "retain_total", "downsample_unique", "num_retained_words"):
        assert report[key] == expected[key], key
    assert abs(report["downsample_total"] - expected["downsample_total"]) <= 1
    assert model.estimate_memory(vocab_size=1000) == theirs.estimate_memory(vocab_size=1000)


def test_reset_from_shares_the_vocabulary_with_fresh_weights(topic_corpus):
    _, sentences = topic_corpus
    trained = Word2Vec(sentences[:200], vector_size=8, min_count=1, workers=1, epochs=1)
    other = Word2Vec(vector_size=4, min_count=1, workers=1)
    other.reset_from(trained)
    assert other.wv.index_to_key is trained.wv.index_to_key and other.wv.vectors.shape == (len(trained.wv), 4)
    other.train(sentences[:200], total_examples=200, epochs=1)


def test_predict_output_word_takes_words_and_row_numbers(topic_corpus):
    _, sentences = topic_corpus
    model = Word2Vec(sentences[:300], vector_size=8, min_count=1, workers=1, epochs=2)
    by_word = model.predict_output_word(["t0w0", "t0w1"], topn=5)
    by_index = model.predict_output_word([model.wv.get_index("t0w0"), model.wv.get_index("t0w1")], topn=5)
    mixed = model.predict_output_word(["t0w0", model.wv.get_index("t0w1"), "nope"], topn=5)
    assert by_word == by_index == mixed
    hs_only = Word2Vec(sentences[:100], vector_size=8, min_count=1, workers=1, epochs=1, hs=1, negative=0)
    with pytest.raises(RuntimeError, match="negative sampling"):
        hs_only.predict_output_word(["t0w0"])
    empty = Word2Vec(vector_size=8)
    with pytest.raises(RuntimeError, match="no trained output layer"):
        empty.predict_output_word(["t0w0"])


def test_score_gives_one_log_probability_per_sentence(topic_corpus):
    _, sentences = topic_corpus
    for sg in (0, 1):
        model = Word2Vec(sentences[:300], vector_size=8, min_count=1, workers=1, epochs=2, hs=1, negative=0, sg=sg)
        scores = model.score(sentences[:5] + [["t0w0", "unknown"], ["t3w3"] * 3 + ["t5w5"] * 3], total_sentences=7)
        assert scores.shape == (7,) and scores.dtype == np.float32 and np.all(scores[:5] < 0)
        # unknown words are skipped
        assert model.score([["t0w0", "nope", "t0w1"]])[0] == model.score([["t0w0", "t0w1"]])[0]
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        Word2Vec(sentences[:50], vector_size=8, min_count=1, workers=1, epochs=1).score(sentences[:2])
