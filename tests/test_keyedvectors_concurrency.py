"""KeyedVectors under concurrency: queries while another thread mutates, and training next to copies.

Queries never lock: each works on one immutable snapshot (see
``w2vm.models._kv_storage``). Here four threads query while a fifth adds keys,
replaces vectors, re-sorts, refills norms ...; every answer is recorded with
the range of writer operations it overlapped and checked afterwards against
an exact float64 recomputation on the version the writer recorded after each
operation (:mod:`concurrency_helpers`).
"""
import copy
import threading
import warnings

import numpy as np
import pytest

from concurrency_helpers import TOL, Race, fast_thread_switching, is_exact_top
from w2vm import KeyedVectors, Word2Vec

D = 32
LEVELS = [8, 16, 32]
N0 = 3000
N_QUERY_KEYS = 24


class Version:
    """What a query should see after some writer operation: keys, vectors, counts."""

    def __init__(self, kv):
        self.keys = list(kv.index_to_key)
        self.vectors = np.array(kv.vectors, dtype=np.float64)
        self.counts = np.array(kv.expandos["count"])
        self.k2i = {k: i for i, k in enumerate(self.keys)}
        self._unit = {}

    def unit(self, m):
        u = self._unit.get(m)
        if u is None:
            v = self.vectors[:, :m]
            norms = np.linalg.norm(v, axis=1)
            norms[norms == 0] = 1.0
            u = self._unit[m] = v / norms[:, None]
        return u

    def query_scores(self, positive, negative, m):
        """Cosines of every row with the normalised mean of unit ``positive`` minus ``negative``."""
        u = self.unit(m)
        mean = np.zeros(m)
        for item in positive:
            mean += u[self.k2i[item]] if isinstance(item, str) else item[:m] / np.linalg.norm(item[:m])
        for item in negative:
            mean -= u[self.k2i[item]]
        mean /= len(positive) + len(negative)
        mean /= np.linalg.norm(mean)
        return u @ mean


def _explains(version, rec):
    """Whether ``version`` gives exactly the answer recorded in ``rec``."""
    kind, args, got = rec
    level = args.get("level")
    m = level or D
    try:
        if kind == "most_similar":
            pos, neg = args["positive"], args["negative"]
            scores = version.query_scores(pos, neg, m)
            exclude = [version.k2i[k] for k in pos + neg if isinstance(k, str)]
            rows = [version.k2i.get(k, -1) for k, _ in got]
            return is_exact_top(scores, rows, [s for _, s in got], args["topn"], exclude)
        if kind in ("knn", "most_similar_batch"):
            rows_all, scores_all = got
            for key, rows, scores in zip(args["keys"], rows_all, scores_all):
                if kind == "most_similar_batch":
                    rows = [version.k2i.get(k, -1) for k in rows]
                own = version.k2i[key]
                if not is_exact_top(version.unit(m) @ version.unit(m)[own], rows, scores, args["k"], [own]):
                    return False
            return True
        if kind == "similarity":
            a, b = (version.k2i[k] for k in args["keys"])
            return abs(version.unit(m)[a] @ version.unit(m)[b] - got) <= TOL
        if kind == "get_vector":
            return np.array_equal(version.vectors[version.k2i[args["key"]], :m], got)
        if kind == "count":
            return version.counts[version.k2i[args["key"]]] == got
        if kind == "closer_than":
            a, b = (version.k2i[k] for k in args["keys"])
            dist = 1 - version.unit(m) @ version.unit(m)[a]
            rows = np.array([version.k2i.get(k, -1) for k in got], dtype=np.int64)
            if rows.size and (rows.min() < 0 or (rows == a).any()):
                return False
            inside = np.zeros(len(dist), bool)
            inside[rows] = True
            inside[a] = True
            return bool((dist[rows] < dist[b] + TOL).all() and (dist[~inside] >= dist[b] - TOL).all())
        if kind == "len":
            return got == len(version.keys)
    except KeyError:  # a key this version does not have
        return False
    raise AssertionError(kind)


def _make_query(rng, version, query_keys):
    """One random query over keys that exist in ``version`` (and so in every later one)."""
    level = [None, *LEVELS[:-1]][rng.integers(len(LEVELS))]
    keys = [query_keys[i] for i in rng.choice(len(query_keys), 3, replace=False)]
    kind = ["most_similar", "most_similar", "knn", "most_similar_batch", "similarity", "get_vector",
            "count", "closer_than", "len"][rng.integers(9)]
    args = {"level": level}
    if kind == "most_similar":
        shape = rng.integers(3)
        if shape == 0:
            args.update(positive=keys[:1], negative=[])
        elif shape == 1:
            args.update(positive=keys[:2], negative=keys[2:])
        else:
            args.update(positive=[rng.standard_normal(D)], negative=[])
        args["topn"] = 10
    elif kind in ("knn", "most_similar_batch"):
        args.update(keys=keys, k=8)
    elif kind in ("similarity", "closer_than"):
        args["keys"] = keys[:2]
    elif kind in ("get_vector", "count"):
        # any key of this version, the recent additions included
        args["key"] = version.keys[rng.integers(len(version.keys))]
    return kind, args


def _run_query(kv, kind, args):
    level = args["level"]
    if kind == "most_similar":
        return kv.most_similar(positive=args["positive"], negative=args["negative"], topn=args["topn"],
                               level=level)
    if kind == "knn":
        return kv.knn(args["keys"], k=args["k"], level=level)
    if kind == "most_similar_batch":
        res = kv.most_similar_batch(args["keys"], topn=args["k"], level=level)
        return [[k for k, _ in row] for row in res], [[s for _, s in row] for row in res]
    if kind == "similarity":
        return float(kv.similarity(*args["keys"], level=level))
    if kind == "get_vector":
        return np.array(kv.get_vector(args["key"], level=level))
    if kind == "count":
        return int(kv.get_vecattr(args["key"], "count"))
    if kind == "closer_than":
        return kv.closer_than(*args["keys"], level=level)
    if kind == "len":
        return len(kv)
    raise AssertionError(kind)


def _writer_ops(kv, query_keys, seed=1):
    """The mutations, in order: appends (with near-duplicates of the query keys, so that answers
    change), replacements, norm refills, a new matrix, re-sorting, counts, single additions."""
    rng = np.random.default_rng(seed)
    serial = iter(range(10**9))

    def fresh_keys(n):
        return [f"n{next(serial)}" for _ in range(n)]

    def near(keys, n, scale=0.1):
        base = np.asarray(kv[[keys[i] for i in rng.integers(len(keys), size=n)]], dtype=np.float32)
        return (base + scale * rng.standard_normal(base.shape)).astype(np.float32)

    def add_batch():
        n = 600
        vecs = np.concatenate([near(query_keys, 60), rng.standard_normal((n - 60, D)).astype(np.float32)])
        kv.add_vectors(fresh_keys(n), vecs, extras={"count": rng.integers(1, 1000, n)})

    def replace_some():
        old = [query_keys[i] for i in rng.choice(len(query_keys), 4, replace=False)]
        old += [kv.index_to_key[i] for i in rng.choice(len(kv), 20, replace=False)]
        keys = list(dict.fromkeys(old)) + fresh_keys(10)
        kv[keys] = rng.standard_normal((len(keys), D)).astype(np.float32)

    def refill_norms():
        kv.fill_norms(force=True, level=LEVELS[rng.integers(len(LEVELS))])

    def new_matrix():
        kv.vectors = (kv.vectors + 0.3 * rng.standard_normal(kv.vectors.shape)).astype(np.float32)

    def resort():
        kv.sort_by_descending_frequency()

    def recount():
        keys = [kv.index_to_key[i] for i in rng.choice(len(kv), 200, replace=False)]
        kv.set_vecattr(keys, "count", rng.integers(1, 10**6, len(keys)))

    def add_one():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the "add in batches" advice
            kv.add_vector(fresh_keys(1)[0], near(query_keys, 1)[0])

    def normalise():
        kv.unit_normalize_all()

    return [add_batch, replace_some, refill_norms, add_batch, recount, resort, add_one, add_batch,
            new_matrix, replace_some, add_batch, refill_norms, resort, normalise, add_batch, add_one]


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    kv = KeyedVectors(D, levels=LEVELS)
    kv.add_vectors([f"k{i}" for i in range(N0)], rng.standard_normal((N0, D)).astype(np.float32),
                   extras={"count": rng.integers(1, 1000, N0)})
    return kv


def test_every_answer_is_that_of_a_consistent_snapshot(kv):
    query_keys = [f"k{i}" for i in range(N_QUERY_KEYS)]
    race = None

    def reader(rng, lo):
        kind, args = _make_query(rng, race.versions[lo], query_keys)
        return kind, args, _run_query(kv, kind, args)

    race = Race(reader, _writer_ops(kv, query_keys), lambda: Version(kv), n_readers=4)
    race.run()
    race.check(_explains)
    # the versions really differ, so the check could fail: the last answer differs from the first
    first, last = race.versions[0], race.versions[-1]
    assert len(last.keys) > len(first.keys)
    assert not _explains(first, ("most_similar", {"positive": ["k0"], "negative": [], "topn": 10},
                                 kv.most_similar("k0", topn=10)))


def test_the_check_catches_a_stale_answer(kv):
    # The oracle itself: an answer from before a replacement is not explained by the version after it.
    before = Version(kv)
    answer = kv.most_similar("k1", topn=10, level=8)
    kv[["k1"]] = np.random.default_rng(5).standard_normal((1, D)).astype(np.float32)
    after = Version(kv)
    rec = ("most_similar", {"positive": ["k1"], "negative": [], "topn": 10, "level": 8}, answer)
    assert _explains(before, rec) and not _explains(after, rec)


class ShiftingKeyedVectors(KeyedVectors):
    """The worst a concurrent writer can do, made deterministic: once armed, the snapshot is
    swapped for ``self.next_state`` right after the first time a query reads it."""

    next_state = None

    @property
    def _state(self):
        st = self.__dict__["_st"]
        if self.next_state is not None:
            self.__dict__["_st"], self.next_state = self.next_state, None
        return st

    @_state.setter
    def _state(self, value):
        self.__dict__["_st"] = value


def _same(a, b):
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, float, np.floating)):
        return np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-6, rtol=0)
    return a == b


QUERIES = {
    "most_similar": lambda kv: kv.most_similar("k1", topn=5, level=8),
    "most_similar pos/neg": lambda kv: kv.most_similar(positive=["k1", "k2"], negative=["k3"], topn=5),
    "most_similar all scores": lambda kv: kv.most_similar("k1", topn=None),
    "most_similar_cosmul": lambda kv: kv.most_similar_cosmul(positive=["k1", "k2"], negative=["k3"], topn=5),
    "similar_by_vector": lambda kv: kv.similar_by_vector(np.arange(D, dtype=np.float32), topn=5, level=16),
    "knn": lambda kv: kv.knn(["k1", "k2"], k=5, level=8),
    "most_similar_batch": lambda kv: kv.most_similar_batch(["k1", "k2"], topn=5),
    "distances": lambda kv: kv.distances("k1", level=8),
    "distances to keys": lambda kv: kv.distances("k1", ["k2", "k3"]),
    "similarity": lambda kv: float(kv.similarity("k1", "k2", level=16)),
    "n_similarity": lambda kv: float(kv.n_similarity(["k1", "k2"], ["k3"])),
    "closer_than": lambda kv: kv.closer_than("k1", "k2", level=8),
    "rank": lambda kv: kv.rank("k1", "k2"),
    "doesnt_match": lambda kv: kv.doesnt_match(["k1", "k2", "k3", "k4"]),
    "rank_by_centrality": lambda kv: [(float(s), k) for s, k in kv.rank_by_centrality(["k1", "k2", "k3"])],
    "most_similar_to_given": lambda kv: kv.most_similar_to_given("k1", ["k2", "k3", "k4", "k5"]),
    "relative_cosine_similarity": lambda kv: float(kv.relative_cosine_similarity("k1", "k2", topn=5)),
    "get_vector": lambda kv: np.array(kv.get_vector("k1", norm=True, level=8)),
    "get_mean_vector": lambda kv: kv.get_mean_vector(["k1", "k2"], level=8),
    "get_normed_vectors": lambda kv: kv.get_normed_vectors(level=8),
    "getitem": lambda kv: np.array(kv[["k1", "k2"]]),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_query_answers_from_one_snapshot(name):
    # Two versions that differ everywhere: other vectors for every key, and more keys.
    rng = np.random.default_rng(4)
    keys = [f"k{i}" for i in range(300)]
    first = KeyedVectors(D, levels=LEVELS)
    first.add_vectors(keys, rng.standard_normal((300, D)).astype(np.float32))
    second = KeyedVectors(D, levels=LEVELS)
    second.add_vectors(keys + [f"x{i}" for i in range(100)], rng.standard_normal((400, D)).astype(np.float32))
    query = QUERIES[name]
    expected = query(first)
    assert not _same(expected, query(second)), "the two versions must give different answers"
    shifting = ShiftingKeyedVectors(D, levels=LEVELS)
    shifting._state = first._state
    shifting.next_state = second._state
    assert _same(query(shifting), expected), f"{name} mixed two snapshots"


def test_attribute_reads_during_additions_keep_every_count(kv):
    # get_vecattr used to grow the attribute arrays without the lock: a reader that had read the
    # key count before add_vectors swapped in the new keys shrank the arrays back, losing counts.
    stop = threading.Event()
    errors = []

    def reader():
        try:
            while not stop.is_set():
                kv.get_vecattr(kv.index_to_key[-1], "count")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    with fast_thread_switching(1e-6):
        for t in threads:
            t.start()
        rng = np.random.default_rng(2)
        try:
            for b in range(60):
                kv.add_vectors([f"b{b}_{j}" for j in range(50)], rng.standard_normal((50, D)),
                               extras={"count": np.full(50, 7)})
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert not errors, errors[0]
    counts = kv.expandos["count"]
    assert len(counts) == len(kv) == N0 + 3000
    assert (counts[N0:] == 7).all(), f"{int((counts[N0:] != 7).sum())} counts lost"


def test_deepcopy_is_independent():
    kv = KeyedVectors(4, levels=[2, 4])
    kv.add_vectors(["a", "b"], np.eye(2, 4), extras={"count": [3, 1]})
    dup = copy.deepcopy(kv)
    assert dup._lock is not kv._lock
    kv.vectors[0, 0] = 5.0  # in place, as training does
    kv.add_vectors(["c"], np.ones((1, 4)))
    assert dup.index_to_key == ["a", "b"] and dup["a"][0] == 1.0
    assert dup.get_vecattr("a", "count") == 3 and dup.levels == [2, 4]
    dup.add_vectors(["z"], np.ones((1, 4)))  # the copy has its own working lock
    assert "z" in dup and "z" not in kv


# ----------------------------------------------------------------- training next to copies
def _answers(kv, words):
    return ([kv.most_similar(w, topn=5, level=level) for w in words for level in (8, None)],
            kv.knn(words, k=5, level=16), [float(kv.similarity(words[0], w)) for w in words])


def test_training_leaves_loaded_and_copied_vectors_alone(tmp_path, topic_corpus):
    topics, sentences = topic_corpus
    model = Word2Vec(sentences, vector_size=D, levels=LEVELS, min_count=1, epochs=1, workers=1, seed=3)
    base = str(tmp_path / "model")
    model.save(base)
    copies = {
        "load": KeyedVectors.load(base),
        "mmap": KeyedVectors.load(base, mmap="r"),
        "deepcopy": copy.deepcopy(model.wv),
    }
    words = [t[0] for t in topics]
    expected = {name: _answers(kv, words) for name, kv in copies.items()}
    before = np.array(model.wv.vectors)

    epochs = 12
    turn = threading.Condition()
    progress = {"answered": 0, "epochs": 0, "saved": [before]}
    errors = []
    training_done = threading.Event()

    class Handshake:
        """After each epoch: save over the loaded files, then let the readers answer a few queries."""

        def on_epoch_end(self, m):
            progress["saved"].append(np.array(m.wv.vectors))  # before: a reader may load it at once
            m.save(base)  # atomically replaces the files the mmap copy maps
            with turn:
                target = progress["answered"] + 6
                progress["epochs"] += 1
                turn.wait_for(lambda: progress["answered"] >= target or errors, timeout=60)

    def train():
        try:
            model.train(sentences, total_examples=len(sentences), epochs=epochs, callbacks=[Handshake()])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            training_done.set()

    def reader(name):
        kv = copies[name]
        try:
            while not training_done.is_set():
                got = _answers(kv, words)
                assert got[0] == expected[name][0] and got[2] == expected[name][2], name
                np.testing.assert_array_equal(got[1][0], expected[name][1][0])
                np.testing.assert_array_equal(got[1][1], expected[name][1][1])
                with turn:
                    progress["answered"] += 1
                    turn.notify_all()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def live_reader():
        # Querying the model being trained: answers move, but never crash or go non-finite.
        try:
            while not training_done.is_set():
                res = model.wv.most_similar(words[0], topn=5, level=8)
                assert len(res) == 5 and all(np.isfinite(s) for _, s in res)
                reloaded = KeyedVectors.load(base)  # saved mid-training: always one whole save
                assert any(np.array_equal(reloaded.vectors, s) for s in list(progress["saved"]))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(n,)) for n in copies]
    threads.append(threading.Thread(target=live_reader))
    trainer = threading.Thread(target=train)
    with fast_thread_switching():
        for t in threads:
            t.start()
        trainer.start()
        trainer.join()
        for t in threads:
            t.join()
    assert not errors, repr(errors[0])
    assert progress["epochs"] == epochs
    assert not np.array_equal(model.wv.vectors, before), "training changed nothing: the test proves nothing"
    for name, kv in copies.items():
        np.testing.assert_array_equal(kv.vectors, before, err_msg=name)
        assert _answers(kv, words)[0] == expected[name][0]
