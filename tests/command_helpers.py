"""Running the command line inside the test process: ``main(argv)`` with its streams captured.

The same code ``python -m w2vm`` runs (``sys.exit(main())``), without a new
interpreter importing numpy, scipy and w2vm for every call (about a second
each, over sixty calls). Tests of what only a real process shows (signals, a
terminal, the interpreter's own traceback, exit codes seen by a shell) start
one with ``cli_helpers.run_cli(..., process=True)`` or ``cli_command``.
"""
import contextlib
import io
import os
import subprocess
import sys
import traceback


@contextlib.contextmanager
def _environment(cwd, stdin):
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    old_columns = os.environ.pop("COLUMNS", None)  # as cli_env(): the default terminal width
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        yield
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
        if old_columns is not None:
            os.environ["COLUMNS"] = old_columns


def run_in_process(argv, cwd=None, input=None):
    """``w2vm ARGV`` in this process; returns a ``CompletedProcess`` as ``subprocess.run`` would."""
    from w2vm.cli import main

    argv = [str(a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    with _environment(cwd, input), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except Exception:  # --debug lets errors through: the interpreter would print them
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["w2vm", *argv], code, out.getvalue(), err.getvalue())
