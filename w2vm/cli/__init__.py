"""The command line: ``python -m w2vm COMMAND ...``, also installed as the ``w2vm`` script.

One module per command group: :mod:`~w2vm.cli.train`, :mod:`~w2vm.cli.evaluate`
(``eval``), :mod:`~w2vm.cli.query`, :mod:`~w2vm.cli.convert`,
:mod:`~w2vm.cli.index` (``index build`` / ``index query``), :mod:`~w2vm.cli.demo`
(``demo``, ``info``), :mod:`~w2vm.cli.recall` (the item2vec vector-recall
pipeline of :mod:`w2vm.recall`); :mod:`~w2vm.cli.progress` draws the
training progress.

Each module has ``add_parser(subparsers, parents)``, which registers its
command(s) with ``func`` set to the function that runs them. Errors are one
line, ``w2vm CMD: error: ...``, without a traceback unless ``--debug``.

Exit codes: 0 success, 1 error (missing file, empty corpus, unknown word ...),
2 bad command line, 130/143 ``train`` stopped by SIGINT/SIGTERM after saving a
checkpoint.

"""
import argparse
import os
import re
import sys

from w2vm.cli.common import CLIError, dumps

COMMAND_MODULES = ("train", "evaluate", "query", "convert", "index", "recall", "demo")

_UNDERSCORE_FLAG = re.compile(r"^--([a-z0-9]+(?:_[a-z0-9]+)+)(=.*)?$")


def normalize_argv(argv):
    """Accept gensim's spellings: ``--vector_size 100`` means ``--vector-size 100``.

    Only option names are rewritten (tokens starting with ``--`` before a bare
    ``--``); values such as file names are left alone.
    """
    out = []
    for i, token in enumerate(argv):
        if token == "--":
            out.extend(argv[i:])
            break
        match = _UNDERSCORE_FLAG.match(token)
        out.append("--" + match.group(1).replace("_", "-") + (match.group(2) or "") if match else token)
    return out


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``w2vm train: error: ...`` and a pointer to ``--help``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser():
    """The full argument parser (one subparser per command)."""
    import importlib

    # --debug is accepted before or after the command; SUPPRESS keeps the subparser
    # from resetting a value given before it
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    parser = Parser(
        prog="w2vm",
        description="word2vec with Matryoshka levels: every prefix v[:m] (m in levels) is itself a good "
                    "embedding. Train, evaluate per level, query, convert, index.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  w2vm demo                                            # train on the bundled corpus, per-level table\n"
               "  w2vm train corpus.txt.gz -o model --levels 25,50,100 --sg 1 --workers 4\n"
               "  w2vm eval model --analogies questions-words.txt --pairs wordsim353.tsv --plot levels.png\n"
               "  w2vm query model king --level 25 --topn 5\n"
               "  w2vm convert model model-25.bin --level 25\n"
               "  w2vm index build model words.hnsw --type hnsw --level 25\n"
               "  w2vm index query words.hnsw king --topn 5\n"
               "  w2vm recall ratings.tsv.gz --ks 10,50,100 --index brute,hnsw   # item2vec recall@K\n\n"
               "'w2vm COMMAND --help' describes each command. gensim's underscore option names\n"
               "(--vector_size) are accepted as well as the dashed ones (--vector-size).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--debug", action="store_true", default=False, help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"w2vm.cli.{name}").add_parser(sub, [common])
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser):
    """Give every (sub)command's namespace its own parser, so that its usage errors name it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.set_defaults(cmd_parser=child)
                _remember_parsers(child)


def _version():
    from w2vm import __version__
    return __version__


def _report_error(args, command, message):
    if getattr(args, "log_json", False):
        print(dumps({"event": "error", "command": command, "message": message}), file=sys.stderr, flush=True)
    else:
        print(f"w2vm {command}: error: {message}", file=sys.stderr, flush=True)


def main(argv=None):
    """Run the command line; return the exit code."""
    argv = normalize_argv(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        (getattr(args, "cmd_parser", None) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        # a group such as "index" without its subcommand prints its own help
        (getattr(args, "group_parser", None) or parser).print_help(sys.stderr)
        return 2
    command = args.command if not getattr(args, "subcommand", None) else f"{args.command} {args.subcommand}"
    debug = getattr(args, "debug", False)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        if debug:
            raise
        _report_error(args, command, str(exc))
        return exc.code
    except KeyboardInterrupt:
        if debug:
            raise
        _report_error(args, command, "interrupted")
        return 130
    except BrokenPipeError:
        # `w2vm query ... | head`: the reader went away; nothing left to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush fails silently
        return 0
    except Exception as exc:  # noqa: BLE001 - every error becomes one line unless --debug
        if debug:
            raise
        message = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError):
            message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else message
        if isinstance(exc, MemoryError):
            message = "out of memory"
        _report_error(args, command, message)
        return 1
