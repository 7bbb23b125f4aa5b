"""``w2vm train``: train a model from corpus files, with progress, checkpoints and clean interruption.

Ctrl-C (SIGINT) or SIGTERM while training does not kill the job on the spot:
the current chunk finishes, a consistent checkpoint is saved to ``--output``
(the same files as a finished model: ``Word2Vec.load`` reads it and
``--resume`` continues it), and the command exits with 128 + the signal
number (130 for Ctrl-C, 143 for SIGTERM). A second Ctrl-C aborts at once
without saving. A checkpoint saved mid-epoch holds the finished epochs plus
part of the interrupted one; ``--resume`` trains the interrupted epoch again
from its start, with the learning rate the uninterrupted run would have had.
"""
import argparse
import os
import signal
import time

from w2vm.cli.common import CLIError, float_list, int_list, positive_int
from w2vm.cli.progress import attach_logging, make_reporter
from w2vm.corpora import COMPRESSED_SUFFIXES, ERROR_POLICIES

DEFAULT_MAX_SENTENCE_LENGTH = 10000

# (flag, dest, type, metavar, help); every default is gensim 4.4's, applied by Word2Vec itself
MODEL_PARAMS = [
    ("--vector-size", "vector_size", positive_int, "N", "dimension of the vectors (default: the last of --levels, else 100)"),
    ("--levels", "levels", int_list, "M1,M2,..", "nested prefix sizes, strictly increasing, ending at --vector-size "
                                                 "(default: d/4,d/2,d)"),
    ("--level-weights", "level_weights", float_list, "W1,W2,..", "loss weight of each level (default: 1 each, summed)"),
    ("--sg", "sg", int, "{0,1}", "1: skip-gram, 0: CBOW (default 0)"),
    ("--hs", "hs", int, "{0,1}", "1: hierarchical softmax (default 0)"),
    ("--negative", "negative", int, "N", "negative samples per positive pair; 0 disables (default 5)"),
    ("--ns-exponent", "ns_exponent", float, "X", "exponent of the negative-sampling distribution (default 0.75)"),
    ("--cbow-mean", "cbow_mean", int, "{0,1}", "CBOW: 1 averages the context vectors, 0 sums them (default 1)"),
    ("--window", "window", int, "N", "maximum distance between the current and predicted word (default 5)"),
    ("--shrink-windows", "shrink_windows", int, "{0,1}", "1: sample the effective window in [1, window] (default 1)"),
    ("--min-count", "min_count", int, "N", "ignore words rarer than this (default 5)"),
    ("--max-vocab-size", "max_vocab_size", int, "N", "prune the vocabulary while counting above this size (default: none)"),
    ("--max-final-vocab", "max_final_vocab", int, "N", "raise min_count until the vocabulary fits (default: none)"),
    ("--sample", "sample", float, "X", "downsampling threshold of frequent words; 0 disables (default 1e-3)"),
    ("--alpha", "alpha", float, "X", "initial learning rate (default 0.025)"),
    ("--min-alpha", "min_alpha", float, "X", "final learning rate (default 0.0001)"),
    ("--epochs", "epochs", positive_int, "N", "passes over the corpus (default 5); with --resume: the run's new total"),
    ("--batch-words", "batch_words", positive_int, "N", "words per job (default 10000)"),
    ("--null-word", "null_word", int, "{0,1}", "1: add a null word (default 0)"),
    ("--sorted-vocab", "sorted_vocab", int, "{0,1}", "1: sort the vocabulary by descending frequency (default 1)"),
    ("--seed", "seed", int, "N", "random seed; with --workers 1 runs are bit-reproducible (default 1)"),
    ("--workers", "workers", positive_int, "N", "training threads (default 3)"),
]
MODEL_FLAGS = [
    ("--hogbatch", "hogbatch", "skip-gram with negative sampling only: share negatives within a window"),
    ("--compute-loss", "compute_loss", "compute the loss of each level (shown in the progress and logs)"),
]
# what --resume may change: everything else is the checkpoint's
RESUMABLE = {"epochs", "workers", "compute_loss"}


def add_parser(sub, parents):
    p = sub.add_parser(
        "train", parents=parents, help="train a model from corpus files",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train word2vec with Matryoshka levels from one or more corpus files or a folder, and save "
                    "BASE.vocab.json + BASE.npy (+ BASE.syn1neg.npy, BASE.meta.json: a model that "
                    "Word2Vec.load(BASE) restores and --resume continues).",
        epilog="Parameter names are gensim's; gensim's underscore spellings (--vector_size, --min_count) "
               "work too.\n\n"
               "Progress goes to stderr: a bar on a terminal, gensim-style log lines otherwise, JSON lines\n"
               "with --log-json, nothing but errors with --quiet.\n\n"
               "Exit codes: 0 done; 1 error (missing or empty corpus, unwritable output); 2 bad arguments\n"
               "(e.g. bad --levels); 130 / 143 stopped by Ctrl-C / SIGTERM after saving a checkpoint to\n"
               "--output (resume with --resume BASE).\n\n"
               "example:\n"
               "  w2vm train corpus.txt.gz --output model --levels 25,50,100 --sg 1 --epochs 5 --workers 4 \\\n"
               "      --seed 42 --checkpoint-every-epoch")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help=f"corpus file(s) ({'/'.join(COMPRESSED_SUFFIXES)} are decompressed) or a folder of them")
    io = p.add_argument_group("input and output")
    io.add_argument("--output", "-o", metavar="BASE",
                    help="where to save the model (BASE.vocab.json, BASE.npy, ...); default with --resume: "
                         "the resumed BASE")
    io.add_argument("--format", dest="corpus_format", choices=("auto", "line", "text8", "dir"), default="auto",
                    help="corpus format: one sentence per line (line), one long line of words (text8), a folder "
                         "of line files (dir); auto guesses (default)")
    io.add_argument("--max-sentence-length", type=positive_int, default=DEFAULT_MAX_SENTENCE_LENGTH, metavar="N",
                    help=f"longer sentences are split (default {DEFAULT_MAX_SENTENCE_LENGTH})")
    io.add_argument("--encoding", default="utf-8", metavar="ENC",
                    help="text encoding of the corpus, any Python codec name (default utf-8)")
    io.add_argument("--errors", choices=ERROR_POLICIES, default="strict",
                    help="bytes that do not decode: strict stops with an error naming the file, line and "
                         "byte; replace turns them into U+FFFD; ignore drops them (default strict)")
    io.add_argument("--reader", choices=("auto", "native", "python"), default="auto",
                    help="native: read a single uncompressed strict UTF-8 line file in C (fastest); python: "
                         "the LineSentence-style readers (any encoding, compression, error policy); auto: "
                         "native when possible (default)")
    io.add_argument("--checkpoint-every-epoch", action="store_true",
                    help="save the model to --output after every epoch")
    io.add_argument("--resume", metavar="BASE",
                    help="continue a model saved by w2vm train (a checkpoint, or a finished model with a "
                         "larger --epochs)")
    model = p.add_argument_group("training parameters (gensim's names and defaults)")
    for flag, dest, type_, metavar, help_ in MODEL_PARAMS:
        choices = (0, 1) if metavar == "{0,1}" else None  # gensim's 0/1 switches
        model.add_argument(flag, dest=dest, type=type_, metavar=metavar, default=None, choices=choices, help=help_)
    for flag, dest, help_ in MODEL_FLAGS:
        model.add_argument(flag, dest=dest, action="store_true", default=None, help=help_)
    out = p.add_argument_group("progress and logging")
    mode = out.add_mutually_exclusive_group()
    mode.add_argument("--quiet", "-q", action="store_true", help="print only warnings and errors")
    mode.add_argument("--log-json", action="store_true",
                      help="one JSON object per line on stderr (event, epoch, progress, words_per_s, alpha, loss, ...)")
    mode.add_argument("--no-bar", action="store_true", help="log lines even on a terminal")
    out.add_argument("--progress-interval", type=float, default=1.0, metavar="SECONDS",
                     help="seconds between two progress log lines (default 1; the bar refreshes faster)")
    p.set_defaults(func=run)
    return p


# --------------------------------------------------------------------------- corpus
class _Concatenated:
    """Several corpus readers read one after the other, restartable like each of them."""

    def __init__(self, readers):
        self.readers = readers

    def __iter__(self):
        for reader in self.readers:
            yield from reader


def _is_text8(path, encoding, errors):
    """A file whose first MiB holds no line break is one long text8-style line."""
    from w2vm.corpora import CorpusReadError, open_text, with_line

    try:
        with open_text(path, encoding, "replace") as fh:
            head = fh.read(1 << 20)
    except CorpusReadError as exc:  # damaged compressed data: say near which line
        raise with_line(exc) from None
    return len(head) >= (1 << 20) and "\n" not in head


def check_encoding(encoding, errors):
    """``--encoding``/``--errors`` as ``open`` accepts them, or a usage error (exit code 2)."""
    from w2vm.io.text import check_encoding as check

    try:
        check(encoding, errors)
    except LookupError as exc:
        raise CLIError(f"--encoding {encoding}: {exc}", code=2) from None


def open_corpus(paths, fmt="auto", max_sentence_length=DEFAULT_MAX_SENTENCE_LENGTH, reader="auto",
                encoding="utf-8", errors="strict"):
    """Readers for the command line's corpus arguments.

    The native reader (``corpus_file``) is used for a single uncompressed
    line file read as strict UTF-8; every other case (compression, folders,
    text8, other encodings or error policies) streams through the Python
    readers, which decode as Python's ``open`` does.

    Returns
    -------
    sentences : iterable of token lists or None
    corpus_file : str or None
        Set instead of ``sentences`` when the native reader can be used.
    description : str
    """
    from w2vm.corpora import LineSentence, PathLineSentences, Text8Corpus, is_compressed, is_strict_utf8

    check_encoding(encoding, errors)
    for path in paths:
        if not os.path.exists(path):
            raise CLIError(f"corpus file {path!r} does not exist")
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise CLIError(f"corpus file {path!r} is empty")
    text = dict(encoding=encoding, errors=errors)
    readers, kinds = [], []
    for path in paths:
        if os.path.isdir(path):
            if fmt not in ("auto", "dir", "line"):
                raise CLIError(f"{path!r} is a folder: --format {fmt} reads files")
            readers.append(PathLineSentences(path, max_sentence_length=max_sentence_length, **text))
            kinds.append("dir")
            continue
        if fmt == "dir":
            raise CLIError(f"--format dir needs a folder, {path!r} is a file")
        kind = fmt if fmt != "auto" else ("text8" if _is_text8(path, encoding, errors) else "line")
        if kind == "text8":
            readers.append(Text8Corpus(path, max_sentence_length=max_sentence_length, **text))
        else:
            readers.append(LineSentence(path, max_sentence_length=max_sentence_length, **text))
        kinds.append(kind)
    description = ", ".join(f"{p} ({k})" for p, k in zip(paths, kinds))
    native_ok = (len(paths) == 1 and kinds[0] == "line" and not is_compressed(paths[0])
                 and max_sentence_length == DEFAULT_MAX_SENTENCE_LENGTH and is_strict_utf8(encoding, errors))
    if reader == "native" and not native_ok:
        raise CLIError("--reader native needs a single uncompressed one-sentence-per-line file read as strict "
                       "UTF-8 (and the default --max-sentence-length)")
    if native_ok and reader != "python":
        return None, paths[0], description + ", native reader"
    return (readers[0] if len(readers) == 1 else _Concatenated(readers)), None, description


class _ScanProgress:
    """The corpus as ``build_vocab`` reads it, reporting how far the scan is (words, share of the bytes)."""

    EVERY = 256  # sentences between two looks at the clock

    def __init__(self, corpus, task):
        self.corpus, self.task = corpus, task

    def _fraction(self):
        readers = self.corpus.readers if isinstance(self.corpus, _Concatenated) else [self.corpus]
        sizes = [r.size_on_disk() or 0 for r in readers]
        total = sum(sizes)
        if not total:
            return None
        # several files of one command line: weighted by their size on disk (readers not started: 0)
        return sum((r.progress() or 0.0) * n for r, n in zip(readers, sizes)) / total

    def __iter__(self):
        words, task, every = 0, self.task, self.EVERY
        for n, sentence in enumerate(self.corpus, 1):
            words += len(sentence)
            if n % every == 0:
                task.update(words, self._fraction())
            yield sentence
        task.update(words, 1.0)


# --------------------------------------------------------------------------- interruption
class _Stop(Exception):
    """Raised from the progress callback to leave ``Word2Vec.train`` between two chunks."""


class _Signals:
    """SIGINT/SIGTERM while training ask for a clean stop; elsewhere they interrupt as usual."""

    def __init__(self, reporter):
        self.reporter = reporter
        self.phase = "setup"      # setup -> training <-> saving
        self.signum = None
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (e.g. called from a test runner's thread)
                pass
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum, frame):
        name = signal.Signals(signum).name
        if self.phase == "saving":
            self.signum = self.signum or signum
            self.reporter.event("signal", f"{name} received while saving: finishing the save first",
                                signal=name)
            return
        if self.phase == "training" and self.signum is None:
            self.signum = signum
            self.reporter.event("signal", f"{name} received: stopping after the current chunk and saving a "
                                          f"checkpoint (press Ctrl-C again to abort without saving)", signal=name)
            return
        raise KeyboardInterrupt

    def check(self):
        if self.signum is not None and self.phase == "training":
            raise _Stop()


# --------------------------------------------------------------------------- the command
def _model_params(args):
    params = {dest: getattr(args, dest) for _, dest, *_ in MODEL_PARAMS + MODEL_FLAGS
              if getattr(args, dest) is not None}
    if "levels" in params and "vector_size" not in params:
        params["vector_size"] = params["levels"][-1]
    return params


def _build_model(args, params):
    from w2vm import Word2Vec

    try:
        return Word2Vec(**params)
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc), code=2) from None


def _resume_model(args, params):
    from w2vm import Word2Vec

    fixed = sorted(set(params) - RESUMABLE)
    if fixed:
        flags = ", ".join("--" + name.replace("_", "-") for name in fixed)
        raise CLIError(f"{flags}: cannot be changed when resuming (the checkpoint's values are used); "
                       f"only --epochs, --workers and --compute-loss can", code=2)
    if not os.path.exists(args.resume + ".vocab.json"):
        raise CLIError(f"--resume {args.resume}: no model there ({args.resume}.vocab.json not found)")
    model = Word2Vec.load(args.resume)
    for name in RESUMABLE & set(params):
        setattr(model, name, params[name])
    if model.epochs_trained >= model.epochs:
        raise CLIError(f"--resume {args.resume}: the model has finished its {model.epochs} epochs; pass a larger "
                       f"--epochs to train more")
    return model


def _scan_vocabulary(model, sentences, corpus_file, description, reporter):
    """``build_vocab`` with progress; a corpus that cannot be read says where and why."""
    from w2vm.corpora import CorpusReadError

    task = reporter.task("vocab", "vocabulary scan", unit="words")
    try:
        if corpus_file is not None:
            # one native pass, seconds even for large files: elapsed time is all there is to show
            with task.tick_while():
                model.build_vocab(corpus_file=corpus_file)
        else:
            model.build_vocab(_ScanProgress(sentences, task))
    except CorpusReadError:
        raise  # names the file, line, byte and cause: main() prints it as one line
    except ValueError as exc:
        if str(exc).startswith("the vocabulary is empty") and not model.corpus_total_words:
            raise CLIError(f"the corpus is empty (0 words in {description})") from None
        raise CLIError(str(exc)) from None
    # the library has logged what it found; this says how long it took
    task.finish(f"vocabulary scan done in {task.elapsed:.1f}s", vocab_size=len(model.wv),
                raw_words=int(model.corpus_total_words), sentences=int(model.corpus_count))


def run(args):
    mode = "quiet" if args.quiet else "json" if args.log_json else "log" if args.no_bar else "auto"
    if args.progress_interval < 0:
        raise CLIError("--progress-interval must be >= 0", code=2)
    reporter = make_reporter(mode, interval=args.progress_interval)
    detach = attach_logging(reporter)
    try:
        return _train(args, reporter)
    finally:
        reporter.close()
        detach()


def _train(args, reporter):
    from w2vm.models.callbacks import CallbackAny2Vec

    output = args.output or args.resume
    if not output:
        raise CLIError("--output BASE is required (where to save the model)", code=2)
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise CLIError(f"--output {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"--output {output}: folder {folder} is not writable")
    sentences, corpus_file, description = open_corpus(args.corpus, args.corpus_format,
                                                      args.max_sentence_length, args.reader,
                                                      args.encoding, args.errors)
    params = _model_params(args)

    with _Signals(reporter) as signals:
        if args.resume:
            model = _resume_model(args, params)
            reporter.event("resume", f"resuming {args.resume}: {model.epochs_trained} of {model.epochs} epochs "
                                     f"done, vocabulary of {len(model.wv)} words",
                           base=args.resume, epochs_done=model.epochs_trained, epochs=model.epochs)
        else:
            model = _build_model(args, params)
            reporter.event("vocab", f"collecting the vocabulary of {description}", corpus=description)
            _scan_vocabulary(model, sentences, corpus_file, description, reporter)
        first_epoch = model.epochs_trained
        epochs = model.epochs - first_epoch
        # resumed runs continue the linear schedule of the whole run where it stood
        done_fraction = first_epoch / model.epochs
        start_alpha = model.alpha - (model.alpha - model.min_alpha) * done_fraction
        words_per_epoch = model.corpus_total_words

        state = {"done": 0, "epoch_start_words": 0, "epoch_start_time": time.perf_counter(), "saved": None}

        def save(reason):
            signals.phase = "saving"
            try:
                model.save(output)
            finally:
                signals.phase = "training"
            state["saved"] = model.epochs_trained
            reporter.event("checkpoint", f"saved {reason} to {output} ({model.epochs_trained} of {model.epochs} "
                                         f"epochs done)", base=output, epochs_done=model.epochs_trained,
                           reason=reason)

        class EpochHook(CallbackAny2Vec):
            def on_epoch_begin(self, m):
                state["epoch_start_words"] = state["done"]
                state["epoch_start_time"] = time.perf_counter()

            def on_epoch_end(self, m):
                seconds = time.perf_counter() - state["epoch_start_time"]
                raw = state["done"] - state["epoch_start_words"]
                loss = list(m.loss_history[-1]) if m.compute_loss and m.loss_history else None
                reporter.epoch_end(m, m.epochs_trained, seconds, raw, loss)
                if args.checkpoint_every_epoch and m.epochs_trained < m.epochs:
                    save("checkpoint")
                signals.check()

        def progress(done, total):
            state["done"] = done
            reporter.update(done, model, total)
            signals.check()

        reporter.begin(model.epochs, first_epoch, words_per_epoch)
        reporter.event("start", f"training {len(model.wv)} words x {model.vector_size} dims, levels {model.levels}, "
                                f"{'skip-gram' if model.sg else 'CBOW'}, epochs {first_epoch + 1}..{model.epochs}, "
                                f"{model.workers} workers, {words_per_epoch} words per epoch",
                       vocab_size=len(model.wv), vector_size=model.vector_size, levels=model.levels,
                       epochs=model.epochs, first_epoch=first_epoch + 1, workers=model.workers,
                       words_per_epoch=words_per_epoch, corpus=description, output=output)
        started = time.perf_counter()
        stopped = False
        signals.phase = "training"
        try:
            model.train(sentences, corpus_file=corpus_file, total_examples=model.corpus_count,
                        total_words=words_per_epoch, epochs=epochs, start_alpha=start_alpha,
                        end_alpha=model.min_alpha, callbacks=[EpochHook()], progress=progress, verbose=False)
        except _Stop:
            stopped = True
        # leaving the except clause frees train()'s frame, which stops its corpus-reading thread
        reporter.close()
        seconds = time.perf_counter() - started
        if stopped:
            save("interrupted run")
            name = signal.Signals(signals.signum).name
            reporter.event("interrupted",
                           f"stopped by {name} after {model.epochs_trained} of {model.epochs} epochs; checkpoint at "
                           f"{output}; continue with: w2vm train {' '.join(args.corpus)} --resume {output}",
                           signal=name, base=output, epochs_done=model.epochs_trained, epochs=model.epochs,
                           seconds=round(seconds, 3))
            return 128 + signals.signum
        save("model")
        reporter.event("done", f"trained {model.epochs} epochs in {seconds:.1f}s; model saved to {output}",
                       base=output, epochs=model.epochs, seconds=round(seconds, 3), vocab_size=len(model.wv),
                       levels=model.levels, loss_history=model.loss_history if model.compute_loss else None)
    return 0
