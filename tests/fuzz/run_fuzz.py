"""Long fuzz run of every loader, outside the default test suite.

    python tests/fuzz/run_fuzz.py --total 1000000            # all targets, equal shares
    python tests/fuzz/run_fuzz.py --targets index_hnsw --per-target 50000 --seed 3

Runs the targets of ``fuzz_helpers.TARGETS`` (the same ones the hypothesis
tests use) with inputs drawn from a ``random.Random`` seeded by
``(seed, target, input number)``, so any input can be replayed alone with
``--replay TARGET:NUMBER``. Each target runs in a child process (spawned, not
forked: a forked child of a process that used OpenMP can deadlock), with its
address space capped (``--memory-gb``), so that a segfault, an abort or a hang
is caught, reported and its input files kept under ``--out``; the run then
goes on after that input. Prints, per target, the count of each outcome: a
successful load, each allowed exception type (ValueError and EOFError
subclasses), and ``BAD:<type>``, ``CRASH:<signal>`` or ``HANG`` for anything
else. Writes the same figures as JSON with ``--json``.
"""
import argparse
import collections
import json
import logging
import multiprocessing
import os
import random
import shutil
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for _p in (ROOT, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fuzz_helpers  # noqa: E402

FLUSH_EVERY = 250  # outcomes are sent to the parent in batches; a crash replays the unsent batch


def _rng(seed, target, i):
    return random.Random(f"{seed}:{target}:{i}")


def _limit_memory(gb):
    if gb:
        import resource
        limit = int(gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_one(target, seed, i, scratch):
    """The outcome of input ``i`` of ``target``: ``'loaded'``, an allowed exception's name, or ``BAD:...``."""
    folder = fuzz_helpers.fresh_folder(scratch, "case")
    rng = _rng(seed, target, i)
    try:
        return fuzz_helpers.check_outcome(lambda: fuzz_helpers.TARGETS[target](folder, rng)), None
    except Exception as exc:  # anything not allowed is a finding
        return f"BAD:{type(exc).__name__}", traceback.format_exc()


def _worker(target, seed, start, stop, skip, scratch, progress, conn, out, memory_gb):
    logging.disable(logging.CRITICAL)
    _limit_memory(memory_gb)
    counts = collections.Counter()
    saved = collections.Counter()
    for i in range(start, stop):
        if i in skip:
            continue
        progress.value = i
        outcome, tb = run_one(target, seed, i, scratch)
        counts[outcome] += 1
        if tb is not None and saved[outcome] < 5:
            saved[outcome] += 1
            _keep_input(scratch, out, target, i, outcome, tb)
        if (i + 1 - start) % FLUSH_EVERY == 0:
            conn.send((i + 1, dict(counts)))
            counts.clear()
    conn.send((stop, dict(counts)))


def _keep_input(scratch, out, target, i, outcome, text):
    dest = os.path.join(out, f"{target}-{i}-{outcome.replace(':', '_')}")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(os.path.join(scratch, "case"), dest)
    with open(os.path.join(dest, "REPORT.txt"), "w") as fh:
        fh.write(f"target={target} input={i} outcome={outcome}\n"
                 f"replay: python tests/fuzz/run_fuzz.py --replay {target}:{i} --seed <seed>\n\n{text}\n")


def fuzz_target(target, n, seed, timeout, out, memory_gb, log=print):
    """Run inputs ``0 .. n-1`` of ``target`` in child processes; return ``(Counter, seconds)``."""
    ctx = multiprocessing.get_context("spawn")
    counts = collections.Counter()
    skip = set()
    done = 0
    t0 = time.monotonic()
    scratch = fuzz_helpers.scratch_root()
    try:
        while done < n:
            progress = ctx.Value("q", -1, lock=False)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(target, seed, done, n, frozenset(skip), scratch,
                                                     progress, send, out, memory_gb), daemon=True)
            proc.start()
            send.close()
            last, last_change = progress.value, time.monotonic()
            hung = False
            while True:
                proc.join(0.2)
                while recv.poll():
                    try:
                        done, batch = recv.recv()
                    except EOFError:
                        break
                    counts.update(batch)
                if not proc.is_alive():
                    break
                if progress.value != last:
                    last, last_change = progress.value, time.monotonic()
                elif progress.value >= 0 and time.monotonic() - last_change > timeout:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.join()
                    hung = True
                    break
            while recv.poll():
                try:
                    done, batch = recv.recv()
                except EOFError:
                    break
                counts.update(batch)
            recv.close()
            if proc.exitcode == 0 and not hung:
                continue
            # A crash or a hang: the input being run is a finding; inputs after the last
            # flushed batch are run again (deterministically) by the next child.
            bad = progress.value
            if hung:
                outcome = "HANG"
            else:
                code = proc.exitcode
                outcome = f"CRASH:{signal.Signals(-code).name}" if code < 0 else f"CRASH:exit{code}"
            counts[outcome] += 1
            skip.add(bad)
            log(f"  {target}: input {bad}: {outcome}; its files are kept under {out}")
            _keep_input(scratch, out, target, bad, outcome, f"{outcome} in a child process")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return counts, time.monotonic() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total", type=int, default=None, help="inputs in all, split equally over targets")
    parser.add_argument("--per-target", type=int, default=1000, help="inputs per target (without --total)")
    parser.add_argument("--targets", default=",".join(fuzz_helpers.TARGETS),
                        help="comma-separated names (default: all): " + ", ".join(fuzz_helpers.TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one input may take (a hang)")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space cap of the child (0: none)")
    parser.add_argument("--out", default="fuzz-findings", help="folder for the inputs of findings")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument("--replay", default=None, metavar="TARGET:N", help="run one input in this process")
    args = parser.parse_args(argv)

    if args.replay:
        target, _, i = args.replay.partition(":")
        scratch = fuzz_helpers.scratch_root()
        outcome, tb = run_one(target, args.seed, int(i), scratch)
        print(outcome)
        if tb:
            print(tb)
        print(f"input files: {os.path.join(scratch, 'case')}")
        return 0 if tb is None else 1

    targets = [t for t in args.targets.split(",") if t]
    unknown = [t for t in targets if t not in fuzz_helpers.TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {list(fuzz_helpers.TARGETS)}")
    if args.total is not None:
        share, extra = divmod(args.total, len(targets))
        per_target = {t: share + (k < extra) for k, t in enumerate(targets)}
    else:
        per_target = {t: args.per_target for t in targets}
    os.makedirs(args.out, exist_ok=True)

    results = {}
    t0 = time.monotonic()
    print(f"fuzzing {sum(per_target.values())} inputs, seed {args.seed}", flush=True)
    for target in targets:
        counts, seconds = fuzz_target(target, per_target[target], args.seed, args.timeout, args.out,
                                      args.memory_gb, log=lambda m: print(m, flush=True))
        results[target] = {"inputs": sum(counts.values()), "seconds": round(seconds, 1),
                           "outcomes": dict(counts.most_common())}
        print(f"{target:22s} {sum(counts.values()):8d} inputs {seconds:8.1f} s  "
              + ", ".join(f"{k}={v}" for k, v in counts.most_common()), flush=True)
    wall = time.monotonic() - t0
    total = sum(r["inputs"] for r in results.values())
    findings = {t: {k: v for k, v in r["outcomes"].items() if k.startswith(("BAD:", "CRASH:", "HANG"))}
                for t, r in results.items()}
    findings = {t: f for t, f in findings.items() if f}
    print(f"total {total} inputs in {wall:.1f} s; findings: {findings or 'none'}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"seed": args.seed, "total": total, "wall_seconds": round(wall, 1),
                       "targets": results, "findings": findings}, fh, indent=1)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
