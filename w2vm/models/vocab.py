"""Vocabulary: counting, trimming, frequent-word subsampling, and the two
output-layer structures (the negative-sampling table and the Huffman tree).

Everything here is plain Python/numpy except the two table builders, whose
loops live in the compiled module.
"""
import logging
import math
from collections import Counter

import numpy as np

from w2vm.io.text import error_at_offset
from w2vm.models._native import native
from w2vm.utils import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP

logger = logging.getLogger("w2vm")


def check_sentence(sentence):
    """Reject the usual mistakes before they turn into silently wrong vocabularies."""
    if isinstance(sentence, (str, bytes)):
        raise TypeError(
            "each sentence must be a list of str tokens, got a plain "
            f"{type(sentence).__name__} (split it into tokens first)")
    if not isinstance(sentence, (list, tuple)):
        try:
            sentence = list(sentence)
        except TypeError:
            raise TypeError(
                f"each sentence must be a list of str tokens, got {type(sentence).__name__}") from None
    return sentence


def check_tokens(keys):
    """Every key must be a ``str``; name the first offender's type otherwise."""
    for key in keys:
        if type(key) is not str:
            raise TypeError(
                f"tokens must be str, got {type(key).__name__} ({key!r:.40})")


def keep_vocab_item(word, count, min_count, trim_rule=None):
    """gensim's rule: ``trim_rule(word, count, min_count)`` may force keep/discard."""
    default = count >= min_count
    if trim_rule is None:
        return default
    rule = trim_rule(word, count, min_count)
    if rule == RULE_DISCARD:
        return False
    if rule == RULE_KEEP:
        return True
    if rule == RULE_DEFAULT or rule is None:
        return default
    raise ValueError(f"trim_rule returned {rule!r}; expected RULE_DEFAULT, RULE_DISCARD or RULE_KEEP")


def prune_vocab(counts, min_reduce, trim_rule=None):
    """Drop words seen fewer than ``min_reduce`` times (in place); return how many went."""
    doomed = [w for w, c in counts.items() if not keep_vocab_item(w, c, min_reduce, trim_rule)]
    for w in doomed:
        del counts[w]
    return len(doomed)


def scan_vocab(corpus_iterable, progress_per=10000, max_vocab_size=None, trim_rule=None, log=logger.info):
    """Count words in one pass.

    Returns ``(counts, corpus_count, total_words)``. With ``max_vocab_size``
    the counter is pruned whenever it grows past that size (the rarest words
    go first, with a rising threshold, as the C tool does), bounding memory.
    ``log`` takes the summary line (``Word2Vec`` passes one that honours ``verbose``).
    """
    counts = Counter()
    total_words = 0
    n_sentences = 0
    min_reduce = 1
    pruned = 0
    for n_sentences, sentence in enumerate(corpus_iterable, start=1):
        sentence = check_sentence(sentence)
        try:
            counts.update(sentence)
        except TypeError:
            check_tokens(sentence)  # names the unhashable token's type
            raise
        total_words += len(sentence)
        if max_vocab_size and len(counts) > max_vocab_size:
            pruned += prune_vocab(counts, min_reduce, trim_rule)
            min_reduce += 1
        if progress_per and n_sentences % progress_per == 0:
            logger.debug("PROGRESS: at sentence #%d, processed %d words, keeping %d word types",
                         n_sentences, total_words, len(counts))
    check_tokens(counts)
    log("collected %d word types from a corpus of %d raw words and %d sentences%s",
                len(counts), total_words, n_sentences,
                f" ({pruned} rare types pruned to respect max_vocab_size)" if pruned else "")
    return counts, n_sentences, total_words


def scan_corpus_file(path, max_vocab_size=None, max_sentence_length=10000, log=logger.info):
    """Count the words of an uncompressed LineSentence file natively.

    Same result as :func:`scan_vocab` over ``LineSentence(path)`` (tokens split
    on ASCII whitespace), several times faster and with memory bounded by
    ``max_vocab_size``.
    """
    try:
        table, n_sentences, n_words, pruned = native.count_file(
            path, max_vocab_size or 0, max_sentence_length)
    except native.InvalidUtf8 as exc:  # the native reader gives the byte; this adds the line and cause
        raise error_at_offset(path, exc.offset) from None
    raw_keys, values = table.items()
    try:
        keys = [k.decode("utf-8") for k in raw_keys]
    except UnicodeDecodeError as exc:
        raise ValueError(f"corpus file {path!r} is not valid UTF-8: {exc}") from None
    counts = dict(zip(keys, values.tolist()))
    log("collected %d word types from a corpus of %d raw words and %d sentences%s",
                len(counts), n_words, n_sentences,
                f" ({pruned} rare types pruned to respect max_vocab_size)" if pruned else "")
    return counts, n_sentences, n_words


def effective_min_count(raw_counts, min_count, max_final_vocab):
    """Raise ``min_count`` so that at most ``max_final_vocab`` words survive (gensim's rule)."""
    if max_final_vocab is None:
        return min_count
    ordered = sorted(raw_counts.values(), reverse=True)
    needed = 1
    if max_final_vocab < len(ordered):
        needed = ordered[max_final_vocab] + 1
    return max(min_count, needed)


def select_words(raw_counts, min_count, trim_rule=None, sorted_vocab=True):
    """The words to keep, most frequent first when ``sorted_vocab`` (ties keep first-seen order)."""
    kept = [(w, c) for w, c in raw_counts.items() if keep_vocab_item(w, c, min_count, trim_rule)]
    if sorted_vocab:
        kept.sort(key=lambda item: item[1], reverse=True)
    return [w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64)


def vocabulary_report(raw_counts, min_count, trim_rule, sample):
    """What ``min_count``/``trim_rule``/``sample`` would keep of ``raw_counts`` (gensim's report).

    Returns ``drop_unique``, ``retain_total``, ``downsample_unique``,
    ``downsample_total`` and ``num_retained_words``.
    """
    kept = [c for w, c in raw_counts.items() if keep_vocab_item(w, c, min_count, trim_rule)]
    dropped = len(raw_counts) - len(kept)
    kept = np.asarray(kept, dtype=np.int64)
    keep = sample_ints(kept, sample).astype(np.float64) / 4294967296.0
    downsampled = keep < 1.0 - 1e-9
    return {"drop_unique": dropped, "retain_total": int(kept.sum()),
            "downsample_unique": int(downsampled.sum()),
            "downsample_total": int(np.sum(np.minimum(keep, 1.0) * kept)),
            "num_retained_words": int(len(kept))}


def sample_ints(counts, sample):
    """Per-word keep probability for subsampling, scaled to ``uint32`` (2**32 - 1 = always keep).

    Uses the word2vec formula: keep ``(sqrt(f / t) + 1) * t / f`` of a word
    seen ``f`` times, with ``t = sample * total`` (or ``sample`` itself when >= 1).
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if not sample or total == 0:
        return np.full(len(counts), 0xFFFFFFFF, dtype=np.uint32)
    if sample < 1.0:
        threshold = sample * total
    else:
        threshold = sample * (3 + math.sqrt(5)) / 2
        # a huge sample (e.g. 1e308 from a damaged model file) overflows to inf: keep every word
        threshold = float(math.floor(threshold)) if math.isfinite(threshold) else threshold
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(counts / threshold) + 1.0) * (threshold / counts)
    keep = np.where(counts > 0, np.minimum(keep, 1.0), 1.0)
    scaled = np.round(keep * 4294967296.0)
    return np.minimum(scaled, 0xFFFFFFFF).astype(np.uint32)


def negative_table(counts, ns_exponent):
    """Alias table drawing word ``w`` with probability proportional to ``count[w] ** ns_exponent``."""
    weights = np.power(np.asarray(counts, dtype=np.float64), ns_exponent)
    if not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        # e.g. a negative exponent with zero counts
        raise ValueError(f"ns_exponent={ns_exponent} gives unusable sampling weights for these counts")
    return native.build_alias_table(np.ascontiguousarray(weights))


def huffman_tree(counts):
    """``(points, codes, offsets)`` CSR arrays of every word's path in the Huffman tree."""
    return native.build_huffman_tree(np.ascontiguousarray(counts, dtype=np.int64))
