"""``benchmarks/report.py`` turns whatever benchmark JSON exists into a markdown report."""
import json
import os
import subprocess
import sys

import pytest

REPORT = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "report.py")
pytestmark = pytest.mark.skipif(not os.path.exists(REPORT), reason="benchmarks/ not shipped here")


def _run(results, out):
    return subprocess.run([sys.executable, REPORT, "--results-dir", results, "--out", out],
                          capture_output=True, text=True, timeout=120)


def test_report_without_any_json(tmp_path):
    proc = _run(tmp_path, tmp_path / "REPORT.md")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "REPORT.md").read_text()
    assert text.count("not found") == 3


def test_report_with_results(tmp_path):
    quality = {str(m): {"analogy": 0.1 * i, "ws353": 0.5} for i, m in enumerate((25, 50, 100), 1)}
    runs = [{"run": "w2vm-iter-sg-ns", "status": "ok", "workers": 2, "train_s": 1.0, "words_per_s": 2e6,
             "quality": quality},
            {"run": "w2vm-iter-sg-ns-w1", "status": "ok", "workers": 1, "train_s": 2.0, "words_per_s": 1e6},
            {"run": "gensim-iter-sg-ns", "status": "failed"}]
    (tmp_path / "bench_train.json").write_text(json.dumps({"settings": {}, "results": runs}))
    (tmp_path / "bench_index.json").write_text(json.dumps({"k": 10, "results": {
        "w2vm HNSW": {"points": [{"recall": 0.9, "qps": 1000.0}, {"recall": 0.99, "qps": 100.0}]}}}))
    (tmp_path / "bench_query.json").write_text("{not json")
    proc = _run(tmp_path, tmp_path / "REPORT.md")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "REPORT.md").read_text()
    assert "| w2vm-iter-sg-ns | 100 | 0.300 | 0.500 |" in text
    assert "unreadable" in text and "w2vm HNSW" in text
    pytest.importorskip("matplotlib")
    for name in ("report-throughput.png", "report-quality.png", "report-index.png"):
        assert (tmp_path / name).stat().st_size > 1000
