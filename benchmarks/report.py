"""Turn the benchmark scripts' JSON into ``benchmarks/REPORT.md`` with PNG plots.

    python benchmarks/report.py                      # read benchmarks/ and benchmarks/results/
    python benchmarks/report.py --results-dir /tmp/bt --out /tmp/bt/REPORT.md

Reads whatever exists of ``bench_train.json`` (training speed and quality per
level), ``bench_query.json`` (query latency) and ``bench_index.json`` (recall
vs queries/s of the ANN indexes), looked up in each ``--results-dir`` in turn
(default: ``benchmarks/results/`` then ``benchmarks/``). A missing or unreadable
file gives a note in its section, never an error. Plots (matplotlib) are written
next to the report as ``report-*.png``; without matplotlib the report has tables only.
"""
import argparse
import datetime
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def find_json(name, dirs):
    """The first readable ``name`` in ``dirs``: ``(data, path)``, or ``(None, reason)``."""
    for folder in dirs:
        path = Path(folder) / name
        if path.is_file():
            try:
                return json.loads(path.read_text()), path
            except (OSError, ValueError) as exc:
                return None, f"{path} is unreadable ({exc})"
    return None, f"{name} not found in {', '.join(str(d) for d in dirs)}"


def fmt(x, spec=".3g", missing="–"):
    try:
        return missing if x is None else format(x, spec)
    except (TypeError, ValueError):
        return str(x)


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def md_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


# --------------------------------------------------------------------------- training
def _ok_runs(data):
    return [r for r in data.get("results", []) if isinstance(r, dict) and r.get("status") in ("ok", "partial")]


def train_section(data, source, out_dir, plt):
    lines = ["## Training: throughput and quality per level", ""]
    if data is None:
        return lines + [f"_No training results: {source}. Run `python benchmarks/bench_train.py`._", ""]
    settings = data.get("settings", {})
    lines += [f"- source: `{source}`", f"- command: `{data.get('command', '?')}`",
              f"- date: {data.get('date', '?')}; corpus: {settings.get('corpus', '?')} "
              f"({fmt(settings.get('corpus_words'), ',')} words), epochs {settings.get('epochs', '?')}", ""]
    runs = _ok_runs(data)
    if not runs:
        return lines + ["_No successful runs in this file._", ""]
    rows = [[r["run"], r.get("workers", "–"), fmt(r.get("train_s"), ".1f"), fmt(r.get("words_per_s"), ",.0f"),
             fmt(r.get("ratio_vs_match"), ".2f"), fmt(r.get("peak_rss_mb"), ".0f")] for r in runs]
    lines += md_table(["run", "workers", "train s", "words/s", "× matching gensim", "peak RSS MB"], rows) + [""]

    # throughput vs workers: "<name>-w1" runs pair with "<name>" at the default worker count
    groups = {}
    for r in runs:
        if r.get("words_per_s") and r.get("workers"):
            groups.setdefault(re.sub(r"-w\d+$", "", r["run"]), []).append((int(r["workers"]), r["words_per_s"]))
    scaling = {k: sorted(v) for k, v in groups.items() if len({w for w, _ in v}) > 1}
    if plt is not None and groups:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, pts in sorted((scaling or groups).items()):
            pts = sorted(pts)
            style = "-" if name.startswith("w2vm") else "--"
            ax.plot([w for w, _ in pts], [v / 1e3 for _, v in pts], style, marker="o", label=name)
        ax.set_xlabel("workers")
        ax.set_ylabel("raw words / s (thousands)")
        ax.set_xticks(sorted({w for pts in groups.values() for w, _ in pts}))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title("training throughput vs workers" + ("" if scaling else " (one worker count per run)"),
                     fontsize=9)
        fig.tight_layout()
        path = out_dir / "report-throughput.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        lines += [f"![throughput vs workers]({path.name})", ""]

    quality = [r for r in runs if isinstance(r.get("quality"), dict) and r["quality"]]
    if quality:
        metrics = [m for m in ("analogy", "ws353", "simlex")
                   if any(m in q for r in quality for q in r["quality"].values() if isinstance(q, dict))]
        qrows = []
        for r in quality:
            for level, q in sorted(r["quality"].items(), key=lambda kv: int(kv[0])):
                qrows.append([r["run"], level] + [fmt(q.get(m), ".3f") for m in metrics])
        lines += ["### Quality per prefix level", ""]
        lines += md_table(["run", "level"] + metrics, qrows) + [""]
        if plt is not None and metrics:
            fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4), squeeze=False)
            for ax, metric in zip(axes[0], metrics):
                for r in quality:
                    pts = sorted((int(k), v.get(metric)) for k, v in r["quality"].items()
                                 if isinstance(v, dict) and v.get(metric) is not None)
                    if not pts:
                        continue
                    style = "-" if r["run"].startswith("w2vm") else "--" if r["run"].startswith("gensim") else ":"
                    ax.plot([p for p, _ in pts], [v for _, v in pts], style, marker="o", label=r["run"])
                ax.set_xscale("log", base=2)
                levels = sorted({int(k) for r in quality for k in r["quality"]})
                ax.set_xticks(levels)
                ax.set_xticklabels([str(m) for m in levels])
                ax.set_xlabel("prefix dimension m")
                ax.set_title(metric, fontsize=9)
                ax.grid(True, alpha=0.3)
            axes[0][0].set_ylabel("score")
            axes[0][-1].legend(fontsize=6)
            fig.suptitle("quality vs level (gensim d=100 is truncated to m)", fontsize=9)
            fig.tight_layout()
            path = out_dir / "report-quality.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            lines += [f"![quality vs level]({path.name})", ""]
    return lines


# --------------------------------------------------------------------------- queries
def query_section(data, source):
    lines = ["## Queries: most_similar latency", ""]
    if data is None:
        return lines + [f"_No query results: {source}. Run `python benchmarks/bench_query.py`._", ""]
    vec = data.get("vectors", {})
    lines += [f"- source: `{source}`; vectors: {vec.get('rows', '?')} x {vec.get('dim', '?')}", ""]
    single = data.get("single", {})
    rows = [[name, fmt(v.get("median_ms"), ".3f"), fmt(v.get("p95_ms"), ".3f")]
            for name, v in single.items() if isinstance(v, dict)]
    if rows:
        lines += md_table(["single query", "median ms", "p95 ms"], rows) + [""]
    batch = data.get("batch", {})
    brows = [[k, fmt(v, ",.1f")] for k, v in batch.items() if isinstance(v, (int, float))]
    if brows:
        lines += md_table(["batch", "value"], brows) + [""]
    return lines


# --------------------------------------------------------------------------- indexes
def index_section(data, source, out_dir, plt):
    lines = ["## ANN indexes: recall vs queries/s", ""]
    if data is None:
        return lines + [f"_No index results: {source}. Run `python benchmarks/bench_index.py`._", ""]
    lines += [f"- source: `{source}`; {data.get('n_base', '?')} vectors x {data.get('dim', '?')}, "
              f"{data.get('n_queries', '?')} queries, k={data.get('k', '?')}", ""]
    results = {k: v for k, v in (data.get("results") or {}).items() if isinstance(v, dict)}
    rows = []
    for name, r in results.items():
        points = [p for p in r.get("points", []) if isinstance(p, dict) and "recall" in p and "qps" in p]
        rows.append([name, fmt(r.get("build_s"), ".1f"),
                     fmt(r["memory_bytes"] / 2 ** 20, ".0f") if r.get("memory_bytes") else "–",
                     fmt(r.get("qps_at_0.90"), ",.0f"), fmt(r.get("qps_at_0.95"), ",.0f"),
                     fmt(max((p["recall"] for p in points), default=None), ".3f")])
    if rows:
        lines += md_table(["method", "build s", "memory MB", "q/s @ recall 0.90", "q/s @ 0.95", "max recall"],
                          rows) + [""]
    if plt is not None and results:
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for name, r in results.items():
            pts = sorted((p for p in r.get("points", []) if isinstance(p, dict) and "recall" in p and "qps" in p),
                         key=lambda p: p["recall"])
            if pts:
                ax.plot([p["recall"] for p in pts], [p["qps"] for p in pts],
                        "-" if name.startswith("w2vm") else "--", marker="o", ms=3, label=name)
        ax.set_yscale("log")
        ax.set_xlabel(f"recall@{data.get('k', 10)}")
        ax.set_ylabel("queries / s (log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
        fig.tight_layout()
        path = out_dir / "report-index.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        lines += [f"![recall vs queries/s]({path.name})", ""]
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results-dir", action="append", default=None,
                    help="folder to look for the JSON files in (repeatable; default benchmarks/results, benchmarks)")
    ap.add_argument("--out", default=str(HERE / "REPORT.md"), help="report path (default benchmarks/REPORT.md)")
    args = ap.parse_args(argv)
    dirs = [Path(d) for d in (args.results_dir or [HERE / "results", HERE])]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    lines = ["# w2vm benchmark report", "",
             f"Generated by `python benchmarks/report.py` on {datetime.datetime.now().isoformat(timespec='seconds')} "
             "from the JSON the benchmark scripts write. Machines are shared and noisy: compare the ratios "
             "within one run, not absolute numbers across runs.", ""]
    if plt is None:
        lines += ["_matplotlib is not installed: tables only (pip install 'w2vm[plot]')._", ""]
    train, src = find_json("bench_train.json", dirs)
    lines += train_section(train, src, out.parent, plt)
    query, src = find_json("bench_query.json", dirs)
    lines += query_section(query, src)
    index, src = find_json("bench_index.json", dirs)
    lines += index_section(index, src, out.parent, plt)
    out.write_text("\n".join(lines))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
