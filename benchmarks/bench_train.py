#!/usr/bin/env python
"""Training benchmark: w2vm against gensim 4.4 and word2vec-matryoshka, same settings, one run.

Every run trains one model on the same corpus with the protocol's setting
(``docs/benchmarks.md``: window 5, negative 5, min_count 5, sample 1e-3,
d=100, levels [25, 50, 100] for the Matryoshka libraries, ``--workers``,
``--epochs``) in its own subprocess, so that peak RSS is per run and a run that
crashes or hangs (it is killed after ``--timeout`` seconds) loses only itself.
For each run it records build_vocab and train seconds, raw words/s of train
(corpus words x epochs / train seconds), peak RSS, and the quality of every
prefix ``v[:m]``, m in 25/50/100 (analogy accuracy with restrict_vocab=30000,
WordSim-353 and SimLex-999 Spearman), computed by the same code for every
library: the vectors are copied into a w2vm ``KeyedVectors`` and evaluated
with ``level=m`` (each prefix normalised on its own).

Runs are named ``<library>-<corpus mode>-<architecture>-<loss>[-variant]``;
choose them with ``--runs`` (comma list of names or globs, ``all``) and see
them with ``--list``. Writes JSON (``--out``) and a markdown table next to it,
and prints the table. Standalone script: not collected by pytest.

    python benchmarks/bench_train.py                         # default runs, full corpus
    python benchmarks/bench_train.py --corpus /work/scratch/corpus-small.txt \\
        --runs 'w2vm-iter-sg-ns,gensim-iter-sg-ns,wm-*' --out /tmp/bench_train.json
    python benchmarks/bench_train.py --runs 'gensim-d*,w2vm-iter-sg-ns' --repeat 3
"""
import argparse
import datetime
import fnmatch
import gzip
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "data"
EVAL_DIR = SHARED / "eval"
WORK = HERE / "work"
sys.path.insert(0, str(REPO))  # measure this checkout's w2vm (children get it through PYTHONPATH)

# The protocol's standard setting (docs/benchmarks.md); the runs below vary sg/hs/negative/d/levels.
COMMON = {"window": 5, "min_count": 5, "sample": 1e-3, "alpha": 0.025, "min_alpha": 0.0001, "seed": 1}
EVAL_LEVELS = (25, 50, 100)
RESTRICT_VOCAB = 30000
MATRYOSHKA = (25, 50, 100)


@dataclass(frozen=True)
class Run:
    """One named training configuration."""

    name: str
    library: str            # "w2vm", "gensim" or "wm" (word2vec-matryoshka)
    mode: str               # "iter" (LineSentence iterable) or "file" (corpus_file=)
    sg: int = 1
    hs: int = 0
    negative: int = 5
    vector_size: int = 100
    levels: tuple = None    # Matryoshka levels; None for gensim
    workers: int = None     # None: --workers
    hogbatch: bool = False  # w2vm only
    default: bool = False
    note: str = ""

    @property
    def algo(self):
        return ("sg" if self.sg else "cbow") + ("-hs" if self.hs else "-ns")

    @property
    def match(self):
        """The gensim run with the same corpus mode and algorithm (the ratio's denominator)."""
        return f"gensim-{self.mode}-{self.algo}"

    @property
    def file_anchor(self):
        """gensim's fastest mode (corpus_file) for the same algorithm."""
        return f"gensim-file-{self.algo}"


# gensim 4.4's corpus_file mode decays the learning rate by each worker's own share of the
# corpus (word2vec_corpusfile.pyx, get_next_alpha), so with workers > 1 it never gets near
# min_alpha: quality against it is not like for like (benchmarks/README.md, session 5).
GENSIM_FILE_SCHEDULE = ("with workers > 1 each worker decays alpha over its own share only "
                        "(ends near 0.0125 at 2 workers, not 0.0001): quality not like for like")


def _runs():
    L = MATRYOSHKA
    algos = {"sg-ns": dict(sg=1), "cbow-ns": dict(sg=0), "sg-hs": dict(sg=1, hs=1, negative=0),
             "cbow-hs": dict(sg=0, hs=1, negative=0)}
    runs = []
    for algo, params in algos.items():
        core = algo in ("sg-ns", "cbow-ns")
        for mode in ("file", "iter"):
            runs.append(Run(f"w2vm-{mode}-{algo}", "w2vm", mode, levels=L, default=core, **params))
            runs.append(Run(f"gensim-{mode}-{algo}", "gensim", mode, default=core,
                            note=GENSIM_FILE_SCHEDULE if mode == "file" else "", **params))
            # the thread-scaling target is workers=2 over workers=1, for every algorithm and mode
            note = "workers=1: thread scaling"
            if algo == "cbow-hs" and mode == "file":
                note += ", and cbow-hs quality without replica syncs"
            runs.append(Run(f"w2vm-{mode}-{algo}-w1", "w2vm", mode, levels=L, workers=1,
                            default=algo == "sg-ns", note=note, **params))
    runs += [
        Run("w2vm-file-sg-ns-hogbatch", "w2vm", "file", levels=L, hogbatch=True, default=True,
            note="HogBatch: one set of negatives per window"),
        Run("w2vm-iter-sg-ns-hogbatch", "w2vm", "iter", levels=L, hogbatch=True,
            note="HogBatch: one set of negatives per window"),
        Run("w2vm-file-sg-ns-hogbatch-w1", "w2vm", "file", levels=L, hogbatch=True, workers=1,
            note="HogBatch, workers=1: thread scaling"),
        Run("w2vm-iter-sg-ns-hogbatch-w1", "w2vm", "iter", levels=L, hogbatch=True, workers=1,
            note="HogBatch, workers=1: thread scaling"),
        Run("w2vm-file-sg-ns-L100", "w2vm", "file", levels=(100,), default=True,
            note="single level: the cost of the Matryoshka levels"),
        Run("w2vm-iter-sg-ns-L100", "w2vm", "iter", levels=(100,),
            note="single level: the cost of the Matryoshka levels"),
        Run("gensim-file-sg-ns-w1", "gensim", "file", workers=1,
            note="workers=1: thread scaling, and gensim's corpus_file quality with the schedule as given"),
        Run("gensim-file-cbow-hs-w1", "gensim", "file", sg=0, hs=1, negative=0, workers=1,
            note="workers=1: thread scaling, and gensim's corpus_file quality with the schedule as given"),
        Run("w2vm-file-cbow-hs-L100", "w2vm", "file", sg=0, hs=1, negative=0, levels=(100,),
            note="single level: what the levels cost cbow-hs at full dimension"),
        Run("gensim-d25-sg-ns", "gensim", "file", vector_size=25,
            note="gensim trained at d=25 (compare with level 25)"),
        Run("gensim-d50-sg-ns", "gensim", "file", vector_size=50,
            note="gensim trained at d=50 (compare with level 50)"),
        Run("wm-sg-ns", "wm", "iter", levels=L, default=True,
            note="word2vec-matryoshka has no `sample` option (others: 1e-3) and no separate vocabulary step"),
    ]
    return {r.name: r for r in runs}


RUNS = _runs()


# ---------------------------------------------------------------------------- child side
def peak_rss_mb():
    """Peak resident set of this process so far (VmHWM), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def train_w2vm(run, corpus, epochs, workers):
    from w2vm.models.word2vec import LineSentence, Word2Vec
    model = Word2Vec(vector_size=run.vector_size, sg=run.sg, hs=run.hs, negative=run.negative,
                     levels=list(run.levels), workers=workers, epochs=epochs, hogbatch=run.hogbatch,
                     **COMMON)
    source = {"corpus_file": corpus} if run.mode == "file" else {"corpus_iterable": LineSentence(corpus)}
    t = time.perf_counter()
    model.build_vocab(**source)
    t_vocab = time.perf_counter() - t
    t = time.perf_counter()
    model.train(**source, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=model.epochs)
    t_train = time.perf_counter() - t
    return model.wv.index_to_key, model.wv.vectors, t_vocab, t_train, model.corpus_total_words


def train_gensim(run, corpus, epochs, workers):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    model = Word2Vec(vector_size=run.vector_size, sg=run.sg, hs=run.hs, negative=run.negative,
                     workers=workers, epochs=epochs, **COMMON)
    t = time.perf_counter()
    if run.mode == "file":
        model.build_vocab(corpus_file=corpus)
    else:
        sentences = LineSentence(corpus)
        model.build_vocab(corpus_iterable=sentences)
    t_vocab = time.perf_counter() - t
    t = time.perf_counter()
    if run.mode == "file":
        model.train(corpus_file=corpus, total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=model.epochs)
    else:
        model.train(corpus_iterable=sentences, total_examples=model.corpus_count, epochs=model.epochs)
    t_train = time.perf_counter() - t
    return model.wv.index_to_key, model.wv.vectors, t_vocab, t_train, model.corpus_total_words


def train_wm(run, corpus, epochs, workers):
    # word2vec-matryoshka has no `sample` or `seed` argument (set_seed instead), no corpus_file
    # mode and no separate vocabulary step: train() on an empty model scans and trains. No
    # progress callback and verbose=False: its progress callback never returned with workers=2.
    from gensim.models.word2vec import LineSentence
    from word2vec_matryoshka import Word2Vec, set_seed
    set_seed(COMMON["seed"])
    model = Word2Vec(vector_size=run.vector_size, window=COMMON["window"], min_count=COMMON["min_count"],
                     workers=workers, negative=run.negative, sg=run.sg, hs=run.hs, levels=list(run.levels),
                     alpha=COMMON["alpha"], min_alpha=COMMON["min_alpha"], epochs=epochs, verbose=False)
    t = time.perf_counter()
    model.train(LineSentence(corpus), epochs=epochs)
    t_train = time.perf_counter() - t
    wv = model.wv
    return list(wv.index_to_key), wv.vectors, None, t_train, None


TRAINERS = {"w2vm": train_w2vm, "gensim": train_gensim, "wm": train_wm}


def evaluate(keys, vectors, levels, eval_dir, restrict_vocab):
    """Quality per prefix level, by w2vm's evaluation code, whatever library trained the vectors."""
    import numpy as np

    from w2vm import KeyedVectors
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    d = vectors.shape[1]
    kv = KeyedVectors(d, levels=list(levels) if levels else [d])
    kv.add_vectors(list(keys), vectors)
    questions = str(Path(eval_dir) / "questions-words.txt")
    out = {}
    for m in [m for m in EVAL_LEVELS if m <= d]:
        score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=restrict_vocab, level=m)
        row = {"analogy": float(score)}
        for s in sections:
            n = len(s["correct"]) + len(s["incorrect"])
            if s["section"] == "Total accuracy":
                row["analogy_questions"] = n
        for stem, name in (("ws353", "wordsim353.tsv"), ("simlex", "simlex999.txt")):
            pearson, spearman, oov = kv.evaluate_word_pairs(Path(eval_dir) / name, level=m)
            row[stem] = float(spearman[0])
            row[f"{stem}_oov_pct"] = float(oov)
        out[str(m)] = row
    return out


def child_main(args):
    run = RUNS[args.child]
    workers = run.workers or args.workers
    result = {"run": run.name, "status": "ok", "workers": workers, "epochs": args.epochs}
    keys, vectors, t_vocab, t_train, total_words = TRAINERS[run.library](run, args.corpus, args.epochs, workers)
    result["peak_rss_train_mb"] = peak_rss_mb()  # before evaluation allocates anything
    result.update(build_vocab_s=t_vocab, train_s=t_train, library_corpus_words=total_words,
                  vocab_size=len(keys), vector_size=int(vectors.shape[1]))
    if args.child_evaluate:
        t = time.perf_counter()
        result["quality"] = evaluate(keys, vectors, run.levels, args.eval_dir, args.restrict_vocab)
        result["eval_s"] = time.perf_counter() - t
    result["peak_rss_mb"] = peak_rss_mb()
    with open(args.result, "w") as f:
        json.dump(result, f)


# --------------------------------------------------------------------------- parent side
def select_runs(spec):
    if spec in (None, "", "default"):
        return [r for r in RUNS.values() if r.default]
    chosen = []
    for pattern in [p.strip() for p in spec.split(",") if p.strip()]:
        if pattern == "all":
            hits = list(RUNS)
        elif pattern == "default":
            hits = [n for n, r in RUNS.items() if r.default]
        else:
            hits = fnmatch.filter(RUNS, pattern)
        if not hits:
            raise SystemExit(f"--runs: {pattern!r} matches no run; known runs: {', '.join(RUNS)}")
        chosen += [RUNS[h] for h in hits if RUNS[h] not in chosen]
    return chosen


def prepare_corpus(path):
    """A plain-text corpus path (corpus_file mode needs one): ``.gz`` is unpacked once into work/."""
    path = Path(path).resolve()
    if not path.exists():
        raise SystemExit(f"corpus {path} not found")
    if path.suffix != ".gz":
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    target = WORK / path.stem
    if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
        print(f"unpacking {path} -> {target}", file=sys.stderr)
        tmp = target.with_suffix(".tmp")
        with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
    return target


def count_corpus(path):
    """(lines, whitespace tokens): raw words per epoch, the same number for every library."""
    lines = words = 0
    with open(path, "rb") as f:
        for line in f:
            lines += 1
            words += len(line.split())
    return lines, words


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: i.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer",
                                       "architecture")} for i in threadpool_info()]
    except ImportError:
        pass
    import numpy as np
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception:  # noqa: BLE001 - informational only
        return None


def environment():
    import numpy as np
    import scipy
    out = {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
           "platform": platform.platform(), "cores": os.cpu_count(), "cpu": cpu_model(), "blas": blas_info()}
    try:
        out["cores_available"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    from importlib import metadata
    for key, dist in (("w2vm", "w2vm"), ("gensim", "gensim"), ("word2vec_matryoshka", "word2vec-matryoshka")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = None
    try:  # the checkout measured, which may be ahead of an installed w2vm
        import w2vm
        out["w2vm"] = w2vm.__version__
        out["w2vm_path"] = str(Path(w2vm.__file__).parent)
        with open(os.devnull, "w") as devnull:
            out["w2vm_config"] = w2vm.show_config(file=devnull)
    except ImportError as exc:
        out["w2vm_error"] = str(exc)
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        out["git"] = rev.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        out["git"] = None
    return out


def run_child(run, args, corpus, evaluate_it, log_path):
    """Train (and evaluate) one run in a fresh interpreter; never raises."""
    fd, result_path = tempfile.mkstemp(prefix=f"{run.name}.", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", run.name, "--corpus", str(corpus),
           "--epochs", str(args.epochs), "--workers", str(args.workers), "--result", result_path,
           "--eval-dir", str(args.eval_dir), "--restrict-vocab", str(args.restrict_vocab)]
    if evaluate_it:
        cmd.append("--child-evaluate")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p])
    t = time.perf_counter()
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            try:
                rc = proc.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: only what this run started
                proc.wait()
                return {"run": run.name, "status": "timeout",
                        "error": f"killed after {args.timeout:.4g} s", "log": str(log_path)}
        wall = time.perf_counter() - t
        if rc != 0 or os.path.getsize(result_path) == 0:
            return {"run": run.name, "status": "failed", "error": f"exit code {rc}: {tail(log_path)}",
                    "log": str(log_path)}
        with open(result_path) as f:
            out = json.load(f)
        out["wall_s"] = wall
        return out
    finally:
        os.unlink(result_path)


def tail(path, lines=2, n=300):
    """The end of a run's log (a traceback's last lines name the error)."""
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])[-n:]


def summarise(run, tries, corpus_words, epochs):
    """One result entry: median timings over the successful repeats, quality from the first."""
    ok = [t for t in tries if t.get("status") == "ok"]
    entry = {"run": run.name, **{k: v for k, v in asdict(run).items() if k not in ("name", "default")},
             "levels": list(run.levels) if run.levels else None, "repeats": len(tries), "succeeded": len(ok)}
    if not ok:
        entry["status"] = tries[-1].get("status", "failed") if tries else "not run"
        entry["error"] = tries[-1].get("error") if tries else None
        entry["log"] = tries[-1].get("log") if tries else None
        return entry
    entry["status"] = "ok" if len(ok) == len(tries) else "partial"
    if len(ok) < len(tries):
        entry["error"] = next(t.get("error") for t in tries if t.get("status") != "ok")
    entry["workers"] = ok[0]["workers"]
    raw = corpus_words * epochs
    train = [t["train_s"] for t in ok]
    vocab = [t["build_vocab_s"] for t in ok if t.get("build_vocab_s") is not None]
    entry.update(
        build_vocab_s=statistics.median(vocab) if vocab else None,
        train_s=statistics.median(train),
        raw_words=raw,
        words_per_s=raw / statistics.median(train),
        train_includes_vocab=run.library == "wm",
        peak_rss_mb=max(t["peak_rss_train_mb"] for t in ok),
        peak_rss_with_eval_mb=max(t["peak_rss_mb"] for t in ok),
        vocab_size=ok[0]["vocab_size"],
        library_corpus_words=ok[0].get("library_corpus_words"),
        all_train_s=train, all_build_vocab_s=vocab,
    )
    with_quality = [t for t in ok if "quality" in t]
    if with_quality:
        entry["quality"] = with_quality[0]["quality"]
        entry["eval_s"] = with_quality[0]["eval_s"]
    return entry


def add_ratios(results):
    by_name = {r["run"]: r for r in results}
    for r in results:
        run = RUNS[r["run"]]
        for key, anchor in (("ratio_vs_match", run.match), ("ratio_vs_gensim_file", run.file_anchor)):
            a = by_name.get(anchor)
            ok = r.get("words_per_s") and a and a.get("words_per_s")
            r[key] = r["words_per_s"] / a["words_per_s"] if ok else None
            r[key.replace("ratio", "anchor")] = anchor


def fmt(x, spec, missing="–"):
    return missing if x is None else format(x, spec)


def markdown(report):
    env, cfg = report["environment"], report["settings"]
    lines = [
        "# bench_train: training speed and quality per level",
        "",
        f"- command: `{report['command']}`",
        f"- date: {report['date']}",
        f"- versions: w2vm {env.get('w2vm')} ({env.get('git') or 'no git'}), gensim {env.get('gensim')}, "
        f"word2vec-matryoshka {env.get('word2vec_matryoshka')}, numpy {env['numpy']}, scipy {env['scipy']}, "
        f"Python {env['python']}",
        f"- BLAS: {json.dumps(env.get('blas'))}",
        f"- machine: {env['cpu']}, {env['cores']} cores ({env.get('cores_available', '?')} available), "
        f"{env['platform']}",
        f"- corpus: `{cfg['corpus']}` ({cfg['corpus_words']:,} tokens, {cfg['corpus_lines']:,} lines); "
        f"epochs {cfg['epochs']}, window 5, negative 5 (hs runs: 0), min_count 5, sample 1e-3, "
        f"seed 1; timings are the median of {cfg['repeat']} run(s), each in its own process"
        + (f", after an untimed warm-up run of {cfg['warmup']}" if cfg.get("warmup") else ""),
        "- words/s = corpus tokens x epochs / train s. ×match: ratio to the gensim run with the same "
        "corpus mode and algorithm; ×g-file: ratio to gensim corpus_file, same algorithm. "
        "Quality: prefix `v[:m]` normalised on its own, by w2vm's evaluation code for every library; "
        f"analogy = accuracy (%) with restrict_vocab={cfg['restrict_vocab']}; WS353/SimLex = Spearman.",
        "",
        "| run | workers | levels | build_vocab s | train s | words/s | ×match | ×g-file | peak RSS MB "
        "| analogy 25 / 50 / 100 | WS353 25 / 50 / 100 | SimLex 25 / 50 / 100 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    notes = []
    for r in report["results"]:
        if r["status"] not in ("ok", "partial"):
            lines.append(f"| {r['run']} | | | | | **{r['status']}** | | | | | | |")
            notes.append(f"- {r['run']}: {r['status']}: {r.get('error')} (log: `{r.get('log')}`)")
            continue
        q = r.get("quality", {})

        def per_level(key, spec, scale=1.0):
            return " / ".join(fmt(q[str(m)][key] * scale, spec) if str(m) in q else "–" for m in EVAL_LEVELS)

        levels = ",".join(map(str, r["levels"])) if r["levels"] else f"d={r['vector_size']}"
        train = fmt(r["train_s"], ".2f") + ("\\*" if r["train_includes_vocab"] else "")
        lines.append(
            f"| {r['run']} | {r['workers']} | {levels} | {fmt(r['build_vocab_s'], '.2f')} | {train} "
            f"| {r['words_per_s'] / 1e3:,.0f}k | {fmt(r['ratio_vs_match'], '.2f')} "
            f"| {fmt(r['ratio_vs_gensim_file'], '.2f')} | {fmt(r['peak_rss_mb'], '.0f')} "
            f"| {per_level('analogy', '.1f', 100.0)} | {per_level('ws353', '.3f')} | {per_level('simlex', '.3f')} |")
        if r["status"] == "partial":
            notes.append(f"- {r['run']}: {r['succeeded']}/{r['repeats']} repeats succeeded: {r.get('error')}")
        if r.get("note"):
            notes.append(f"- {r['run']}: {r['note']}")
    if any(r.get("train_includes_vocab") for r in report["results"] if r["status"] in ("ok", "partial")):
        notes.append("- \\* train s includes the vocabulary scan (no separate build_vocab in that library)")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="runs:\n" + "\n".join(
                                    f"  {r.name}{' (default)' if r.default else ''}" for r in RUNS.values()))
    p.add_argument("--runs", default="default",
                   help="comma list of run names or globs ('w2vm-*'), 'default' or 'all' (default: default)")
    p.add_argument("--list", action="store_true", help="list the runs and exit")
    p.add_argument("--corpus", default=str(SHARED / "corpus.txt.gz"),
                   help="LineSentence corpus; a .gz is unpacked once into benchmarks/work/")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--workers", type=int, default=2, help="threads for runs without their own setting")
    p.add_argument("--repeat", type=int, default=1,
                   help="train each run N times (round-robin over runs); median timings, quality of the first")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds before a run is killed")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed training of the first run before the timed ones")
    p.add_argument("--no-eval", dest="evaluate", action="store_false", help="timings only")
    p.add_argument("--restrict-vocab", type=int, default=RESTRICT_VOCAB)
    p.add_argument("--eval-dir", default=str(EVAL_DIR))
    p.add_argument("--out", default=str(HERE / "results" / "bench_train.json"),
                   help="JSON output; the markdown table goes next to it with a .md suffix")
    # internal: the per-run subprocess
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--child-evaluate", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.epochs < 1 or args.workers < 1 or args.repeat < 1:
        p.error("--epochs, --workers and --repeat must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    if args.list:
        for r in RUNS.values():
            print(f"{r.name:24s} {'default' if r.default else '       '}  {r.note}")
        return 0
    runs = select_runs(args.runs)
    if args.evaluate and not Path(args.eval_dir).is_dir():
        raise SystemExit(f"--eval-dir {args.eval_dir} not found (or pass --no-eval)")
    corpus = prepare_corpus(args.corpus)
    corpus_lines, corpus_words = count_corpus(corpus)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join(["python"] + [os.path.relpath(sys.argv[0], os.getcwd())] + sys.argv[1:]),
        "cwd": os.getcwd(),
        "executable": sys.executable,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "environment": environment(),
        "settings": {"corpus": str(corpus), "corpus_words": corpus_words, "corpus_lines": corpus_lines,
                     "epochs": args.epochs, "workers": args.workers, "repeat": args.repeat,
                     "restrict_vocab": args.restrict_vocab, "eval_levels": list(EVAL_LEVELS),
                     "common": COMMON, "timeout_s": args.timeout,
                     "warmup": runs[0].name if args.warmup else None},
        "results": [],
    }
    tries = {r.name: [] for r in runs}

    def write():
        report["results"] = [summarise(r, tries[r.name], corpus_words, args.epochs) for r in runs]
        add_ratios(report["results"])
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(report, indent=1))
        os.replace(tmp, out)
        out.with_suffix(".md").write_text(markdown(report))

    if args.warmup:
        # The first run of a benchmark came out low (session 5: 1,157k words/s
        # where interleaved runs of the same build gave 1,244-1,352k), and a
        # single run's levels ratio leans on it: one untimed training first, so
        # the first timed run starts on a machine as warm as the others.
        print(f"[warm-up] {runs[0].name} ...", end=" ", file=sys.stderr, flush=True)
        res = run_child(runs[0], args, corpus, False, logs / "warmup.log")
        print(res["status"], file=sys.stderr)
    # Round-robin so that a slow phase of a shared machine spreads over all runs.
    for rep in range(args.repeat):
        for run in runs:
            print(f"[{rep + 1}/{args.repeat}] {run.name} ...", end=" ", file=sys.stderr, flush=True)
            res = run_child(run, args, corpus, args.evaluate and rep == 0,
                            logs / f"{run.name}.{rep}.log")
            tries[run.name].append(res)
            if res["status"] == "ok":
                print(f"train {res['train_s']:.1f} s, {corpus_words * args.epochs / res['train_s'] / 1e3:.0f}k "
                      f"words/s, {res['peak_rss_train_mb']:.0f} MB", file=sys.stderr)
            else:
                print(f"{res['status']}: {res.get('error')}", file=sys.stderr)
            write()  # after every run: an interrupted benchmark keeps what it measured
    write()
    print(out.with_suffix(".md").read_text())
    print(f"wrote {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
