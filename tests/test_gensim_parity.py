"""gensim code that runs unchanged after ``gensim`` becomes ``w2vm`` in its imports.

One or more tests per point of the gensim-parity issue; the behaviours that
belong to one module are tested in that module's test file, the ones that
cross modules (and the side-by-side checks against gensim) here.
"""
import logging
import pickle
import threading

import numpy as np
import pytest

from w2vm.models.callbacks import CallbackAny2Vec
from w2vm.models.errors import ModelStateError
from w2vm.test.utils import common_texts, get_tmpfile, temporary_file

SENTENCES = [["w%d" % ((i * 7 + j * 3) % 40) for j in range(10)] for i in range(300)]


def small_model(**kwargs):
    from w2vm.models import Word2Vec
    params = dict(vector_size=16, min_count=1, workers=1, epochs=2, seed=3)
    params.update(kwargs)
    return Word2Vec(SENTENCES, **params)


# ------------------------------------------------------------- 1. the import line
def test_tutorial_import_line_and_common_texts():
    import w2vm
    from w2vm.models import KeyedVectors, Word2Vec
    assert Word2Vec is w2vm.Word2Vec and KeyedVectors is w2vm.KeyedVectors
    model = Word2Vec(common_texts, vector_size=10, window=5, min_count=1, workers=1)
    assert "computer" in model.wv and len(common_texts) == 9
    path = get_tmpfile("word2vec.model")
    model.save(path)
    assert Word2Vec.load(path).wv.index_to_key == model.wv.index_to_key
    with temporary_file("x.txt") as name:
        open(name, "w").close()
    import os
    assert not os.path.exists(name)
    # the converters' old path still works
    from w2vm.io.gensim_compat import from_gensim
    from w2vm.models.gensim_compat import from_gensim as moved
    assert from_gensim is moved


# ------------------------------------------------------------- 2. callbacks
class Recorder(CallbackAny2Vec):
    def __init__(self):
        self.events = []

    def on_train_begin(self, model):
        self.events.append("train_begin")

    def on_epoch_begin(self, model):
        self.events.append("epoch_begin")

    def on_epoch_end(self, model):
        self.events.append("epoch_end")

    def on_train_end(self, model):
        self.events.append("train_end")


def test_constructor_callbacks_fire_once_and_only_for_the_constructor_training():
    seen = Recorder()
    model = small_model(epochs=2, callbacks=[seen])
    assert seen.events == ["train_begin"] + ["epoch_begin", "epoch_end"] * 2 + ["train_end"]
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert len(seen.events) == 6  # gensim 4: train() uses only the callbacks passed to it
    other = Recorder()
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1, callbacks=[other])
    assert other.events == ["train_begin", "epoch_begin", "epoch_end", "train_end"]
    assert len(seen.events) == 6


# ------------------------------------------------------------- 5. the reported loss
def test_latest_training_loss_is_the_full_levels_and_on_gensims_scale():
    model = small_model(compute_loss=True, levels=[4, 8, 16], epochs=3)
    history = np.array(model.loss_history)
    assert model.get_latest_training_loss() == pytest.approx(history[:, -1].sum())
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.Word2Vec(SENTENCES, vector_size=16, min_count=1, workers=1, epochs=3, seed=3,
                                    compute_loss=True)
    # same objective for the full vector, different random streams: the same order of magnitude
    ratio = model.get_latest_training_loss() / theirs.get_latest_training_loss()
    assert 0.5 < ratio < 2.0, ratio


# ------------------------------------------------------------- 6. pickling live objects
def test_live_model_and_vectors_pickle_and_keep_working():
    model = small_model(trim_rule=lambda word, count, min_count: None)
    model.wv.most_similar("w1")  # fills the norm cache, which is not pickled
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.wv.vectors, model.wv.vectors)
    assert clone.wv.most_similar("w1", topn=3) == model.wv.most_similar("w1", topn=3)
    assert clone.trim_rule is None  # not part of the model, as in gensim
    clone.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    kv = pickle.loads(pickle.dumps(model.wv))
    threads = [threading.Thread(target=kv.add_vectors, args=([f"new{i}"], np.ones((1, 16)))) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kv) == len(model.wv) + 4


# ------------------------------------------------------------- 8. gensim's save/load keywords
def test_gensims_save_keywords_are_accepted_and_ignore_is_honoured(tmp_path):
    from w2vm.models import KeyedVectors, Word2Vec
    from w2vm.models import gensim_compat
    gensim_compat._warned.clear()
    model = small_model()
    with pytest.warns(UserWarning, match="sep_limit.*ignored") as caught:
        model.save(str(tmp_path / "m"), sep_limit=1, separately=["syn1neg"], pickle_protocol=4)
    assert len(caught) == 3
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per keyword and process
        model.wv.save(fname_or_handle=str(tmp_path / "kv"), sep_limit=1, ignore=["vectors_norm"])
    assert KeyedVectors.load(fname=str(tmp_path / "kv")).index_to_key == model.wv.index_to_key
    model.save(str(tmp_path / "light"), ignore=["syn1neg", "cum_table"])
    assert not (tmp_path / "light.syn1neg.npy").exists()
    light = Word2Vec.load(fname=str(tmp_path / "light"))
    assert not light.syn1neg.any()
    light.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    with pytest.raises(ValueError, match="always saved"):
        model.save(str(tmp_path / "x"), ignore=["wv"])
    with pytest.raises(TypeError, match="needs a path"):
        model.save(open(tmp_path / "handle", "wb"))


# ------------------------------------------------------------- 9. files gensim saved
def test_a_gensim_pickle_given_to_our_loaders_names_the_way_out(tmp_path):
    from w2vm.models import KeyedVectors, Word2Vec
    from w2vm.models.gensim_compat import GensimFileError
    path = tmp_path / "vectors.kv"
    path.write_bytes(pickle.dumps({"not": "loaded"}, protocol=4))  # never unpickled by w2vm
    for loader, name in ((KeyedVectors.load, "KeyedVectors"), (Word2Vec.load, "Word2Vec")):
        with pytest.raises(GensimFileError, match=rf"{name}\.from_gensim.*w2vm convert .* --from gensim"):
            loader(str(path))
    text = tmp_path / "vectors.txt"
    text.write_text("1 2\na 0.5 0.5\n")
    with pytest.raises(ValueError, match="load_word2vec_format"):
        KeyedVectors.load(str(text))


# word j is in sentence i when j <= i % 30: every word has its own count, so both libraries
# build the same Huffman tree (they break ties between equal counts differently)
ZIPF = [[f"z{j}" for j in range(i % 30 + 1)] for i in range(300)]


def test_gensim_files_and_objects_convert_both_ways(tmp_path):
    gensim = pytest.importorskip("gensim")
    from w2vm.models import KeyedVectors, Word2Vec
    for mode in (dict(sg=1, negative=5, hs=0), dict(sg=0, negative=0, hs=1)):
        theirs = gensim.models.Word2Vec(ZIPF, vector_size=12, min_count=1, workers=1, epochs=1, seed=1,
                                        **mode)
        path = str(tmp_path / "w2v.model")
        theirs.save(path)
        ours = Word2Vec.from_gensim(path)
        assert ours.wv.index_to_key == theirs.wv.index_to_key and ours.levels == [12]
        np.testing.assert_array_equal(ours.wv.vectors, theirs.wv.vectors)
        output = ours.syn1neg if mode["negative"] else ours.syn1
        assert output.any()
        # the same output layer: both predict alike
        sentence = ZIPF[12]
        if mode["hs"]:
            np.testing.assert_allclose(ours.score([sentence]), theirs.score([sentence]), rtol=1e-4)
        else:
            assert [w for w, _ in ours.predict_output_word(sentence[:4], topn=3)] == \
                [w for w, _ in theirs.predict_output_word(sentence[:4], topn=3)]
        ours.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
        back = ours.to_gensim()
        np.testing.assert_array_equal(back.wv.vectors, ours.wv.vectors)
        back.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    tied = gensim.models.Word2Vec(SENTENCES, vector_size=8, min_count=1, workers=1, epochs=1, hs=1, negative=0)
    with pytest.warns(UserWarning, match="start from zeros"):
        partial = Word2Vec.from_gensim(tied)
    assert partial.syn1.any()  # the nodes over the same words are copied
    theirs.wv.save(str(tmp_path / "vectors.kv"))
    kv = KeyedVectors.from_gensim(str(tmp_path / "vectors.kv"))
    np.testing.assert_array_equal(kv.vectors, theirs.wv.vectors)


def test_cli_converts_a_gensim_model_into_a_trainable_w2vm_model(tmp_path, capsys):
    gensim = pytest.importorskip("gensim")
    from w2vm.cli import main
    from w2vm.models import Word2Vec
    theirs = gensim.models.Word2Vec(SENTENCES, vector_size=8, min_count=1, workers=1, epochs=1)
    theirs.save(str(tmp_path / "old.model"))
    args = ["convert", str(tmp_path / "old.model"), str(tmp_path / "new")]
    assert main(args) == 2 and "--from gensim" in capsys.readouterr().err
    assert main(args + ["--from", "gensim"]) == 0, capsys.readouterr().err
    model = Word2Vec.load(str(tmp_path / "new"))
    np.testing.assert_array_equal(model.wv.vectors, theirs.wv.vectors)
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)


# ------------------------------------------------------------- 11. errors and warnings
def test_empty_vocabulary_is_a_runtime_error_and_a_value_error(caplog):
    from w2vm.models import Word2Vec
    with pytest.raises(RuntimeError, match="vocabulary is empty"):
        Word2Vec([["a", "b"]], min_count=5)
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Word2Vec([["a", "b"]], min_count=5)
    assert issubclass(ModelStateError, RuntimeError) and issubclass(ModelStateError, ValueError)
    with caplog.at_level(logging.WARNING, logger="w2vm"):
        model = small_model(hs=1, negative=5, epochs=1)
        assert any("Both hierarchical softmax and negative sampling" in r.getMessage() for r in caplog.records)
        caplog.clear()
        model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)  # starts again at alpha
        assert any("Effective 'alpha' higher than previous" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------- 12. add_vectors then train/save
@pytest.mark.parametrize("mode", [dict(hs=0, negative=5), dict(hs=1, negative=0)], ids=["ns", "hs"])
def test_vectors_added_to_a_models_wv_train_and_save(tmp_path, mode):
    from w2vm.models import Word2Vec
    model = small_model(epochs=1, **mode)
    model.wv.add_vectors(["fresh", "new"], np.full((2, 16), 0.01, dtype=np.float32))
    model.train(SENTENCES + [["fresh", "w1", "new"]] * 20, total_examples=320, epochs=1)
    assert not np.allclose(model.wv["fresh"], 0.01)
    model.save(str(tmp_path / "m"))
    loaded = Word2Vec.load(str(tmp_path / "m"))
    assert loaded.wv.index_to_key[-2:] == ["fresh", "new"]
    loaded.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)


# ------------------------------------------------------------- 13. verbose and PROGRESS lines
def test_verbose_false_is_silent_and_the_default_logs_like_gensim(caplog):
    with caplog.at_level(logging.INFO, logger="w2vm"):
        small_model(epochs=1, verbose=False)
        assert not [r for r in caplog.records if r.levelno == logging.INFO]
        small_model(epochs=1, progress_interval=3600)  # default verbose: gensim's INFO lines
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("collected") for m in messages)
    # an epoch shorter than progress_interval still logs its PROGRESS line
    assert any(m.startswith("EPOCH 1 - PROGRESS: at 100.00% words") for m in messages)
