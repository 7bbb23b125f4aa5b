"""Running the command line for its tests: in this process, or as a ``python -m w2vm`` subprocess."""
import os
import subprocess
import sys

import w2vm
from command_helpers import run_in_process

# the subprocess imports the same w2vm as the tests, installed or not
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(w2vm.__file__)))


def cli_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("COLUMNS", None)
    env.update(extra)
    return env


def cli_command(*args):
    return [sys.executable, "-m", "w2vm", *map(str, args)]


def run_cli(*args, cwd=None, input=None, timeout=120, process=False):
    """Run the command line; return the CompletedProcess (text stdout/stderr).

    In this process (``command_helpers.run_in_process``) unless ``process``:
    then a real ``python -m w2vm`` subprocess.
    """
    if not process:
        return run_in_process(args, cwd=cwd, input=input)
    return subprocess.run(cli_command(*args), cwd=cwd, input=input, capture_output=True, text=True,
                          env=cli_env(), timeout=timeout)


def assert_one_line_error(proc, code, command, text=None):
    """Exit ``code`` and a last stderr line ``w2vm COMMAND: error: ...``, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"w2vm {command}: error: "), proc.stderr
    if text is not None:
        assert text in last, last
