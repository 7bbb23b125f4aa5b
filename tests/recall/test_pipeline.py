"""run_pipeline and ``w2vm recall`` end to end: synthetic log always, MovieLens-100k when present."""
import json

import pytest
from command_helpers import run_in_process
from recall_helpers import planted_log

from w2vm.recall.pipeline import run_pipeline


@pytest.fixture(scope="module")
def planted_tsv(tmp_path_factory):
    u, i, t = planted_log(n_users=200)
    path = tmp_path_factory.mktemp("log") / "planted.tsv"
    rows = "\n".join(f"{a}\t{b}\t{c}\t1" for a, b, c in zip(u, i, t))
    path.write_text("user_id\titem_id\ttimestamp\trating\n" + rows + "\n")
    return path


def test_pipeline_on_planted_log(planted_tsv):
    out = run_pipeline(str(planted_tsv), ks=(10, 20), item2vec=dict(vector_size=16, epochs=5),
                       indexes=("brute", "hnsw"), index_level=8, workers=1)
    res = out["results"]
    assert set(res) == {"popularity", "random", "item2vec d=4 exact", "item2vec d=8 exact",
                        "item2vec d=16 exact", "item2vec d=16 hnsw walk@8"}
    assert res["item2vec d=16 exact"]["recall@20"] > 1.5 * res["popularity"]["recall@20"]
    assert res["item2vec d=16 hnsw walk@8"]["recall@20"] >= 0.95 * res["item2vec d=16 exact"]["recall@20"]
    assert out["info"]["eval_users"] == 200 and out["info"]["levels"] == [4, 8, 16]


def test_pipeline_random_split(planted_tsv):
    out = run_pipeline(str(planted_tsv), split="random", ks=(10,), item2vec=dict(vector_size=8, epochs=3),
                       baselines=("popularity",), workers=1)
    assert out["results"]["item2vec d=8 exact"]["recall@10"] > out["results"]["popularity"]["recall@10"]
    with pytest.raises(ValueError, match="split must be"):
        run_pipeline(str(planted_tsv), split="future")


def _cli(*args):
    return run_in_process(["recall", *args])


def test_cli_table_and_json(planted_tsv):
    proc = _cli(planted_tsv, "--ks", "10,20", "--vector-size", "16", "--epochs", "3", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["method", "|", "recall@10"]
    assert any(line.strip().startswith("popularity") for line in lines)
    assert any("item2vec d=16 exact" in line for line in lines)
    assert "recall pipeline: " in proc.stderr and "training item2vec" in proc.stderr  # a line as each step starts
    assert "recall pipeline done in" in proc.stderr
    proc = _cli(planted_tsv, "--ks", "10", "--vector-size", "8", "--epochs", "2", "--workers", "1", "--json",
                "--no-baselines", "--user", "recency", "--half-life", "3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out["results"]) == {"item2vec d=2 exact", "item2vec d=4 exact", "item2vec d=8 exact"}
    assert out["info"]["user_method"]["method"] == "recency"


def test_cli_errors(tmp_path):
    proc = _cli(tmp_path / "missing.tsv")
    assert proc.returncode == 1 and "w2vm recall: error:" in proc.stderr and "no such file" in proc.stderr
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n")
    proc = _cli(bad)
    assert proc.returncode == 1 and "at least 3 columns" in proc.stderr
    proc = _cli(bad, "--window", "wide")
    assert proc.returncode == 1 and "--window" in proc.stderr


def test_movielens_item2vec_beats_popularity(ml100k_path):
    out = run_pipeline(ml100k_path, ks=(10, 50), item2vec=dict(vector_size=32), indexes=("brute", "hnsw"),
                       search_params={"hnsw": {"ef": 200}}, baselines=("popularity",), workers=2)
    res = out["results"]
    assert out["info"]["interactions"] == 100_000 and out["info"]["eval_users"] == 943
    # the benchmarks.md anchor for the same split and baseline: hit@50 0.322
    assert res["popularity"]["hit@50"] == pytest.approx(0.322, abs=0.002)
    best = res["item2vec d=32 exact"]
    assert best["recall@50"] >= 1.3 * res["popularity"]["recall@50"]
    assert abs(res["item2vec d=32 hnsw"]["recall@50"] - best["recall@50"]) <= 0.01 * best["recall@50"]
