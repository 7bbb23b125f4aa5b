"""Intrinsic evaluation: word analogies and word-pair similarity, at any Matryoshka level.

The numbers are gensim 4.4's (``KeyedVectors.evaluate_word_analogies`` /
``evaluate_word_pairs``) on the same vectors: same file parsing, same
out-of-vocabulary rules, same section names and ``"Total accuracy"``, same
float arithmetic for the query vectors. The difference is speed: gensim
answers analogy questions one ``most_similar`` call at a time, here a chunk
of questions is one matrix product.
"""
import itertools
import logging
import os

import numpy as np
from scipy import stats
from scipy.linalg import blas as _blas

from w2vm.io.compression import open_read
from w2vm.models import _kv_search as _search

logger = logging.getLogger(__name__)

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs", "evaluate_levels"]

# Bytes of one chunk's (questions x vocabulary) score matrix.
_CHUNK_BYTES = 64 << 20


def _ok_vocab(st, restrict_vocab, case_insensitive):
    """Key (upper-cased if asked) -> row, first occurrence winning, over the first ``restrict_vocab`` keys."""
    ok_keys = st.index_to_key[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(ok_keys)))}
    return {k: i for i, k in reversed(list(enumerate(ok_keys)))}


def read_analogies(path, case_insensitive=True):
    """Parse an analogy file into ``[(section name, [(a, b, c, expected), ...]), ...]``."""
    sections = []
    with open_read(path) as fin:
        for line_no, raw in enumerate(fin):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"{path}: line {line_no + 1} is not valid UTF-8 ({exc.reason})") from None
            if line.startswith(": "):
                sections.append((line.lstrip(": ").strip(), []))
                continue
            if not sections:
                raise ValueError(f"Missing section header before line #{line_no} in {path}")
            words = line.split()
            if len(words) != 4:
                logger.info("Skipping invalid line #%i in %s", line_no, path)
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            sections[-1][1].append(tuple(words))
    return sections


def _unit_rows_like_gensim(mean32, total_weight):
    """gensim's ``unitvec(mean / total)``: float64 division, BLAS dnrm2, scale, cast to float32."""
    mean64 = mean32.astype(np.float64) / total_weight
    out = np.empty(mean64.shape, dtype=np.float32)
    for i, row in enumerate(mean64):
        veclen = _blas.dnrm2(row)
        out[i] = (row * (1.0 / veclen)).astype(np.float32) if veclen > 0.0 else row
    return out


def _answer_analogies(kv, st, m, quads, ok_vocab, restrict_vocab, case_insensitive):
    """Predicted-correct flags for in-vocabulary questions, one matrix product per chunk."""
    norms, safe = kv._norms(st, m)
    clip_end = restrict_vocab or len(st.vectors)
    block = st.vectors[:clip_end, :m]
    block_norms = safe[:clip_end]
    idx = np.array([[ok_vocab[w] for w in q[:3]] for q in quads], dtype=np.int64).reshape(-1, 3)
    correct = np.zeros(len(quads), dtype=bool)
    chunk = max(1, _CHUNK_BYTES // max(1, 4 * block.shape[0]))
    topn = 5
    keys = st.index_to_key
    for lo in range(0, len(quads), chunk):
        ia, ib, ic = idx[lo:lo + chunk].T
        unit = lambda rows: st.vectors[rows, :m] / safe[rows, None]  # noqa: E731
        # positive [b, c], negative [a]: gensim accumulates b, then c, then -a in float32.
        mean32 = (unit(ib) + unit(ic)) - unit(ia)
        queries = _unit_rows_like_gensim(mean32, np.float64(3.0))
        sims = queries @ block.T
        sims /= block_norms
        best = _search.topk_desc_rows(sims, topn + 3)
        for j, row in enumerate(best.tolist()):
            q = quads[lo + j]
            excluded = (ia[j], ib[j], ic[j])
            ignore = set(q[:3])
            predicted = None
            for r in [r for r in row if r not in excluded][:topn]:
                predicted = keys[r].upper() if case_insensitive else keys[r]
                if predicted in ok_vocab and predicted not in ignore:
                    break
            correct[lo + j] = predicted == q[3]
    return correct


def _log_section(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def _score_analogies(kv, parsed, restrict_vocab, case_insensitive, dummy4unknown, m):
    st = kv._state
    ok_vocab = _ok_vocab(st, restrict_vocab, case_insensitive)
    flat = [q for _, qs in parsed for q in qs]
    known = [all(w in ok_vocab for w in q) for q in flat]
    answered = _answer_analogies(kv, st, m, [q for q, k in zip(flat, known) if k], ok_vocab,
                                 restrict_vocab, case_insensitive)
    verdicts = iter(answered.tolist())
    sections, oov = [], 0
    pos = 0
    for name, questions in parsed:
        section = {"section": name, "correct": [], "incorrect": []}
        for q in questions:
            if not known[pos]:
                oov += 1
                if dummy4unknown:
                    section["incorrect"].append(q)
            elif next(verdicts):
                section["correct"].append(q)
            else:
                section["incorrect"].append(q)
            pos += 1
        sections.append(section)
        _log_section(section)
    total = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    if flat:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / len(flat))
    score = _log_section(total)
    sections.append(total)
    return score, sections


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
                            similarity_function="most_similar", level=None):
    """Analogy accuracy (3CosAdd), exactly as gensim computes it, at ``level``.

    Parameters
    ----------
    kv : KeyedVectors
    analogies : str
        File of ``a b c d`` lines grouped under ``: section`` headers (``questions-words.txt``).
    restrict_vocab : int
        Only the first ``restrict_vocab`` keys are used, as answers and as question words.
    case_insensitive : bool
        Compare upper-cased words (the first of several case variants wins).
    dummy4unknown : bool
        Count questions with unknown words as wrong instead of skipping them.
    similarity_function : str
        Accepted for gensim compatibility (gensim ignores it too).
    level : int, optional
        Prefix length.

    Returns
    -------
    score : float
        Overall accuracy.
    sections : list of dict
        ``{'section', 'correct', 'incorrect'}`` per section, then ``'Total accuracy'``.
    """
    m = kv._level(level)
    parsed = read_analogies(analogies, case_insensitive)
    return _score_analogies(kv, parsed, restrict_vocab, case_insensitive, dummy4unknown, m)


def read_pairs(path, delimiter="\t", encoding="utf8", case_insensitive=True):
    """Parse a word-pair file into ``[(line_no, a, b, gold), ...]`` (comments and bad lines skipped)."""
    out = []
    with open_read(path) as fin:
        for line_no, raw in enumerate(fin):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"{path}: line {line_no + 1} is not valid {encoding} ({exc.reason})") from None
            if not line or line.startswith("#"):
                continue
            try:
                parts = line.split(delimiter)
                if case_insensitive:
                    parts = [w.upper() for w in parts]
                a, b, sim = parts
                sim = float(sim)
            except (ValueError, TypeError):
                logger.info("Skipping invalid line #%d in %s", line_no, path)
                continue
            out.append((line_no, a, b, sim))
    return out


def _pair_similarity(st, i, j, m):
    def unit(v):
        v64 = v.astype(np.float64)
        veclen = _blas.dnrm2(v64)
        return _blas.dscal(1.0 / veclen, v64).astype(v.dtype) if veclen > 0.0 else v
    return np.dot(unit(st.vectors[i, :m]), unit(st.vectors[j, :m]))


def _score_pairs(kv, parsed, path, restrict_vocab, case_insensitive, dummy4unknown, m):
    st = kv._state
    ok_vocab = _ok_vocab(st, restrict_vocab, case_insensitive)
    gold, model, oov = [], [], 0
    for _, a, b, sim in parsed:
        if a not in ok_vocab or b not in ok_vocab:
            oov += 1
            if dummy4unknown:
                model.append(0.0)
                gold.append(sim)
            continue
        gold.append(sim)
        model.append(_pair_similarity(st, ok_vocab[a], ok_vocab[b], m))
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {path}: either invalid format or "
                         f"all are out-of-vocabulary in {kv}")
    spearman = stats.spearmanr(gold, model)
    pearson = stats.pearsonr(gold, model)
    oov_ratio = float(oov) / (len(gold) if dummy4unknown else len(gold) + oov) * 100
    logger.info("Pearson correlation coefficient against %s: %.4f", path, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", path, spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False, level=None):
    """Correlation of the model's similarities with human judgements, as gensim computes it.

    Returns
    -------
    pearson : scipy PearsonRResult (statistic, pvalue)
    spearman : scipy SignificanceResult (statistic, pvalue)
    oov_ratio : float
        Percentage of pairs with an unknown word.
    """
    m = kv._level(level)
    parsed = read_pairs(pairs, delimiter, encoding, case_insensitive)
    return _score_pairs(kv, parsed, pairs, restrict_vocab, case_insensitive, dummy4unknown, m)


def evaluate_levels(kv, analogies=None, pairs=None, levels=None, restrict_vocab=300000, case_insensitive=True,
                    delimiter="\t"):
    """Evaluate every level at once (files parsed once).

    Parameters
    ----------
    kv : KeyedVectors
    analogies : str, optional
        Analogy file.
    pairs : str or list of str, optional
        Word-pair file(s); each gives ``<stem>_pearson``, ``<stem>_spearman``, ``<stem>_oov_ratio`` columns.
    levels : list of int, optional
        Default ``kv.levels``.

    Returns
    -------
    list of dict
        One row per level: ``{'level': m, 'analogy_accuracy': ..., '<stem>_spearman': ..., ...}``.
    """
    if analogies is None and pairs is None:
        raise ValueError("give analogies and/or pairs to evaluate")
    levels = list(kv.levels if levels is None else levels)
    for m in levels:
        kv._level(m)
    parsed_analogies = read_analogies(analogies, case_insensitive) if analogies is not None else None
    pair_files = [] if pairs is None else ([pairs] if isinstance(pairs, (str, os.PathLike)) else list(pairs))
    parsed_pairs = [(os.path.basename(os.fspath(p)).split(".")[0], p,
                     read_pairs(p, delimiter, "utf8", case_insensitive)) for p in pair_files]
    rows = []
    for m in levels:
        row = {"level": int(m)}
        if parsed_analogies is not None:
            row["analogy_accuracy"] = _score_analogies(kv, parsed_analogies, restrict_vocab, case_insensitive,
                                                       False, m)[0]
        for stem, path, parsed in parsed_pairs:
            pearson, spearman, oov = _score_pairs(kv, parsed, path, restrict_vocab, case_insensitive, False, m)
            row[f"{stem}_pearson"] = float(pearson[0])
            row[f"{stem}_spearman"] = float(spearman[0])
            row[f"{stem}_oov_ratio"] = oov
        rows.append(row)
    return rows
