"""Bad-input catalogue: every public entry point, fed the usual mistakes.

Each case names the exception type a mature library (gensim, hnswlib, faiss,
numpy) would raise and a pattern its message must match (the parameter, the
key or the value at fault). Everything is tiny, so the whole file runs in a
few seconds.

Wrong types raise ``TypeError``; for the index knobs, ``level`` and
``KeyedVectors(vector_size)`` the error is also a ``ValueError`` (what w2vm
raised before), see :class:`w2vm.utils.ParameterTypeError`.
"""
import os
import sys

import numpy as np
import pytest

from w2vm import KeyedVectors, Word2Vec, recall, set_seed
from w2vm.evaluation import evaluate_levels
from w2vm.similarities import BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex

def _permissions_enforced():
    """Whether a read-only folder stops this process (not for root with CAP_DAC_OVERRIDE, nor on Windows)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o500)
        try:
            open(os.path.join(folder, "probe"), "w").close()
        except PermissionError:
            return True
        finally:
            os.chmod(folder, 0o700)
    return False


needs_permissions = pytest.mark.skipif(os.name == "nt" or not _permissions_enforced(),
                                       reason="folder permissions are not enforced here (running as root)")

D = 8
LEVELS = [2, 4, 8]
WORDS = ["king", "queen", "man", "woman", "whale", "sea", "ship", "water"]
SENTENCES = [["king", "queen", "man", "woman"], ["whale", "sea", "ship", "water"]] * 10
INDEX_CLASSES = [BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex]


class Ctx:
    """Fresh tiny objects for one case (built lazily: a case pays only for what it uses)."""

    def __init__(self, tmp):
        self.tmp = tmp

    @property
    def kv(self):
        if not hasattr(self, "_kv"):
            rng = np.random.default_rng(0)
            self._kv = KeyedVectors(D, levels=LEVELS)
            self._kv.add_vectors(WORDS, rng.standard_normal((len(WORDS), D)).astype(np.float32))
        return self._kv

    @property
    def model(self):
        if not hasattr(self, "_model"):
            self._model = Word2Vec(SENTENCES, vector_size=D, levels=LEVELS, min_count=1, epochs=1, workers=1,
                                   seed=1)
        return self._model

    def vectors(self, n=40):
        return np.random.default_rng(1).standard_normal((n, D)).astype(np.float32)

    def index(self, cls, **kw):
        return cls(n_threads=1, **kw).build(self.vectors())

    def file(self, name, text):
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def folder(self, name="folder"):
        path = self.tmp / name
        path.mkdir(exist_ok=True)
        return str(path)

    def base(self):
        """A KeyedVectors base on disk."""
        base = str(self.tmp / "vecs")
        self.kv.save(base)
        return base

    def interactions(self):
        return recall.load_interactions(([1, 1, 2, 2, 3], ["a", "b", "a", "c", "b"], [1, 2, 1, 2, 1]))

    def recaller(self):
        return recall.ItemRecall(self.vectors(5))


@pytest.fixture
def ctx(tmp_path):
    return Ctx(tmp_path)


def one_shot():
    return (s for s in SENTENCES)


def case(id, fn, exc, match):
    return pytest.param(fn, exc, match, id=id)


def w2v(**kw):
    return lambda c: Word2Vec(**kw)


# --------------------------------------------------------------------------- Word2Vec(...)
WORD2VEC_PARAMS = [
    case("w2v-vector_size-zero", w2v(vector_size=0), ValueError, "vector_size"),
    case("w2v-vector_size-str", w2v(vector_size="100"), TypeError, "vector_size"),
    case("w2v-vector_size-float", w2v(vector_size=2.5), TypeError, "vector_size"),
    case("w2v-window-zero", w2v(window=0), ValueError, "window"),
    case("w2v-window-negative", w2v(window=-2), ValueError, "window"),
    case("w2v-min_count-negative", w2v(min_count=-1), ValueError, "min_count"),
    case("w2v-negative-negative", w2v(negative=-1), ValueError, "negative"),
    case("w2v-negative-and-hs-off", w2v(negative=0, hs=0), ValueError, "negative=0 and hs=0"),
    case("w2v-sg-two", w2v(sg=2), ValueError, "sg must be 0 or 1"),
    case("w2v-hs-str", w2v(hs="yes"), TypeError, "hs"),
    case("w2v-cbow_mean-minus-one", w2v(cbow_mean=-1), ValueError, "cbow_mean"),
    case("w2v-alpha-negative", w2v(alpha=-0.1), ValueError, "alpha"),
    case("w2v-alpha-nan", w2v(alpha=float("nan")), ValueError, "alpha must be finite"),
    case("w2v-alpha-str", w2v(alpha="0.1"), TypeError, "alpha"),
    case("w2v-min_alpha-negative", w2v(min_alpha=-1.0), ValueError, "min_alpha"),
    case("w2v-sample-negative", w2v(sample=-1e-3), ValueError, "sample"),
    case("w2v-ns_exponent-inf", w2v(ns_exponent=float("inf")), ValueError, "ns_exponent"),
    case("w2v-workers-zero", w2v(workers=0), ValueError, "workers"),
    case("w2v-workers-float", w2v(workers=1.5), TypeError, "workers"),
    case("w2v-epochs-zero", w2v(epochs=0), ValueError, "epochs"),
    case("w2v-batch_words-zero", w2v(batch_words=0), ValueError, "batch_words"),
    case("w2v-max_vocab_size-zero", w2v(max_vocab_size=0), ValueError, "max_vocab_size"),
    case("w2v-max_final_vocab-negative", w2v(max_final_vocab=-5), ValueError, "max_final_vocab"),
    case("w2v-seed-negative", w2v(seed=-1), ValueError, "seed"),
    case("w2v-seed-str", w2v(seed="42"), TypeError, "seed"),
    case("w2v-progress_interval-negative", w2v(progress_interval=-1), ValueError, "progress_interval"),
    case("w2v-levels-not-increasing", w2v(vector_size=8, levels=[4, 2, 8]), ValueError, "strictly increasing"),
    case("w2v-levels-repeated", w2v(vector_size=8, levels=[4, 4, 8]), ValueError, "strictly increasing"),
    case("w2v-levels-not-ending-at-vector_size", w2v(vector_size=8, levels=[2, 4]), ValueError,
         "last level must equal vector_size=8"),
    case("w2v-levels-above-vector_size", w2v(vector_size=8, levels=[4, 16]), ValueError, "vector_size=8"),
    case("w2v-levels-zero", w2v(vector_size=8, levels=[0, 8]), ValueError, "positive"),
    case("w2v-levels-empty", w2v(vector_size=8, levels=[]), ValueError, "must not be empty"),
    case("w2v-levels-str", w2v(vector_size=8, levels="4,8"), TypeError, "levels must be a list"),
    case("w2v-levels-float", w2v(vector_size=8, levels=[4.0, 8]), TypeError, "levels must contain ints"),
    case("w2v-levels-too-many", w2v(vector_size=40, levels=list(range(1, 41))), ValueError, "at most 32 levels"),
    case("w2v-level_weights-length", w2v(vector_size=8, levels=[4, 8], level_weights=[1.0]), ValueError,
         "level_weights has 1 entries but there are 2 levels"),
    case("w2v-level_weights-negative", w2v(vector_size=8, levels=[4, 8], level_weights=[1, -1]), ValueError,
         "non-negative"),
    case("w2v-level_weights-nan", w2v(vector_size=8, levels=[4, 8], level_weights=[1, float("nan")]), ValueError,
         "level_weights"),
    case("w2v-level_weights-all-zero", w2v(vector_size=8, levels=[4, 8], level_weights=[0, 0]), ValueError,
         "at least one level weight"),
    case("w2v-level_weights-str", w2v(vector_size=8, levels=[4, 8], level_weights="11"), TypeError,
         "level_weights"),
    case("w2v-hogbatch-with-cbow", w2v(hogbatch=True, sg=0), ValueError, "hogbatch"),
    case("w2v-callbacks-not-iterable", w2v(callbacks=5), TypeError, "callbacks"),
    case("w2v-trim_rule-not-callable", w2v(trim_rule="keep"), TypeError, "trim_rule"),
    case("w2v-gensim3-size-keyword", w2v(size=100), TypeError, "size"),
    case("w2v-sentences-and-corpus_file", lambda c: Word2Vec(SENTENCES, corpus_file=c.file("c.txt", "a b\n")),
         TypeError, "not both"),
    case("w2v-sentences-generator", lambda c: Word2Vec(one_shot(), min_count=1), TypeError, "generator"),
    case("w2v-sentences-string", lambda c: Word2Vec("king queen man", min_count=1), TypeError, "not a string"),
    case("w2v-sentences-int", lambda c: Word2Vec(42), TypeError, "iterable of token lists"),
]

# --------------------------------------------------------------------------- build_vocab / train
VOCAB_AND_TRAIN = [
    case("build_vocab-empty-corpus", lambda c: Word2Vec(min_count=1).build_vocab([]), ValueError,
         "vocabulary is empty"),
    case("build_vocab-empty-sentences", lambda c: Word2Vec(min_count=1).build_vocab([[], []]), ValueError,
         "vocabulary is empty"),
    case("build_vocab-all-below-min_count", lambda c: Word2Vec(min_count=50).build_vocab(SENTENCES), ValueError,
         "min_count=50"),
    case("build_vocab-empty-corpus_file", lambda c: Word2Vec(min_count=1).build_vocab(
        corpus_file=c.file("empty.txt", "")), ValueError, "vocabulary is empty"),
    case("build_vocab-int-tokens", lambda c: Word2Vec(min_count=1).build_vocab([[1, 2, 3]]), TypeError,
         "tokens must be str"),
    case("build_vocab-bytes-tokens", lambda c: Word2Vec(min_count=1).build_vocab([[b"king"]]), TypeError,
         "tokens must be str"),
    case("build_vocab-sentence-is-string", lambda c: Word2Vec(min_count=1).build_vocab(["king queen"]),
         TypeError, "list of str tokens"),
    case("build_vocab-corpus-is-string", lambda c: Word2Vec(min_count=1).build_vocab("king queen"), TypeError,
         "not a string"),
    case("build_vocab-no-corpus", lambda c: Word2Vec().build_vocab(), TypeError, "corpus_iterable or corpus_file"),
    case("build_vocab-both-corpora", lambda c: Word2Vec().build_vocab(SENTENCES, corpus_file=c.file("c.txt", "a\n")),
         TypeError, "not both"),
    case("build_vocab-missing-corpus_file", lambda c: Word2Vec().build_vocab(corpus_file=str(c.tmp / "nope.txt")),
         FileNotFoundError, "nope.txt"),
    case("build_vocab-directory-corpus_file", lambda c: Word2Vec().build_vocab(corpus_file=c.folder()),
         IsADirectoryError, "directory"),
    case("build_vocab-corpus_file-not-a-path", lambda c: Word2Vec().build_vocab(corpus_file=3), TypeError,
         "corpus_file must be a path"),
    case("build_vocab-unknown-keyword", lambda c: Word2Vec().build_vocab(SENTENCES, min_count=1), TypeError,
         "min_count"),
    case("build_vocab-update-without-vocab", lambda c: Word2Vec(min_count=1).build_vocab(SENTENCES, update=True),
         RuntimeError, "existing vocabulary"),
    case("build_vocab_from_freq-not-a-mapping", lambda c: Word2Vec().build_vocab_from_freq([("a", 1)]), TypeError,
         "mapping"),
    case("build_vocab_from_freq-negative-count", lambda c: Word2Vec().build_vocab_from_freq({"a": -1}),
         ValueError, "count of 'a'"),
    case("build_vocab_from_freq-int-key", lambda c: Word2Vec().build_vocab_from_freq({1: 3}), TypeError,
         "tokens must be str"),
    case("train-no-corpus", lambda c: c.model.train(), TypeError, "corpus_iterable or corpus_file"),
    case("train-before-build_vocab-generator", lambda c: Word2Vec(min_count=1).train(one_shot(), epochs=1),
         TypeError, "no vocabulary yet"),
    case("train-generator-several-epochs", lambda c: c.model.train(one_shot(), total_examples=20, epochs=2),
         TypeError, "epochs=2"),
    case("train-epochs-zero-in-call", lambda c: c.model.train(SENTENCES, total_examples=20, epochs=0), ValueError,
         "epochs"),
    case("train-total_examples-negative", lambda c: c.model.train(SENTENCES, total_examples=-1, epochs=1),
         ValueError, "total_examples"),
    case("train-total_words-str", lambda c: c.model.train(SENTENCES, total_words="80", epochs=1), TypeError,
         "total_words"),
    case("train-start_alpha-negative", lambda c: c.model.train(SENTENCES, total_examples=20, epochs=1,
                                                              start_alpha=-1.0), ValueError, "start_alpha"),
    case("train-progress-not-callable", lambda c: c.model.train(SENTENCES, total_examples=20, epochs=1,
                                                               progress=5), TypeError, "progress"),
    case("train-unknown-keyword", lambda c: c.model.train(SENTENCES, total_examples=20, epochs=1, iter=3),
         TypeError, "iter"),
    case("train-both-corpora", lambda c: c.model.train(SENTENCES, corpus_file=c.file("c.txt", "a\n"), epochs=1),
         TypeError, "not both"),
    case("train-missing-corpus_file", lambda c: c.model.train(corpus_file=str(c.tmp / "gone.txt"), epochs=1),
         FileNotFoundError, "gone.txt"),
    case("predict_output_word-string", lambda c: c.model.predict_output_word("king"), TypeError, "not a string"),
    case("predict_output_word-topn-zero", lambda c: c.model.predict_output_word(["king"], topn=0), ValueError,
         "topn"),
    case("predict_output_word-level-too-big", lambda c: c.model.predict_output_word(["king"], level=9),
         ValueError, "level"),
]

# --------------------------------------------------------------------------- files: save / load
FILES = [
    case("w2v-save-missing-folder", lambda c: c.model.save(str(c.tmp / "no" / "such" / "model")), FileNotFoundError,
         "does not exist"),
    case("w2v-save-base-is-directory", lambda c: c.model.save(c.folder()), IsADirectoryError, "directory"),
    case("w2v-load-missing", lambda c: Word2Vec.load(str(c.tmp / "nothing")), FileNotFoundError, "nothing"),
    case("w2v-load-directory", lambda c: Word2Vec.load(c.folder()), IsADirectoryError, "directory"),
    case("kv-save-missing-folder", lambda c: c.kv.save(str(c.tmp / "missing" / "vecs")), FileNotFoundError,
         "does not exist"),
    case("kv-save-base-is-directory", lambda c: c.kv.save(c.folder()), IsADirectoryError, "directory"),
    case("kv-save-base-ends-with-separator", lambda c: c.kv.save(c.folder() + os.sep), IsADirectoryError,
         "directory"),
    case("kv-save-npy-target-is-directory", lambda c: (c.folder("vecs.npy"), c.kv.save(str(c.tmp / "vecs"))),
         IsADirectoryError, "vecs.npy"),
    case("kv-save-meta-not-dict", lambda c: c.kv.save(str(c.tmp / "vecs"), meta=["x"]), TypeError, "meta"),
    case("kv-load-missing", lambda c: KeyedVectors.load(str(c.tmp / "nothing")), FileNotFoundError,
         "nothing.vocab.json"),
    case("kv-load-directory", lambda c: KeyedVectors.load(c.folder()), IsADirectoryError, "directory"),
    case("kv-load-bad-mmap", lambda c: KeyedVectors.load(c.base(), mmap="w"), ValueError, "mmap"),
    case("kv-save_word2vec_format-missing-folder", lambda c: c.kv.save_word2vec_format(str(c.tmp / "x" / "v.txt")),
         FileNotFoundError, "does not exist"),
    case("kv-save_word2vec_format-directory", lambda c: c.kv.save_word2vec_format(c.folder()), IsADirectoryError,
         "directory"),
    case("kv-save_word2vec_format-level-too-big", lambda c: c.kv.save_word2vec_format(str(c.tmp / "v.txt"),
                                                                                     level=9), ValueError, "level"),
    case("kv-save_word2vec_format-key-with-space", lambda c: (c.kv.add_vectors(["new york"], np.ones((1, D))),
                                                              c.kv.save_word2vec_format(str(c.tmp / "v.txt"))),
         ValueError, "new york"),
    case("load_word2vec_format-missing", lambda c: KeyedVectors.load_word2vec_format(str(c.tmp / "none.txt")),
         FileNotFoundError, "none.txt"),
    case("load_word2vec_format-directory", lambda c: KeyedVectors.load_word2vec_format(c.folder()),
         IsADirectoryError, "folder"),
    case("load_word2vec_format-limit-negative", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "1 2\na 1 2\n"), limit=-1), ValueError, "limit"),
    case("load_word2vec_format-limit-float", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "1 2\na 1 2\n"), limit=1.5), TypeError, "limit"),
    case("load_word2vec_format-binary-no_header", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.bin", "a 1 2\n"), binary=True, no_header=True), ValueError, "no_header"),
    case("load_word2vec_format-datatype-int", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "1 2\na 1 2\n"), datatype=np.int32), TypeError, "datatype"),
    case("load_word2vec_format-bad-header", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "hello world\na 1 2\n")), ValueError, "bad header"),
    case("load_word2vec_format-wrong-dimension", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "1 3\nabcdefghijkl 1 2\n")), ValueError, "has 2 values, expected 3"),
    case("load_word2vec_format-nan", lambda c: KeyedVectors.load_word2vec_format(
        c.file("v.txt", "1 2\na nan 2\n")), ValueError, "NaN"),
]


@needs_permissions
@pytest.mark.parametrize("save", [
    pytest.param(lambda c, p: c.kv.save(p), id="KeyedVectors.save"),
    pytest.param(lambda c, p: c.model.save(p), id="Word2Vec.save"),
    pytest.param(lambda c, p: c.kv.save_word2vec_format(p + ".txt"), id="save_word2vec_format"),
    pytest.param(lambda c, p: c.index(BruteForceIndex).save(p), id="index.save"),
])
def test_save_into_read_only_folder(ctx, save):
    folder = ctx.tmp / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="ro"):
            save(ctx, str(folder / "out"))
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


# --------------------------------------------------------------------------- KeyedVectors queries
NAN = np.full(D, np.nan, dtype=np.float32)

KEYED_VECTORS = [
    case("kv-ctor-vector_size-zero", lambda c: KeyedVectors(0), ValueError, "vector_size"),
    case("kv-ctor-vector_size-str", lambda c: KeyedVectors("8"), TypeError, "vector_size"),
    case("kv-ctor-count-negative", lambda c: KeyedVectors(8, count=-1), ValueError, "count"),
    case("kv-ctor-levels-not-ending", lambda c: KeyedVectors(8, levels=[2, 4]), ValueError, "vector_size=8"),
    case("kv-getitem-missing", lambda c: c.kv["dragon"], KeyError, "dragon"),
    case("kv-getitem-list-with-missing", lambda c: c.kv[["king", "dragon"]], KeyError, "dragon"),
    case("kv-get_vector-missing", lambda c: c.kv.get_vector("dragon"), KeyError, "dragon"),
    case("kv-get_vector-level-zero", lambda c: c.kv.get_vector("king", level=0), ValueError,
         r"level must be in \[1, 8\]"),
    case("kv-get_vector-level-too-big", lambda c: c.kv.get_vector("king", level=9), ValueError, "got 9"),
    case("kv-get_vector-level-float", lambda c: c.kv.get_vector("king", level=2.5), TypeError, "level"),
    case("kv-get_vecattr-unknown-attr", lambda c: c.kv.get_vecattr("king", "colour"), KeyError, "colour"),
    case("kv-vectors-wrong-shape", lambda c: setattr(c.kv, "vectors", np.zeros((8, 5), np.float32)), ValueError,
         r"\(n, 8\)"),
    case("most_similar-missing-key", lambda c: c.kv.most_similar("dragon"), KeyError, "dragon"),
    case("most_similar-missing-negative-key", lambda c: c.kv.most_similar("king", negative=["dragon"]), KeyError,
         "dragon"),
    case("most_similar-topn-negative", lambda c: c.kv.most_similar("king", topn=-1), ValueError, "topn"),
    case("most_similar-topn-float", lambda c: c.kv.most_similar("king", topn=2.5), TypeError, "topn"),
    case("most_similar-topn-str", lambda c: c.kv.most_similar("king", topn="5"), TypeError, "topn"),
    case("most_similar-level-zero", lambda c: c.kv.most_similar("king", level=0), ValueError, "level"),
    case("most_similar-level-too-big", lambda c: c.kv.most_similar("king", level=16), ValueError, "got 16"),
    case("most_similar-level-str", lambda c: c.kv.most_similar("king", level="4"), TypeError, "level"),
    case("most_similar-no-input", lambda c: c.kv.most_similar(positive=[]), ValueError, "no input"),
    case("most_similar-none-entry", lambda c: c.kv.most_similar(positive=[None]), TypeError, "None"),
    case("most_similar-bad-weight", lambda c: c.kv.most_similar(positive=[("king", "heavy")]), ValueError, "heavy"),
    case("most_similar-triple", lambda c: c.kv.most_similar(positive=[("king", 1.0, 2.0)]), TypeError,
         r"\(key, weight\) pairs"),
    case("most_similar-vector-wrong-dimension", lambda c: c.kv.most_similar(positive=[np.ones(3)]), ValueError,
         "3 values"),
    case("most_similar-nan-vector", lambda c: c.kv.most_similar(positive=[NAN]), ValueError, "NaN"),
    case("most_similar-restrict_vocab-negative", lambda c: c.kv.most_similar("king", restrict_vocab=-1),
         ValueError, "restrict_vocab"),
    case("most_similar-restrict_vocab-bool", lambda c: c.kv.most_similar("king", restrict_vocab=True), TypeError,
         "restrict_vocab"),
    case("most_similar-indexer-without-most_similar", lambda c: c.kv.most_similar("king", indexer=object()),
         TypeError, "indexer"),
    case("similar_by_vector-nan", lambda c: c.kv.similar_by_vector(NAN), ValueError, "NaN"),
    case("most_similar_cosmul-no-input", lambda c: c.kv.most_similar_cosmul(positive=[]), ValueError, "no input"),
    case("most_similar_cosmul-topn-negative", lambda c: c.kv.most_similar_cosmul("king", topn=-3), ValueError,
         "topn"),
    case("most_similar_cosmul-missing", lambda c: c.kv.most_similar_cosmul(["king", "dragon"]), KeyError, "dragon"),
    case("similarity-missing", lambda c: c.kv.similarity("king", "dragon"), KeyError, "dragon"),
    case("similarity-level-zero", lambda c: c.kv.similarity("king", "queen", level=0), ValueError, "level"),
    case("distance-missing", lambda c: c.kv.distance("dragon", "king"), KeyError, "dragon"),
    case("distances-missing-other", lambda c: c.kv.distances("king", ["dragon"]), KeyError, "dragon"),
    case("n_similarity-empty", lambda c: c.kv.n_similarity([], ["king"]), ValueError, "empty"),
    case("n_similarity-empty-is-zerodivision-too", lambda c: c.kv.n_similarity(["king"], []), ZeroDivisionError,
         "empty"),
    case("n_similarity-string", lambda c: c.kv.n_similarity("king", ["queen"]), TypeError, "list of keys"),
    case("n_similarity-all-missing", lambda c: c.kv.n_similarity(["dragon"], ["king"]), KeyError, "dragon"),
    case("doesnt_match-empty", lambda c: c.kv.doesnt_match([]), ValueError, "empty"),
    case("doesnt_match-all-missing", lambda c: c.kv.doesnt_match(["dragon", "unicorn"]), ValueError, "empty"),
    case("doesnt_match-string", lambda c: c.kv.doesnt_match("king queen"), TypeError, "list of keys"),
    case("rank-missing-second", lambda c: c.kv.rank("king", "dragon"), KeyError, "dragon"),
    case("rank-missing-first", lambda c: c.kv.rank("dragon", "king"), KeyError, "dragon"),
    case("closer_than-missing", lambda c: c.kv.closer_than("king", "dragon"), KeyError, "dragon"),
    case("most_similar_to_given-missing", lambda c: c.kv.most_similar_to_given("king", ["dragon"]), KeyError,
         "dragon"),
    case("add_vectors-nan", lambda c: c.kv.add_vectors(["dragon"], NAN[None, :]), ValueError, "NaN"),
    case("add_vector-inf", lambda c: c.kv.add_vector("dragon", np.full(D, np.inf)), ValueError, "infinite"),
    case("setitem-nan", lambda c: c.kv.__setitem__("king", NAN), ValueError, "NaN"),
    case("add_vectors-wrong-dimension", lambda c: c.kv.add_vectors(["dragon"], np.ones((1, 5))), ValueError,
         r"\(1, 8\)"),
    case("add_vectors-count-mismatch", lambda c: c.kv.add_vectors(["a", "b"], np.ones((3, D))), ValueError,
         r"\(2, 8\)"),
    case("add_vectors-duplicate-keys", lambda c: c.kv.add_vectors(["a", "a"], np.ones((2, D))), ValueError,
         "duplicates"),
    case("add_vector-existing-key", lambda c: c.kv.add_vector("king", np.ones(D)), ValueError, "already present"),
    case("knn-k-negative", lambda c: c.kv.knn(["king"], k=-1), ValueError, "k must be"),
    case("knn-single-key", lambda c: c.kv.knn("king"), TypeError, "list of keys"),
    case("knn-wrong-dimension", lambda c: c.kv.knn(np.ones((2, 3))), ValueError, "shape"),
    case("knn-missing-key", lambda c: c.kv.knn(["king", "dragon"]), KeyError, "dragon"),
    case("knn-nan-query", lambda c: c.kv.knn(NAN[None, :]), ValueError, "NaN"),
    case("knn-level-too-big", lambda c: c.kv.knn(["king"], level=9), ValueError, "level"),
    case("most_similar_batch-topn-negative", lambda c: c.kv.most_similar_batch(["king"], topn=-2), ValueError,
         "k must be"),
]

# --------------------------------------------------------------------------- evaluation
ANALOGIES = ": family\nking queen man woman\n"
PAIRS = "king\tqueen\t8.5\nman\twoman\t8.0\nsea\twater\t7.0\n"
EVALUATION = [
    case("analogies-missing-file", lambda c: c.kv.evaluate_word_analogies(str(c.tmp / "q.txt")), FileNotFoundError,
         "q.txt"),
    case("analogies-directory", lambda c: c.kv.evaluate_word_analogies(c.folder()), IsADirectoryError, "folder"),
    case("analogies-no-section-header", lambda c: c.kv.evaluate_word_analogies(c.file("q.txt", "a b c d\n")),
         ValueError, "section header"),
    case("analogies-level-zero", lambda c: c.kv.evaluate_word_analogies(c.file("q.txt", ANALOGIES), level=0),
         ValueError, "level"),
    case("pairs-missing-file", lambda c: c.kv.evaluate_word_pairs(str(c.tmp / "p.tsv")), FileNotFoundError,
         "p.tsv"),
    case("pairs-nothing-valid", lambda c: c.kv.evaluate_word_pairs(c.file("p.tsv", "just words\n")), ValueError,
         "No valid similarity judgements"),
    case("pairs-all-unknown", lambda c: c.kv.evaluate_word_pairs(c.file("p.tsv", "dragon\tunicorn\t3\n")),
         ValueError, "No valid similarity judgements"),
    case("evaluate_levels-no-files", lambda c: evaluate_levels(c.kv), ValueError, "analogies and/or pairs"),
    case("evaluate_levels-level-too-big", lambda c: evaluate_levels(c.kv, pairs=c.file("p.tsv", PAIRS),
                                                                    levels=[4, 99]), ValueError, "99"),
]

# --------------------------------------------------------------------------- ANN indexes
def each_index(id, fn, exc, match, classes=INDEX_CLASSES):
    return [case(f"{cls.__name__}-{id}", (lambda cls: lambda c: fn(c, cls))(cls), exc, match) for cls in classes]


INDEXES = [
    *each_index("metric", lambda c, cls: cls(metric="hamming"), ValueError, "metric"),
    *each_index("shortlist_factor-zero", lambda c, cls: cls(shortlist_factor=0), ValueError, "shortlist_factor"),
    *each_index("index_level-zero", lambda c, cls: cls(index_level=0), ValueError, "index_level"),
    *each_index("n_threads-zero", lambda c, cls: cls(n_threads=0), ValueError, "n_threads"),
    *each_index("rotation", lambda c, cls: cls(rotation="svd"), ValueError, "rotation"),
    *each_index("search-before-build", lambda c, cls: cls().search(np.ones(D)), ValueError, "build"),
    *each_index("add-before-build", lambda c, cls: cls().add(np.ones((1, D))), ValueError, "build"),
    *each_index("remove-before-build", lambda c, cls: cls().remove([0]), ValueError, "build"),
    *each_index("save-before-build", lambda c, cls: cls().save(str(c.tmp / "i")), ValueError, "build"),
    *each_index("build-zero-vectors", lambda c, cls: cls().build(np.zeros((0, D), np.float32)), ValueError,
                "zero vectors"),
    *each_index("build-3d", lambda c, cls: cls().build(np.zeros((2, 3, 4), np.float32)), ValueError, "2-d"),
    *each_index("build-nan", lambda c, cls: cls().build(np.vstack([c.vectors(3), NAN])), ValueError, "NaN"),
    *each_index("build-level-too-big", lambda c, cls: cls().build(c.vectors(), level=D + 1), ValueError, "level"),
    *each_index("build-ids-wrong-length", lambda c, cls: cls().build(c.vectors(), ids=[1, 2]), ValueError, "ids"),
    *each_index("build-ids-duplicate", lambda c, cls: cls().build(c.vectors(3), ids=[1, 1, 2]), ValueError,
                "unique"),
    *each_index("build-ids-negative", lambda c, cls: cls().build(c.vectors(2), ids=[0, -5]), ValueError,
                "non-negative"),
    *each_index("search-k-zero", lambda c, cls: c.index(cls).search(np.ones(D), k=0), ValueError, "k must be"),
    *each_index("search-k-negative", lambda c, cls: c.index(cls).search(np.ones(D), k=-4), ValueError, "k must be"),
    *each_index("search-k-float", lambda c, cls: c.index(cls).search(np.ones(D), k=2.5), TypeError, "k must be"),
    *each_index("search-wrong-dimension", lambda c, cls: c.index(cls).search(np.ones(D + 3)), ValueError,
                "dimension 11"),
    *each_index("search-nan-query", lambda c, cls: c.index(cls).search(NAN), ValueError, "NaN"),
    *each_index("search-text-query", lambda c, cls: c.index(cls).search(np.array(["a"] * D)), ValueError, "numeric"),
    *each_index("search-filter-unknown-keys", lambda c, cls: c.index(cls).search(np.ones(D), filter=["king"]),
                ValueError, "filter"),
    *each_index("search-filter-2d-mask", lambda c, cls: c.index(cls).search(np.ones(D), filter=np.ones((2, 2), bool)),
                ValueError, "1-d"),
    *each_index("search-unknown-knob", lambda c, cls: c.index(cls).search(np.ones(D), beam=3), ValueError, "beam"),
    *each_index("search-levels-wrong-start", lambda c, cls: c.index(cls, index_level=4).search(np.ones(D),
                                                                                              levels=[2, 8]),
                ValueError, "index_level=4"),
    *each_index("add-wrong-dimension", lambda c, cls: c.index(cls).add(np.ones((2, D - 1))), ValueError,
                "dimension 7"),
    *each_index("add-nan", lambda c, cls: c.index(cls).add(NAN[None, :]), ValueError, "NaN"),
    *each_index("add-existing-id", lambda c, cls: c.index(cls).add(np.ones((1, D)), ids=[3]), ValueError,
                "already in the index"),
    *each_index("remove-unknown-id", lambda c, cls: c.index(cls).remove([12345]), KeyError, "12345"),
    *each_index("remove-float-ids", lambda c, cls: c.index(cls).remove([1.5]), ValueError, "integers"),
    *each_index("most_similar-zero-neighbours", lambda c, cls: c.index(cls).most_similar(np.ones(D), 0),
                ValueError, "num_neighbors"),
    *each_index("save-missing-folder", lambda c, cls: c.index(cls).save(str(c.tmp / "no" / "i")),
                FileNotFoundError, "does not exist"),
    *each_index("save-path-is-directory", lambda c, cls: c.index(cls).save(c.folder()), IsADirectoryError,
                "directory"),
    *each_index("load-missing", lambda c, cls: cls.load(str(c.tmp / "gone")), FileNotFoundError, "gone"),
    *each_index("load-directory", lambda c, cls: cls.load(c.folder()), IsADirectoryError, "directory"),
    *each_index("load-bad-mmap", lambda c, cls: cls.load(str(c.tmp / "i"), mmap="w+"), ValueError, "mmap"),
    *each_index("save-vectors_file-mismatch", lambda c, cls: (np.save(c.tmp / "v.npy", c.vectors(7)),
                                                               c.index(cls).save(str(c.tmp / "i"),
                                                                                 vectors_file=c.tmp / "v.npy")),
                ValueError, "v.npy"),
    case("HNSWIndex-M-one", lambda c: HNSWIndex(M=1), ValueError, "M must be"),
    case("HNSWIndex-M-float", lambda c: HNSWIndex(M=2.5), TypeError, "M must be"),
    case("HNSWIndex-ef_construction-zero", lambda c: HNSWIndex(ef_construction=0), ValueError, "ef_construction"),
    case("HNSWIndex-ef-zero", lambda c: HNSWIndex(ef=0), ValueError, "ef must be"),
    case("HNSWIndex-seed-negative", lambda c: HNSWIndex(seed=-1), ValueError, "seed"),
    case("HNSWIndex-search-ef-zero", lambda c: c.index(HNSWIndex).search(np.ones(D), ef=0), ValueError, "ef"),
    case("HNSWIndex-search-ef-str", lambda c: c.index(HNSWIndex).search(np.ones(D), ef="10"), TypeError, "ef"),
    case("IVFFlatIndex-n_lists-zero", lambda c: IVFFlatIndex(n_lists=0), ValueError, "n_lists"),
    case("IVFFlatIndex-n_probe-zero", lambda c: IVFFlatIndex(n_probe=0), ValueError, "n_probe"),
    case("IVFFlatIndex-n_iter-negative", lambda c: IVFFlatIndex(n_iter=-1), ValueError, "n_iter"),
    case("IVFFlatIndex-init", lambda c: IVFFlatIndex(init="kmeans||"), ValueError, "init"),
    case("IVFFlatIndex-search-n_probe-zero", lambda c: c.index(IVFFlatIndex).search(np.ones(D), n_probe=0),
         ValueError, "n_probe"),
    case("LSHIndex-n_bits-65", lambda c: LSHIndex(n_bits=65), ValueError, "n_bits"),
    case("LSHIndex-n_tables-zero", lambda c: LSHIndex(n_tables=0), ValueError, "n_tables"),
    case("LSHIndex-n_probe-zero", lambda c: LSHIndex(n_probe=0), ValueError, "n_probe"),
    case("rotated-index-with-vectors_file", lambda c: (np.save(c.tmp / "v.npy", c.vectors()),
                                                       BruteForceIndex(rotation="pca").build(c.vectors()).save(
                                                           str(c.tmp / "i"), vectors_file=c.tmp / "v.npy")),
         ValueError, "rotat"),
]

# --------------------------------------------------------------------------- recall
TSV_HEADER = "user_id\titem_id\ttimestamp\n"
RECALL = [
    case("load_interactions-int", lambda c: recall.load_interactions(5), TypeError, "source must be"),
    case("load_interactions-missing-file", lambda c: recall.load_interactions(str(c.tmp / "log.tsv")),
         FileNotFoundError, "log.tsv"),
    case("load_interactions-directory", lambda c: recall.load_interactions(c.folder()), IsADirectoryError,
         "directory"),
    case("load_interactions-empty-file", lambda c: recall.load_interactions(c.file("log.tsv", "")), ValueError,
         "empty file"),
    case("load_interactions-header-only", lambda c: recall.load_interactions(c.file("log.tsv", TSV_HEADER)),
         ValueError, "no data rows"),
    case("load_interactions-two-columns", lambda c: recall.load_interactions(c.file("log.tsv", "1\t2\n3\t4\n")),
         ValueError, "at least 3 columns"),
    case("load_interactions-ragged-rows", lambda c: recall.load_interactions(c.file("log.tsv", "1\t2\t3\n1\t2\n")),
         ValueError, "row 2 has 2 fields"),
    case("load_interactions-text-timestamps", lambda c: recall.load_interactions(
        c.file("log.tsv", TSV_HEADER + "1\ta\tmonday\n")), ValueError, "timestamps must be numbers"),
    case("load_interactions-unknown-column", lambda c: recall.load_interactions(
        c.file("log.tsv", TSV_HEADER + "1\ta\t3\n"), user_col="customer"), KeyError, "customer"),
    case("load_interactions-tuple-of-two", lambda c: recall.load_interactions(([1], [2])), ValueError,
         "tuple source"),
    case("load_interactions-lengths-differ", lambda c: recall.load_interactions(([1, 2], ["a"], [1, 2])), ValueError,
         "item_ids has 1 values"),
    case("load_interactions-nan-timestamp", lambda c: recall.load_interactions(([1], ["a"], [np.nan])), ValueError,
         "timestamps contain NaN"),
    case("load_interactions-nan-weight", lambda c: recall.load_interactions(([1], ["a"], [1], [np.nan])),
         ValueError, "weights contain NaN"),
    case("load_interactions-2d-users", lambda c: recall.load_interactions(([[1]], ["a"], [1])), ValueError,
         "user_ids must be 1-d"),
    case("load_interactions-min_weight-without-weights", lambda c: recall.load_interactions(
        ([1], ["a"], [1]), min_weight=3), ValueError, "min_weight"),
    case("leave_last_out-not-interactions", lambda c: recall.leave_last_out([(1, 2, 3)]), TypeError, "Interactions"),
    case("random_split-fraction-above-one", lambda c: recall.random_split(c.interactions(), test_fraction=1.5),
         ValueError, "test_fraction"),
    case("sessionize-min_length-zero", lambda c: recall.sessionize(c.interactions(), min_length=0), ValueError,
         "min_length"),
    case("sessionize-gap-negative", lambda c: recall.sessionize(c.interactions(), gap=-1), ValueError, "gap"),
    case("train_item2vec-window-zero", lambda c: recall.train_item2vec(c.interactions(), window=0), ValueError,
         "window"),
    case("user_vectors-method", lambda c: recall.user_vectors(c.interactions(), np.ones((3, 4)), method="median"),
         ValueError, "method"),
    case("user_vectors-wrong-item-count", lambda c: recall.user_vectors(c.interactions(), np.ones((5, 4))),
         ValueError, "n_items=3"),
    case("user_vectors-level-too-big", lambda c: recall.user_vectors(c.interactions(), np.ones((3, 4)), level=5),
         ValueError, "level"),
    case("ItemRecall-empty", lambda c: recall.ItemRecall(np.zeros((0, 4))), ValueError, "non-empty"),
    case("ItemRecall-all-zero", lambda c: recall.ItemRecall(np.zeros((3, 4))), ValueError, "every item vector is zero"),
    case("ItemRecall-unknown-index", lambda c: recall.ItemRecall(np.ones((3, 4)), index="annoy"), ValueError,
         "annoy"),
    case("ItemRecall-nan-vectors", lambda c: recall.ItemRecall(np.full((3, 4), np.nan)), ValueError, "NaN"),
    case("recommend-k-zero", lambda c: c.recaller().recommend(np.ones((2, D)), k=0), ValueError, "k must be"),
    case("recommend-1d-users", lambda c: c.recaller().recommend(np.ones(D), k=2), ValueError, "2-d"),
    case("recommend-wrong-dimension", lambda c: c.recaller().recommend(np.ones((2, 3)), k=2), ValueError,
         "dimension 3"),
    case("recommend-filter-wrong-shape", lambda c: c.recaller().recommend(np.ones((2, D)), k=2,
                                                                         filter=np.ones(9, bool)), ValueError,
         "filter"),
    case("recommend-rerank-not-callable", lambda c: c.recaller().recommend(np.ones((2, D)), k=2, rerank=3),
         TypeError, "rerank"),
    case("recommend-exclude-wrong-type", lambda c: c.recaller().recommend(np.ones((2, D)), k=2, exclude="seen"),
         TypeError, "exclude"),
    case("recommend-users-out-of-range", lambda c: c.recaller().recommend(np.ones((2, D)), k=2, users=[5]),
         ValueError, "users"),
    case("metrics-ks-zero", lambda c: recall.evaluate(np.zeros((4, 3), np.int64), c.interactions(), ks=[0]),
         ValueError, "ks"),
    case("metrics-ks-above-K", lambda c: recall.evaluate(np.zeros((4, 3), np.int64), c.interactions(), ks=[5]),
         ValueError, "K=3"),
    case("metrics-ks-int", lambda c: recall.evaluate(np.zeros((4, 3), np.int64), c.interactions(), ks=3),
         TypeError, "ks"),
    case("metrics-ks-str", lambda c: recall.evaluate(np.zeros((4, 3), np.int64), c.interactions(), ks=["ten"]),
         TypeError, "ks"),
    case("metrics-test-not-interactions", lambda c: recall.evaluate(np.zeros((4, 3), np.int64), "test"), TypeError,
         "Interactions"),
    case("metrics-float-recs", lambda c: recall.evaluate(np.zeros((4, 3)), c.interactions()), ValueError,
         "int array"),
    case("format_table-empty", lambda c: recall.format_table({}), ValueError, "empty"),
]

# --------------------------------------------------------------------------- set_seed
SEED = [
    case("set_seed-negative", lambda c: set_seed(-1), ValueError, "seed"),
    case("set_seed-too-big", lambda c: set_seed(2 ** 63), ValueError, r"2\*\*63"),
    case("set_seed-float", lambda c: set_seed(1.5), TypeError, "seed must be an int"),
    case("set_seed-str", lambda c: set_seed("42"), TypeError, "seed must be an int"),
    case("set_seed-bool", lambda c: set_seed(True), TypeError, "seed must be an int"),
    case("set_seed-none", lambda c: set_seed(None), TypeError, "seed must be an int"),
]

ALL_CASES = WORD2VEC_PARAMS + VOCAB_AND_TRAIN + FILES + KEYED_VECTORS + EVALUATION + INDEXES + RECALL + SEED


@pytest.mark.parametrize("fn, exc, match", ALL_CASES)
def test_bad_input(ctx, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(ctx)


def test_parameter_type_errors_are_value_errors_too():
    """Index knobs and levels used to raise ValueError for wrong types: code catching that still works."""
    for call in (lambda: HNSWIndex(M=2.5), lambda: KeyedVectors(8).get_vector("x", level=2.5),
                 lambda: KeyedVectors("8")):
        with pytest.raises(TypeError):
            call()
        with pytest.raises(ValueError):
            call()


def test_set_seed_failure_keeps_previous_seed():
    from w2vm.utils import get_seed

    set_seed(7)
    with pytest.raises(ValueError):
        set_seed(-1)
    assert get_seed() == 7
    set_seed(1)


def test_failed_calls_leave_objects_unchanged(ctx):
    kv = ctx.kv
    before = (list(kv.index_to_key), kv.vectors.copy())
    for bad in (lambda: kv.add_vectors(["dragon"], NAN[None, :]), lambda: kv.add_vectors(["x", "x"], np.ones((2, D))),
                lambda: kv.add_vector("king", np.ones(D))):
        with pytest.raises(ValueError):
            bad()
    assert list(kv.index_to_key) == before[0]
    np.testing.assert_array_equal(kv.vectors, before[1])
    index = ctx.index(HNSWIndex)
    n = len(index)
    with pytest.raises(ValueError):
        index.add(np.vstack([np.ones((1, D)), NAN[None, :]]))
    assert len(index) == n


# --------------------------------------------------------------------------- command line
def run_main(argv, capsys):
    from w2vm.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.fixture
def cli_files(ctx):
    base = ctx.base()
    return {"model": base, "tmp": str(ctx.tmp), "missing": str(ctx.tmp / "missing"),
            "empty": ctx.file("empty.txt", ""), "corpus": ctx.file("corpus.txt", "king queen man\n" * 5),
            "dir": ctx.folder()}


def cli(id, argv, code, command, text):
    return pytest.param(argv, code, command, text, id=id)


CLI_CASES = [
    cli("no-command", [], 2, None, None),
    cli("unknown-command", ["frobnicate"], 2, "", "invalid choice"),
    cli("train-missing-corpus", ["train", "{missing}", "-o", "{tmp}/m"], 1, "train", "does not exist"),
    cli("train-empty-corpus", ["train", "{empty}", "-o", "{tmp}/m"], 1, "train", "is empty"),
    cli("train-no-output", ["train", "{corpus}"], 2, "train", "--output"),
    cli("train-output-folder-missing", ["train", "{corpus}", "-o", "{missing}/m"], 1, "train", "does not exist"),
    cli("train-levels-decreasing", ["train", "{corpus}", "-o", "{tmp}/m", "--levels", "8,4"], 2, "train",
        "strictly increasing"),
    cli("train-levels-not-numbers", ["train", "{corpus}", "-o", "{tmp}/m", "--levels", "a,b"], 2, "train",
        "comma-separated numbers"),
    cli("train-window-zero", ["train", "{corpus}", "-o", "{tmp}/m", "--window", "0"], 2, "train", "window"),
    cli("train-vector-size-text", ["train", "{corpus}", "-o", "{tmp}/m", "--vector-size", "big"], 2, "train",
        "big"),
    cli("train-epochs-zero", ["train", "{corpus}", "-o", "{tmp}/m", "--epochs", "0"], 2, "train", ">= 1"),
    cli("train-sg-two", ["train", "{corpus}", "-o", "{tmp}/m", "--sg", "2"], 2, "train", "invalid choice"),
    cli("train-unknown-option", ["train", "{corpus}", "-o", "{tmp}/m", "--size", "5"], 2, "train",
        "unrecognized arguments"),
    cli("train-resume-missing", ["train", "{corpus}", "--resume", "{missing}"], 1, "train", "no model there"),
    cli("query-missing-model", ["query", "{missing}", "king"], 1, "query", "no such vectors"),
    cli("query-directory-model", ["query", "{dir}", "king"], 1, "query", "directory"),
    cli("query-unknown-word", ["query", "{model}", "dragon"], 1, "query", "dragon"),
    cli("query-level-zero", ["query", "{model}", "king", "--level", "0"], 2, "query", ">= 1"),
    cli("query-level-too-big", ["query", "{model}", "king", "--level", "99"], 2, "query", "99"),
    cli("query-topn-negative", ["query", "{model}", "king", "--topn", "-1"], 2, "query", "-1"),
    cli("convert-missing-input", ["convert", "{missing}", "{tmp}/out.txt"], 1, "convert", "no such"),
    cli("convert-output-folder-missing", ["convert", "{model}", "{missing}/out.txt"], 1, "convert",
        "does not exist"),
    cli("convert-level-too-big", ["convert", "{model}", "{tmp}/out.txt", "--level", "99"], 2, "convert", "99"),
    cli("convert-same-base", ["convert", "{model}", "{model}"], 1, "convert", "same base"),
    cli("convert-levels-for-text", ["convert", "{model}", "{tmp}/out.txt", "--levels", "4,8"], 2, "convert",
        "--levels"),
    cli("index-build-missing-model", ["index", "build", "{missing}", "{tmp}/i"], 1, "index build", "no such"),
    cli("index-build-level-too-big", ["index", "build", "{model}", "{tmp}/i", "--level", "99"], 2, "index build",
        "larger than"),
    cli("index-build-bad-type", ["index", "build", "{model}", "{tmp}/i", "--type", "annoy"], 2, "index build",
        "invalid choice"),
    cli("index-build-output-folder-missing", ["index", "build", "{model}", "{missing}/i"], 1, "index build",
        "does not exist"),
    cli("index-query-missing-index", ["index", "query", "{missing}", "king"], 1, "index query", "no index"),
    cli("eval-missing-analogies", ["eval", "{model}", "--analogies", "{missing}"], 1, "eval", "missing"),
    cli("eval-levels-too-big", ["eval", "{model}", "--pairs", "{corpus}", "--levels", "4,99"], 2, "eval", "99"),
    cli("recall-missing-log", ["recall", "{missing}"], 1, "recall", "no such file"),
    cli("recall-bad-window", ["recall", "{corpus}", "--window", "0"], 1, "recall", "--window"),
]


@pytest.mark.parametrize("argv, code, command, text", CLI_CASES)
def test_cli_bad_input(cli_files, capsys, argv, code, command, text):
    got, err = run_main([a.format(**cli_files) for a in argv], capsys)
    assert got == code, err
    assert "Traceback" not in err
    if command is None:
        return
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"w2vm {command}: error: ".replace("w2vm : ", "w2vm: ")), err
    assert text in last, last


def test_cli_index_query_unknown_word(cli_files, capsys):
    assert run_main(["index", "build", cli_files["model"], cli_files["tmp"] + "/idx", "--type", "brute"],
                    capsys)[0] == 0
    code, err = run_main(["index", "query", cli_files["tmp"] + "/idx", "dragon"], capsys)
    assert code == 1 and err.strip().splitlines()[-1] == \
        "w2vm index query: error: not in the vocabulary: 'dragon'"


def test_whole_catalogue_is_large():
    assert len(ALL_CASES) + len(CLI_CASES) >= 100
    ids = [p.id for p in ALL_CASES + CLI_CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
