"""Word2Vec with Matryoshka levels: gensim's API, trained by native kernels.

This module owns the orchestration: parameter checks, the vocabulary, the
learning-rate schedule, epochs, callbacks and persistence. The per-pair
arithmetic lives in the compiled kernels (``_word2vec_kernels.pxi``); corpus readers in
``w2vm.corpora``; vocabulary tables in ``vocab.py``; chunking in
``batching.py``.

Example
-------
>>> from w2vm import Word2Vec
>>> model = Word2Vec([["hello", "world"]] * 50, vector_size=64, min_count=1, levels=[16, 32, 64])
>>> model.wv.most_similar("hello", topn=1, level=16)  # doctest: +SKIP
"""
import contextlib
import logging
import numbers
import os

import numpy as np

from w2vm.corpora import LineSentence, PathLineSentences, Text8Corpus  # noqa: F401  (gensim's paths)
from w2vm.levels import validate_level_weights, validate_levels
from w2vm.models import epochs as epochs_mod, gensim_compat, model_files, vocab as vocab_mod
from w2vm.models._native import native
from w2vm.models.errors import ModelStateError
from w2vm.models.keyedvectors import REAL, KeyedVectors, check_base  # noqa: F401  (REAL: gensim's path)
from w2vm.models.progress import ProgressReporter, ensure_visible_logging, progress_tick
from w2vm.utils import check_seed, get_seed

logger = logging.getLogger("w2vm")

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus", "REAL"]

def _check_int(name, value, minimum=None, allow_none=False, maximum=None):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        # the native trainer takes C ints; a saved model's meta file is not trusted either
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def _check_float(name, value, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def _check_flag(name, value):
    """gensim's 0/1 switches (``sg``, ``hs``, ``cbow_mean``): a bool or the int 0 or 1."""
    if not isinstance(value, (numbers.Integral, np.bool_)):
        raise TypeError(f"{name} must be 0 or 1, not {type(value).__name__} {value!r:.40}")
    if value not in (0, 1):
        raise ValueError(f"{name} must be 0 or 1, got {value}")
    return int(value)


def _is_one_shot(iterable):
    """Generators and other iterators can be read only once."""
    try:
        return iter(iterable) is iterable
    except TypeError:
        raise TypeError(
            f"the corpus must be an iterable of token lists, got {type(iterable).__name__}") from None


class _ClassOnlyMethod(classmethod):
    """A classmethod that refuses to be called on an instance, as gensim's ``Word2Vec.load`` does:
    ``model.load(path)`` returns a new model and leaves ``model`` as it was, which reads as if
    it loaded into ``model``."""

    def __get__(self, instance, owner=None):
        if instance is not None:
            raise AttributeError(f"{type(instance).__name__}.load is called on the class and returns a "
                                 f"new model: model = {type(instance).__name__}.load(path)")
        return super().__get__(instance, owner)


class Word2Vec:
    """Train word2vec (skip-gram or CBOW; negative sampling and/or hierarchical
    softmax) so that every prefix ``v[:m]``, ``m`` in ``levels``, is a good embedding.

    The parameters and defaults are gensim 4.4's, plus:

    Parameters
    ----------
    levels : list of int, optional
        Strictly increasing prefix sizes ending at ``vector_size``; the default
        is ``[vector_size // 4, vector_size // 2, vector_size]``. All levels are
        trained jointly at about the cost of one.
    level_weights : list of float, optional
        Weight of each level's loss (default 1 each: summed, not averaged).
    verbose : bool or None
        ``None`` (the default) logs INFO lines on the ``w2vm`` logger as gensim
        does on its own: they show once the application configures logging
        (``logging.basicConfig(level=logging.INFO)``). ``True`` also makes
        them visible on stderr when nothing is configured; ``False`` logs no
        INFO lines at all (warnings still go out).
    progress_interval : float
        Seconds between PROGRESS lines; each epoch also logs one at its end.
    hogbatch : bool
        Skip-gram with negative sampling only: share one set of negative samples
        among the context words of a window (Ji et al., 2016, "HogBatch"), so each
        output row is read once per window. See ``benchmarks/README.md`` for its
        speed and quality here.
    seed : int, optional
        Random seed (gensim's default 1, or the value of the last ``set_seed``).
        With ``workers=1`` two runs give bit-identical vectors.

    Notes
    -----
    Differences from gensim, on purpose: ``save`` writes ``.npy`` and JSON files,
    never a pickle (gensim's own files are read through :meth:`from_gensim`);
    ``trim_rule`` is kept for later ``build_vocab`` calls of this object but is
    neither saved nor pickled, as in gensim; ``get_latest_training_loss`` is the
    full-dimension level's loss, each level's own is in ``loss_history``.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=None, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, levels=None, level_weights=None,
                 verbose=None, progress_interval=1.0, hogbatch=False):
        self.vector_size = _check_int("vector_size", vector_size, 1)
        self.alpha = _check_float("alpha", alpha, 0.0)
        self.min_alpha = _check_float("min_alpha", min_alpha, 0.0)
        self.window = _check_int("window", window, 1, maximum=1 << 20)
        self.min_count = _check_int("min_count", min_count, 0)
        self.max_vocab_size = _check_int("max_vocab_size", max_vocab_size, 1, allow_none=True)
        self.max_final_vocab = _check_int("max_final_vocab", max_final_vocab, 1, allow_none=True)
        self.sample = _check_float("sample", sample, 0.0)
        self.seed = check_seed(get_seed() if seed is None else seed)
        self.workers = _check_int("workers", workers, 1, maximum=1024)
        self.sg = _check_flag("sg", sg)
        self.hs = _check_flag("hs", hs)
        self.negative = _check_int("negative", negative, 0, maximum=1 << 16)
        if not self.hs and not self.negative:
            raise ValueError("negative=0 and hs=0 leaves nothing to train: set negative > 0 or hs=1")
        self.ns_exponent = _check_float("ns_exponent", ns_exponent)
        self.cbow_mean = _check_flag("cbow_mean", cbow_mean)
        self.epochs = _check_int("epochs", epochs, 1)
        self.null_word = int(bool(null_word))
        self.sorted_vocab = int(bool(sorted_vocab))
        self.batch_words = _check_int("batch_words", batch_words, 1)
        self.compute_loss = bool(compute_loss)
        try:
            self.callbacks = tuple(callbacks or ())
        except TypeError:
            raise TypeError(f"callbacks must be a list of CallbackAny2Vec objects, got {callbacks!r:.60}") from None
        self.comment = comment
        self.shrink_windows = bool(shrink_windows)
        self.hashfxn = hashfxn  # accepted for gensim compatibility; initialisation uses `seed`
        if trim_rule is not None and not callable(trim_rule):
            raise TypeError(f"trim_rule must be callable as trim_rule(word, count, min_count), got {trim_rule!r:.60}")
        self.trim_rule = trim_rule
        self.levels = validate_levels(levels, self.vector_size)
        if len(self.levels) > native.MAX_LEVELS_SUPPORTED:
            raise ValueError(f"at most {native.MAX_LEVELS_SUPPORTED} levels are supported, "
                             f"got {len(self.levels)}")
        self.level_weights = validate_level_weights(level_weights, self.levels)
        self.verbose = None if verbose is None else bool(verbose)
        self.progress_interval = _check_float("progress_interval", progress_interval, 0.0)
        self.hogbatch = bool(hogbatch)
        if self.hogbatch and not (self.sg and self.negative and not self.hs):
            raise ValueError("hogbatch=True needs skip-gram with negative sampling only "
                             "(sg=1, negative>0, hs=0)")

        self.wv = KeyedVectors(self.vector_size, levels=self.levels)
        self.syn1neg = np.zeros((0, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((0, self.vector_size), dtype=np.float32)
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = self.min_count
        self.epochs_trained = 0
        self.train_count = 0
        self.min_alpha_yet_reached = self.alpha
        self.running_training_loss = 0.0
        self.loss_history = []
        self.current_epoch_loss = None  # per level, so far in the running epoch (compute_loss)
        self.raw_vocab = {}
        self._tables = None

        if sentences is not None and corpus_file is not None:
            raise TypeError("pass either sentences or corpus_file, not both")
        if sentences is not None or corpus_file is not None:
            corpus = self._corpus_from(sentences, corpus_file)
            if _is_one_shot(corpus):
                raise TypeError(
                    "sentences is a generator or one-shot iterator, but building the vocabulary and "
                    "training need several passes: pass a restartable iterable (a list, LineSentence, "
                    "or a class whose __iter__ yields token lists)")
            self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs, start_alpha=self.alpha,
                       end_alpha=self.min_alpha, compute_loss=self.compute_loss, callbacks=self.callbacks)

    # ------------------------------------------------------------------ corpus helpers
    @staticmethod
    def _corpus_from(corpus_iterable, corpus_file):
        if corpus_iterable is not None and corpus_file is not None:
            raise TypeError("pass either corpus_iterable or corpus_file, not both")
        if corpus_file is not None:
            if not isinstance(corpus_file, (str, bytes, os.PathLike)):
                raise TypeError(f"corpus_file must be a path, not {type(corpus_file).__name__}")
            return LineSentence(corpus_file)
        if corpus_iterable is None:
            return None
        if isinstance(corpus_iterable, (str, bytes)):
            raise TypeError("the corpus must be an iterable of token lists, not a string "
                            "(for a file, use corpus_file= or LineSentence(path))")
        _is_one_shot(corpus_iterable)  # raises TypeError for non-iterables
        return corpus_iterable

    # ------------------------------------------------------------------ vocabulary
    def _log_info(self, message, *args):
        """An INFO line on the ``w2vm`` logger, unless ``verbose=False``."""
        if self.verbose is not False:
            logger.info(message, *args)

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Scan the corpus once and build the vocabulary (``update=True`` adds new words).

        :meth:`scan_vocab` then :meth:`prepare_vocab`, as in gensim.
        """
        if kwargs:
            raise TypeError(f"build_vocab() got unexpected keyword arguments {sorted(kwargs)}")
        total_words, corpus_count = self.scan_vocab(corpus_iterable, corpus_file=corpus_file,
                                                    progress_per=progress_per, trim_rule=trim_rule)
        self.corpus_count = corpus_count
        self.corpus_total_words = total_words
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Count the words of the corpus into ``raw_vocab``; return ``(total_words, corpus_count)``.

        ``workers`` is accepted for gensim's signature; the count is one pass.
        """
        corpus = self._corpus_from(corpus_iterable, corpus_file)
        if corpus is None:
            raise TypeError("build_vocab needs corpus_iterable or corpus_file")
        log = self._log_info
        if corpus_file is not None and epochs_mod.native_corpus_file(corpus_file):
            counts, corpus_count, total_words = vocab_mod.scan_corpus_file(
                corpus_file, max_vocab_size=self.max_vocab_size, log=log)
        else:
            counts, corpus_count, total_words = vocab_mod.scan_vocab(
                corpus, progress_per=progress_per, max_vocab_size=self.max_vocab_size,
                trim_rule=trim_rule if trim_rule is not None else self.trim_rule, log=log)
        self.raw_vocab = counts
        return total_words, corpus_count

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False):
        """Apply ``min_count``, ``max_final_vocab`` and ``sample`` to the counts of :meth:`scan_vocab`.

        With ``dry_run=True`` nothing changes: the report tells what these
        settings would keep. Returns gensim's report: ``drop_unique``,
        ``retain_total``, ``downsample_unique``, ``downsample_total``,
        ``num_retained_words``, plus ``memory`` (:meth:`estimate_memory`).
        """
        if not self.raw_vocab:
            raise ModelStateError("the vocabulary is empty: no words were counted (build_vocab or "
                                  "scan_vocab over a non-empty corpus comes first)")
        min_count = self.min_count if min_count is None else _check_int("min_count", min_count, 0)
        sample = self.sample if sample is None else _check_float("sample", sample, 0.0)
        trim_rule = trim_rule if trim_rule is not None else self.trim_rule
        effective = vocab_mod.effective_min_count(self.raw_vocab, min_count, self.max_final_vocab)
        report = vocab_mod.vocabulary_report(self.raw_vocab, effective, trim_rule, sample)
        report["memory"] = self.estimate_memory(vocab_size=report["num_retained_words"], log=False)
        if dry_run:
            return report
        if not update:
            self.min_count, self.sample = min_count, sample
        self._apply_counts(self.raw_vocab, update=update, trim_rule=trim_rule, min_count=min_count)
        self._log_info("sample=%g downsamples %d most-common words", sample, report["downsample_unique"])
        if not keep_raw_vocab:
            self.raw_vocab = {}
        return report

    def estimate_memory(self, vocab_size=None, report=None, log=True):
        """Bytes needed by a model of ``vocab_size`` words (gensim's estimate), as a dict with ``total``."""
        vocab_size = len(self.wv) if vocab_size is None else _check_int("vocab_size", vocab_size, 0)
        report = dict(report or {})
        row_bytes = self.vector_size * np.dtype(REAL).itemsize
        report["vocab"] = vocab_size * (700 if self.hs else 500)
        report["vectors"] = vocab_size * row_bytes
        if self.hs:
            report["syn1"] = vocab_size * row_bytes
        if self.negative:
            report["syn1neg"] = vocab_size * row_bytes
        report["total"] = sum(v for k, v in report.items() if k != "total")
        if log:
            self._log_info("estimated required memory for %d words and %d dimensions: %d bytes",
                           vocab_size, self.vector_size, report["total"])
        return report

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus."""
        if not hasattr(word_freq, "items"):
            raise TypeError(f"word_freq must be a mapping of word -> count, not {type(word_freq).__name__}")
        vocab_mod.check_tokens(word_freq)
        counts = {}
        for word, count in word_freq.items():
            counts[word] = _check_int(f"count of {word!r}", count, 0)
        self.corpus_count = int(corpus_count) if corpus_count else 0
        self.corpus_total_words = int(sum(counts.values()))
        self.raw_vocab = counts
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)

    def _apply_counts(self, raw_counts, update, trim_rule, min_count=None):
        min_count = self.min_count if min_count is None else min_count
        self.effective_min_count = vocab_mod.effective_min_count(
            raw_counts, min_count, self.max_final_vocab)
        if update:
            if not len(self.wv):
                raise ModelStateError("build_vocab(update=True) needs an existing vocabulary; "
                                      "call build_vocab() first")
            self._update_vocab(raw_counts, trim_rule)
            return
        words, counts = vocab_mod.select_words(raw_counts, self.effective_min_count, trim_rule,
                                               self.sorted_vocab)
        if self.null_word:
            words.append("\0")
            counts = np.append(counts, 1)
        if not words:
            raise ModelStateError(
                f"the vocabulary is empty: no word occurs at least min_count={self.effective_min_count} "
                f"times in a corpus of {self.corpus_total_words} words")
        kv = KeyedVectors(self.vector_size, count=len(words), levels=self.levels)
        kv.index_to_key = list(words)
        kv.key_to_index = {w: i for i, w in enumerate(words)}
        kv.vectors = self._initial_vectors(len(words), stream=0)
        kv.set_vecattr(list(range(len(words))), "count", counts)
        self.wv = kv
        self.syn1neg = np.zeros((len(words), self.vector_size), dtype=np.float32) \
            if self.negative else np.zeros((0, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((len(words), self.vector_size), dtype=np.float32) \
            if self.hs else np.zeros((0, self.vector_size), dtype=np.float32)
        self._tables = None
        self._log_info("vocabulary: %d unique words with min_count=%d", len(words), self.effective_min_count)

    def _update_vocab(self, raw_counts, trim_rule):
        kv = self.wv
        counts = np.array(kv.expandos["count"], dtype=np.int64) if "count" in kv.expandos \
            else np.zeros(len(kv), dtype=np.int64)
        new_words, new_counts = [], []
        for word, count in raw_counts.items():
            index = kv.key_to_index.get(word)
            if index is not None:
                counts[index] += count
            elif vocab_mod.keep_vocab_item(word, count, self.effective_min_count, trim_rule):
                new_words.append(word)
                new_counts.append(count)
        old_len = len(kv)
        if new_words:
            vectors = np.vstack([np.asarray(kv.vectors, dtype=np.float32),
                                 self._initial_vectors(len(new_words), stream=old_len)])
            kv.index_to_key = list(kv.index_to_key) + new_words
            kv.key_to_index = {w: i for i, w in enumerate(kv.index_to_key)}
            kv.vectors = np.ascontiguousarray(vectors)
            if self.negative:
                self.syn1neg = np.vstack([self.syn1neg, np.zeros((len(new_words), self.vector_size),
                                                                  dtype=np.float32)])
            if self.hs:
                self.syn1 = np.vstack([self.syn1, np.zeros((len(new_words), self.vector_size),
                                                            dtype=np.float32)])
        kv.set_vecattr(list(range(len(kv))), "count", np.concatenate([counts, new_counts]).astype(np.int64))
        kv.grow_lockf(old_len)
        kv.invalidate_norms()
        self._tables = None
        self._log_info("vocabulary update: %d new words, %d in all", len(new_words), len(kv))

    def _initial_vectors(self, n, stream):
        # gensim's scale: uniform in [-0.5, 0.5) / vector_size; `stream` keeps rows added by
        # build_vocab(update=True) independent of the first ones
        rng = np.random.default_rng([self.seed, stream])
        vectors = rng.random((n, self.vector_size), dtype=np.float32)
        vectors -= np.float32(0.5)
        vectors /= np.float32(self.vector_size)
        return vectors

    def _byte_lookup(self, required):
        """The vocabulary as a native table of UTF-8 keys (entry i is row i).

        The corpus_file reader needs it; the iterable batcher looks ``str``
        tokens up in it when every key can be encoded, and in ``key_to_index``
        otherwise (``None``).
        """
        keys = self.wv.index_to_key
        if not all(type(key) is str for key in keys):
            # e.g. int keys added with wv.add_vectors: only the dict lookup knows them
            if required:
                raise TypeError("training from corpus_file needs str keys; this vocabulary has other "
                                "keys (e.g. ints): train from an iterable instead")
            return None
        try:
            return native.ByteVocab.from_keys(keys)
        except UnicodeEncodeError:
            if required:
                raise
            return None

    def _sampling_tables(self):
        """Subsampling thresholds, the negative table and the Huffman tree, built once per vocabulary."""
        if self._tables is None or len(self._tables["sample_ints"]) != len(self.wv):
            counts = self._counts()
            tables = {"sample_ints": vocab_mod.sample_ints(counts, self.sample)}
            if self.negative:
                tables["alias_prob"], tables["alias_index"] = vocab_mod.negative_table(
                    counts, self.ns_exponent)
            if self.hs:
                tables["hs_points"], tables["hs_codes"], tables["hs_offsets"] = \
                    vocab_mod.huffman_tree(counts)
            self._tables = tables
        return self._tables

    def _counts(self):
        counts = self.wv.expandos.get("count") if hasattr(self.wv, "expandos") else None
        if counts is None or len(counts) != len(self.wv):
            raise ModelStateError("the vocabulary has no word counts; build it with build_vocab()")
        return np.asarray(counts, dtype=np.int64)

    def _sync_output_layers(self):
        """Give keys added with ``wv.add_vectors`` output rows (zeros, like new words of
        ``build_vocab(update=True)``), so that training and ``save`` see one vocabulary."""
        n = len(self.wv)
        for name, wanted in (("syn1neg", self.negative), ("syn1", self.hs)):
            layer = getattr(self, name)
            if not wanted or len(layer) == n:
                continue
            if len(layer) > n:
                raise ModelStateError(f"{name} has {len(layer)} rows but the vocabulary {n} keys: "
                                      "keys cannot be removed from a model's vocabulary")
            grown = np.zeros((n, self.vector_size), dtype=np.float32)
            grown[:len(layer)] = layer
            setattr(self, name, grown)

    def _check_training_sanity(self, start_alpha):
        """gensim's warnings before training: both output layers on; a learning rate going back up."""
        # gensim's wording, which users' log filters and tests look for
        if self.hs and self.negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. This is probably "
                           "a mistake. You should set either 'hs=0' or 'negative=0' to disable one of them.")
        if start_alpha > self.min_alpha_yet_reached:
            logger.warning("Effective 'alpha' higher than previous training cycles (%g after %g)",
                           start_alpha, self.min_alpha_yet_reached)

    # ------------------------------------------------------------------ training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=None, callbacks=(), progress=None, verbose=None,
              progress_interval=None, **kwargs):
        """Train on a corpus; return ``(trained_word_count, raw_word_count)`` summed over epochs.

        Without a vocabulary, one is built from the corpus first. ``total_examples``
        and ``total_words`` default to the counts from the vocabulary scan. The
        learning rate falls linearly with the words processed, from
        ``start_alpha`` to ``end_alpha`` over all epochs of this call.

        Parameters
        ----------
        callbacks : list of CallbackAny2Vec
            Called for this call only (gensim 4): the constructor's ``callbacks``
            serve the training the constructor runs, not later calls.
        progress : callable, optional
            ``progress(done, total)``: ``done`` raw words trained so far over all
            epochs of this call, ``total`` = ``epochs * total_words``. It is called
            from this thread at least every 0.1 s while training runs (the count
            is at most one job, ``batch_words`` words per worker, behind the
            training threads) and once at the end of every epoch with the
            epoch's exact count; ``done`` never decreases and ends at ``total``
            when ``total_words`` is exact. An exception it raises stops the
            training threads and is raised from ``train``.
        verbose : bool, optional
            Overrides the model's ``verbose`` for this call.
        progress_interval : float, optional
            Overrides the model's ``progress_interval`` for this call.
        """
        if kwargs:
            raise TypeError(f"train() got unexpected keyword arguments {sorted(kwargs)}")
        corpus = self._corpus_from(corpus_iterable, corpus_file)
        if corpus is None:
            raise TypeError("train needs corpus_iterable or corpus_file")
        epochs = self.epochs if epochs is None else _check_int("epochs", epochs, 1)
        one_shot = _is_one_shot(corpus)
        if not len(self.wv):
            if one_shot:
                raise TypeError("the model has no vocabulary yet and the corpus is a generator or "
                                "one-shot iterator: building the vocabulary and training need two "
                                "passes; pass a restartable iterable")
            self.build_vocab(corpus_iterable, corpus_file=corpus_file)
            total_examples, total_words = self.corpus_count, self.corpus_total_words
        indexed_file = None
        if corpus_file is not None and epochs_mod.native_corpus_file(corpus_file):
            indexed_file = epochs_mod.IndexedCorpusFile(corpus_file)
            if total_words is None:
                # the index counts the words exactly: no estimate needed
                total_words = indexed_file.total_words
        if one_shot and epochs > 1:
            raise TypeError(f"the corpus is a generator or one-shot iterator but epochs={epochs} "
                            "needs that many passes: pass a restartable iterable")
        if total_examples is None and total_words is None:
            total_examples, total_words = self.corpus_count, self.corpus_total_words
        total_examples = _check_int("total_examples", total_examples or 0, 0)
        total_words = _check_int("total_words", total_words or 0, 0)
        if not total_words:
            # only the sentence count is known: estimate words from the vocabulary scan
            if self.corpus_count and self.corpus_total_words and total_examples:
                total_words = int(round(self.corpus_total_words * total_examples / self.corpus_count))
            else:
                total_words = self.corpus_total_words or 1
        start_alpha = self.alpha if start_alpha is None else _check_float("start_alpha", start_alpha, 0.0)
        end_alpha = self.min_alpha if end_alpha is None else _check_float("end_alpha", end_alpha, 0.0)
        compute_loss = self.compute_loss if compute_loss is None else bool(compute_loss)
        self.compute_loss = compute_loss
        verbose = self.verbose if verbose is None else bool(verbose)
        interval = self.progress_interval if progress_interval is None else \
            _check_float("progress_interval", progress_interval, 0.0)
        if progress is not None and not callable(progress):
            raise TypeError("progress must be a callable progress(done_words, total_words)")
        try:
            callbacks = tuple(callbacks or ())
        except TypeError:
            raise TypeError(f"callbacks must be a list of CallbackAny2Vec objects, got {callbacks!r:.60}") from None
        if verbose:
            ensure_visible_logging()
        self._check_training_sanity(start_alpha)
        self._sync_output_layers()

        trainer = self._native_trainer(compute_loss)
        log_lines = verbose is not False and logger.isEnabledFor(logging.INFO)
        reporter = ProgressReporter(verbose=log_lines, interval=interval, callback=progress,
                                    epochs=epochs, total_examples=total_examples,
                                    total_words=total_words)
        tick = progress_tick(interval, callback=progress is not None, logging_on=log_lines)
        schedule = epochs_mod.Schedule(start_alpha, end_alpha, float(epochs * total_words))
        lookup = self._byte_lookup(required=indexed_file is not None)
        self.running_training_loss = 0.0
        words_done = 0  # raw words over the whole call: drives the learning rate
        trained_total = raw_total = 0
        full_level = len(self.levels) - 1
        loss_before = 0.0  # the full level's loss over the finished epochs of this call
        if log_lines:
            logger.info("training on %d raw words, %d epochs, levels %s, %d workers%s",
                        total_words, epochs, self.levels, self.workers,
                        " (native corpus_file reader)" if indexed_file is not None else "")
        for cb in callbacks:
            _call(cb, "on_train_begin", self)
        try:
            for epoch in range(epochs):
                for cb in callbacks:
                    _call(cb, "on_epoch_begin", self)
                reporter.begin_epoch(epoch)
                common = dict(workers=self.workers, seed=self.seed, epoch=self.epochs_trained,
                              words_before=words_done, schedule=schedule, tick=tick)
                if indexed_file is not None:
                    steps = epochs_mod.file_epoch(trainer, indexed_file, lookup, **common)
                else:
                    steps = epochs_mod.iterable_epoch(trainer, corpus, self.wv.key_to_index,
                                                      batch_words=self.batch_words, table=lookup,
                                                      **common)
                loss = np.zeros(len(self.levels), dtype=np.float64)
                examples = raw = effective = 0
                # progress ticks may come before the epoch's first chunk is done
                self.current_epoch_loss = loss.tolist() if compute_loss else None
                # closed at once if a progress callback raises: the training
                # threads must stop before the caller sees the error
                with contextlib.closing(steps):
                    for step in steps:
                        if isinstance(step, epochs_mod.Progress):
                            reporter.tick(step.raw_words)
                            continue
                        examples += step.examples
                        raw += step.raw_words
                        effective += step.effective_words
                        loss += step.loss
                        self.min_alpha_yet_reached = step.alpha
                        self.current_epoch_loss = loss.tolist() if compute_loss else None
                        if compute_loss:
                            # gensim's meaning: the loss of the full vector (each level's is in loss)
                            self.running_training_loss = loss_before + float(loss[full_level])
                        reporter.update(examples, raw, effective, step.alpha,
                                        loss if compute_loss else None)
                words_done += raw
                self.epochs_trained += 1
                trained_total += effective
                raw_total += raw
                if compute_loss:
                    self.loss_history.append(loss.tolist())
                    loss_before += float(loss[full_level])
                    self.running_training_loss = loss_before
                reporter.end_epoch(examples, raw, effective, loss if compute_loss else None)
                self.wv.invalidate_norms()
                for cb in callbacks:
                    _call(cb, "on_epoch_end", self)
        finally:
            self.wv.invalidate_norms()
        self.train_count += 1
        for cb in callbacks:
            _call(cb, "on_train_end", self)
        return trained_total, raw_total

    def _native_trainer(self, compute_loss, vector_ops="loops"):
        """The native trainer of these weights and settings (the weights are updated in place)."""
        tables = self._sampling_tables()
        self.wv.vectors = np.ascontiguousarray(self.wv.vectors, dtype=np.float32)
        return native.Trainer(
            syn0=self.wv.vectors, syn1neg=self.syn1neg, syn1=self.syn1,
            sample_ints=tables["sample_ints"], alias_prob=tables.get("alias_prob"),
            alias_index=tables.get("alias_index"), hs_points=tables.get("hs_points"),
            hs_codes=tables.get("hs_codes"), hs_offsets=tables.get("hs_offsets"),
            levels=self.levels, level_weights=self.level_weights, sg=self.sg, hs=self.hs,
            negative=self.negative, cbow_mean=self.cbow_mean, window=self.window,
            shrink_windows=self.shrink_windows, compute_loss=compute_loss,
            do_sample=bool(self.sample), hogbatch=self.hogbatch, vector_ops=vector_ops,
            lockf=self.wv.lockf_for_training())

    def predict_output_word(self, context_words_list, topn=10, level=None):
        """The ``topn`` most probable centre words for some context words (gensim's method).

        ``context_words_list`` holds words and/or row numbers (ints), as in gensim;
        unknown ones are skipped. Needs negative sampling weights (``negative > 0``,
        else :class:`~w2vm.models.errors.ModelStateError`, a ``RuntimeError``). With
        ``level=m`` the prediction uses the prefix ``[:m]`` of the input and output
        vectors. Returns ``[(word, probability), ...]``, or ``None`` when no context
        word is known.
        """
        from w2vm.levels import check_query_level

        if not self.negative:
            raise ModelStateError("predict_output_word needs a model trained with negative sampling "
                                  "(negative > 0)")
        if len(self.syn1neg) != len(self.wv) or not len(self.wv):
            raise ModelStateError("the model has no trained output layer (syn1neg) for its vocabulary: "
                                  "build the vocabulary and train it first")
        if isinstance(context_words_list, str):
            raise TypeError("context_words_list must be a list of words, not a string")
        m = check_query_level(level, self.vector_size)
        topn = _check_int("topn", topn, 1)
        wv = self.wv
        indices = [wv.get_index(w) for w in context_words_list
                   if not isinstance(w, (bool, np.bool_)) and wv.has_index_for(w)]
        if not indices:
            logger.warning("none of the context words %r is in the vocabulary", context_words_list)
            return None
        hidden = np.asarray(wv.vectors[indices, :m], dtype=np.float64)
        hidden = hidden.mean(axis=0) if self.cbow_mean else hidden.sum(axis=0)
        scores = np.asarray(self.syn1neg[:, :m], dtype=np.float64) @ hidden
        scores -= scores.max()  # the same softmax as gensim's, without its overflow
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum()
        top = np.argsort(-probabilities, kind="stable")[:topn]
        return [(wv.index_to_key[i], float(probabilities[i])) for i in top]

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2, report_delay=1,
              level=None):
        """Log-probability of each sentence under the model (gensim's ``score``; ``hs=1`` models only).

        Each word is predicted from each word of its window (skip-gram) or from
        the window's mean (CBOW) through the Huffman tree, as gensim does; unknown
        words are skipped. ``chunksize``, ``queue_factor`` and ``report_delay``
        are accepted for gensim's signature. Returns a float32 array with one
        score per sentence (at most ``total_sentences``).
        """
        from w2vm.levels import check_query_level
        from w2vm.models.scoring import score_sentences

        if not len(self.wv):
            raise ModelStateError("you must first build vocabulary before scoring new data")
        if not self.hs:
            raise ModelStateError("score is implemented for hierarchical softmax only: train with hs=1")
        if isinstance(sentences, (str, bytes)):
            raise TypeError("sentences must be an iterable of token lists, not a string")
        total_sentences = _check_int("total_sentences", total_sentences, 0)
        m = check_query_level(level, self.vector_size)
        self._sync_output_layers()
        tables = self._sampling_tables()
        self._log_info("scoring sentences on %d vocabulary and %d features, using sg=%s hs=%s",
                       len(self.wv), m, self.sg, self.hs)
        return score_sentences(sentences, self.wv.key_to_index, self.wv.vectors, self.syn1,
                               tables["hs_points"], tables["hs_codes"], tables["hs_offsets"],
                               window=self.window, sg=self.sg, cbow_mean=self.cbow_mean, size=m,
                               limit=total_sentences)

    def reset_from(self, other_model):
        """Share ``other_model``'s vocabulary (keys and counts) and start from fresh weights.

        As in gensim, the two models then share the key list and per-key
        attributes: neither should grow its vocabulary afterwards.
        """
        other = getattr(other_model, "wv", None)
        if other is None or not hasattr(other, "index_to_key"):
            raise TypeError(f"reset_from needs a Word2Vec model, got {type(other_model).__name__}")
        if not len(other):
            raise ModelStateError("the other model has no vocabulary to share")
        kv = KeyedVectors(self.vector_size, levels=self.levels)
        kv.index_to_key = other.index_to_key
        kv.key_to_index = other.key_to_index
        kv.expandos = other.expandos
        kv.vectors = self._initial_vectors(len(other), stream=0)
        kv.next_index = len(other)
        self.wv = kv
        n = len(other) if self.negative else 0
        self.syn1neg = np.zeros((n, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((len(other) if self.hs else 0, self.vector_size), dtype=np.float32)
        self.corpus_count = other_model.corpus_count
        self.corpus_total_words = getattr(other_model, "corpus_total_words", 0)
        self._tables = None

    def get_latest_training_loss(self):
        """Loss of the full-dimension vectors summed since the start of the last ``train`` call.

        gensim's meaning and scale (``compute_loss=True``): the word2vec loss of
        the full vectors. The Matryoshka objective is the level-weighted sum of
        each level's loss; ``loss_history`` has one list per epoch with each
        level's own.
        """
        return self.running_training_loss

    # ------------------------------------------------------------------ persistence
    def save(self, fname_or_handle=None, *, base=None, separately=None, sep_limit=None,
             ignore=frozenset(), pickle_protocol=None, **kwargs):
        """Write ``base.vocab.json``, ``base.npy``, output weights and ``base.meta.json``.

        No pickle; the files are committed as one atomic set. ``Word2Vec.load(base)``
        restores a model that continues training as if it had never been saved.
        gensim's ``separately``, ``sep_limit`` and ``pickle_protocol`` are accepted
        and ignored (with a warning, once); ``ignore`` leaves out ``syn1neg``,
        ``syn1`` or ``vectors_lockf`` (``load`` gives zero output weights then).
        """
        base = gensim_compat.saved_base(fname_or_handle, base, "Word2Vec.save")
        gensim_compat.legacy_save_keywords(separately=separately, sep_limit=sep_limit,
                                           pickle_protocol=pickle_protocol, **kwargs)
        omit = gensim_compat.check_ignore(ignore, model_files.OPTIONAL_ARRAYS)
        self._sync_output_layers()
        model_files.save_model(self, check_base(base), omit=omit)

    @_ClassOnlyMethod
    def load(cls, fname=None, mmap=None, *, base=None, rethrow=False, **kwargs):
        """Load a model written by :meth:`save` (or a vectors-only base, e.g. word2vec-matryoshka's).

        A file that gensim pickled raises :class:`~w2vm.models.gensim_compat.GensimFileError`
        naming the way out (:meth:`from_gensim`, ``w2vm convert --from gensim``).
        """
        base = gensim_compat.loaded_base(fname, base, "Word2Vec.load", kwargs)
        return model_files.load_model(cls, base, mmap=mmap)

    @classmethod
    def from_gensim(cls, model, levels=None):
        """A w2vm model copied from a gensim ``Word2Vec`` object or the path of one gensim saved.

        A path is loaded with gensim's own ``Word2Vec.load``, which unpickles
        it: only do this with a file you trust (pickles can run code). Keys,
        counts, vectors, output weights and settings are copied; training goes
        on as in gensim with ``levels=[vector_size]`` (the default here, since a
        gensim model was trained at one level), or with nested levels.
        """
        return gensim_compat.word2vec_from_gensim(cls, model, levels=levels)

    def to_gensim(self):
        """A gensim ``Word2Vec`` with the same vocabulary, weights and settings (gensim must be installed)."""
        return gensim_compat.word2vec_to_gensim(self)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        # In-memory pickling (joblib, multiprocessing, Dask); our files never pickle. The
        # sampling tables are rebuilt on demand; trim_rule is not part of the model (gensim).
        state = dict(self.__dict__)
        state["_tables"] = None
        state["trim_rule"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __str__(self):
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"levels={self.levels}, alpha={self.alpha}>")

    __repr__ = __str__


def _call(callback, method, model):
    hook = getattr(callback, method, None)
    if hook is not None:
        hook(model)
