"""Analogy and word-pair evaluation: same numbers as gensim, at every level, batched."""
from pathlib import Path

import numpy as np
import pytest

from w2vm.models.keyedvectors import KeyedVectors

EVAL = Path(__file__).parents[1].parent / "shared" / "data" / "eval"

ANALOGIES = """\
: capitals
paris france rome italy
paris france berlin germany
rome italy berlin germany
this line is invalid with too many words
Paris France Madrid Spain
: verbs
walk walked run ran
walk walked swim swam
run ran swim swam
missing words are here
"""

PAIRS = """\
# comment line
paris\tfrance\t9.0
rome\titaly\t8.5
walk\tran\t2.0
swim\tberlin\t0.5
Paris\tRome\t6.0
unknown\tpair\t3.0
bad line without tabs
"""


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(7)
    words = ["paris", "france", "rome", "italy", "berlin", "germany", "walk", "walked", "run", "ran",
             "swim", "swam", "Paris", "madrid", "spain"] + [f"filler{i}" for i in range(60)]
    vectors = rng.standard_normal((len(words), 12)).astype(np.float32)
    # plant some structure so that a few analogies are right and some wrong
    capital = rng.standard_normal(12).astype(np.float32) * 2
    for c, n in [("paris", "france"), ("rome", "italy"), ("berlin", "germany")]:
        vectors[words.index(n)] = vectors[words.index(c)] + capital
    kv = KeyedVectors(12, levels=[3, 6, 12])
    kv.add_vectors(words, vectors)
    return kv


@pytest.fixture
def files(tmp_path):
    (tmp_path / "q.txt").write_text(ANALOGIES)
    (tmp_path / "p.tsv").write_text(PAIRS)
    return tmp_path / "q.txt", tmp_path / "p.tsv"


def test_planted_analogies_are_solved(kv, files):
    score, sections = kv.evaluate_word_analogies(files[0])
    assert [s["section"] for s in sections] == ["capitals", "verbs", "Total accuracy"]
    assert len(sections[0]["correct"]) >= 2  # the planted capital offset is found
    total = sections[-1]
    assert score == len(total["correct"]) / (len(total["correct"]) + len(total["incorrect"]))


@pytest.mark.parametrize("level", [None, 3, 6, 7])
@pytest.mark.parametrize("options", [
    {}, {"case_insensitive": False}, {"dummy4unknown": True}, {"restrict_vocab": 8}])
def test_analogies_match_gensim(kv, files, level, options):
    pytest.importorskip("gensim")
    g = kv.to_gensim(level=level)
    expected = g.evaluate_word_analogies(str(files[0]), **options)
    assert kv.evaluate_word_analogies(files[0], level=level, **options) == expected


@pytest.mark.parametrize("level", [None, 3])
@pytest.mark.parametrize("options", [{}, {"case_insensitive": False}, {"dummy4unknown": True}])
def test_pairs_match_gensim(kv, files, level, options):
    pytest.importorskip("gensim")
    g = kv.to_gensim(level=level)
    expected = g.evaluate_word_pairs(str(files[1]), **options)
    got = kv.evaluate_word_pairs(files[1], level=level, **options)
    assert (got[0][0], got[0][1], got[1][0], got[1][1], got[2]) == \
        (expected[0][0], expected[0][1], expected[1][0], expected[1][1], expected[2])


def test_evaluate_levels_table(kv, files):
    rows = kv.evaluate_levels(analogies=files[0], pairs=files[1])
    assert [r["level"] for r in rows] == [3, 6, 12]
    for row in rows:
        assert row["analogy_accuracy"] == kv.evaluate_word_analogies(files[0], level=row["level"])[0]
        pearson, spearman, oov = kv.evaluate_word_pairs(files[1], level=row["level"])
        assert row["p_spearman"] == pytest.approx(spearman[0]) and row["p_oov_ratio"] == oov
    assert len(kv.evaluate_levels(pairs=[files[1]], levels=[5])) == 1
    with pytest.raises(ValueError):
        kv.evaluate_levels()
    with pytest.raises(ValueError, match="level"):
        kv.evaluate_levels(pairs=files[1], levels=[13])


def test_batched_chunks_agree(kv, files, monkeypatch):
    from w2vm import evaluation
    full = kv.evaluate_word_analogies(files[0])
    monkeypatch.setattr(evaluation, "_CHUNK_BYTES", 1)  # one question per chunk
    assert kv.evaluate_word_analogies(files[0]) == full


def test_bad_files(kv, tmp_path):
    (tmp_path / "nohead.txt").write_text("a b c d\n")
    with pytest.raises(ValueError, match="Missing section header"):
        kv.evaluate_word_analogies(tmp_path / "nohead.txt")
    (tmp_path / "oov.tsv").write_text("zz\tyy\t1.0\n")
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        kv.evaluate_word_pairs(tmp_path / "oov.tsv")
    (tmp_path / "bin.txt").write_bytes(b": s\n\xff\xfe a b c\n")
    with pytest.raises(ValueError, match="UTF-8"):
        kv.evaluate_word_analogies(tmp_path / "bin.txt")


@pytest.fixture(scope="module")
def real_kv():
    """Random vectors over the real files' words (lower case, with some upper-case duplicates)."""
    if not EVAL.exists():
        pytest.skip(f"shared eval data not found at {EVAL}")
    words = []
    for line in (EVAL / "questions-words.txt").read_text().splitlines():
        if not line.startswith(":"):
            words.extend(w.lower() for w in line.split())
    words = list(dict.fromkeys(words))[:400]
    words += [w.upper() for w in words[:20]]  # case variants: the first occurrence must win
    rng = np.random.default_rng(0)
    kv = KeyedVectors(20, levels=[5, 10, 20])
    kv.add_vectors(words, rng.standard_normal((len(words), 20)).astype(np.float32))
    return kv


@pytest.mark.parametrize("level", [None, 5])
def test_real_eval_files_match_gensim(real_kv, level):
    pytest.importorskip("gensim")
    g = real_kv.to_gensim(level=level)
    questions = str(EVAL / "questions-words.txt")
    expected = g.evaluate_word_analogies(questions, restrict_vocab=300)
    got = real_kv.evaluate_word_analogies(questions, restrict_vocab=300, level=level)
    assert got == expected and len(got[1][-1]["correct"]) + len(got[1][-1]["incorrect"]) > 100
    for name in ("wordsim353.tsv", "simlex999.txt"):
        e = g.evaluate_word_pairs(str(EVAL / name))
        r = real_kv.evaluate_word_pairs(EVAL / name, level=level)
        assert (r[0][0], r[1][0], r[2]) == (e[0][0], e[1][0], e[2])
