"""``Word2Vec.score``: the log-probability of sentences under a hierarchical-softmax model.

gensim's scoring (Taddy, "Document Classification by Inversion of Distributed
Language Representations", 2015): every word is predicted through its Huffman
path from each word of its full window (skip-gram) or from the window's mean
(CBOW), and the log-sigmoids of the path's branches are summed. Unknown words
are skipped and no window shrinking or subsampling applies, as in gensim. It
is not a hot path: numpy, one matrix product per word.
"""
import logging

import numpy as np

logger = logging.getLogger("w2vm")

# gensim's bounds: branches whose score is past +-MAX_EXP add nothing
MAX_EXP = 6.0
EXP_TABLE_SIZE = 1000
# gensim scores at most this many known words of a sentence
MAX_SENTENCE_LEN = 10000


def _log_sigmoid_table():
    x = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    return np.log(1.0 / (1.0 + np.exp(-x))).astype(np.float32)


_LOG_SIGMOID = _log_sigmoid_table()


def _log_sigmoid(f):
    """gensim's ``LOG_TABLE`` lookup for scores inside (-MAX_EXP, MAX_EXP), its index included."""
    index = ((f + MAX_EXP) * (EXP_TABLE_SIZE // MAX_EXP // 2)).astype(np.int64)
    return _LOG_SIGMOID[np.minimum(index, EXP_TABLE_SIZE - 1)]


def score_sentences(sentences, key_to_index, syn0, syn1, points, codes, offsets, *, window, sg,
                    cbow_mean, size, limit):
    """One float32 score per sentence of ``sentences`` (at most ``limit`` sentences).

    ``points``/``codes``/``offsets`` are the Huffman paths in CSR form
    (:func:`w2vm.models.vocab.huffman_tree`); ``size`` is the prefix scored.
    """
    scores = []
    for n, sentence in enumerate(sentences):
        if n >= limit:
            logger.warning("scored the first %d sentences only (total_sentences=%d)", limit, limit)
            break
        if isinstance(sentence, (str, bytes)):
            raise TypeError("each sentence must be a list of tokens, not a string")
        ids = [key_to_index[w] for w in sentence if w in key_to_index][:MAX_SENTENCE_LEN]
        scores.append(_score_one(ids, syn0, syn1, points, codes, offsets, window, sg, cbow_mean, size))
    return np.array(scores, dtype=np.float32)


def _score_one(ids, syn0, syn1, points, codes, offsets, window, sg, cbow_mean, size):
    total = 0.0
    n = len(ids)
    for i, word in enumerate(ids):
        path = points[offsets[word]:offsets[word + 1]]
        if not len(path):
            continue
        # a branch's label is 1 - code: code 0 is scored by sigmoid(f), code 1 by sigmoid(-f)
        sign = 1.0 - 2.0 * codes[offsets[word]:offsets[word + 1]].astype(np.float64)
        context = [ids[j] for j in range(max(0, i - window), min(n, i + window + 1)) if j != i]
        if not context:
            continue
        inputs = np.asarray(syn0[context, :size], dtype=np.float32)
        if not sg:
            inputs = inputs.sum(axis=0, keepdims=True)
            if cbow_mean:
                inputs /= np.float32(len(context))
        f = (inputs @ np.asarray(syn1[path, :size], dtype=np.float32).T) * sign.astype(np.float32)
        inside = np.abs(f) < MAX_EXP
        total += float(_log_sigmoid(f[inside]).sum())
    return total
