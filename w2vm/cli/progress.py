"""Training progress for the command line: a bar on a terminal, log lines or JSON lines otherwise.

Three reporters share one interface (``event``, ``update``, ``epoch_end``,
``close``) so ``w2vm train`` does not care where its output goes:

- :class:`BarReporter`: one self-rewriting line on stderr (words/s, ETA,
  alpha, loss per level), for humans at a terminal. No tqdm needed.
- :class:`LogReporter`: gensim-style ``asctime : INFO : EPOCH 1 - PROGRESS: ...``
  lines every ``interval`` seconds, for schedulers that capture stderr.
- :class:`JsonReporter`: one JSON object per line (``event``, ``epoch``,
  ``progress``, ``words_per_s``, ``alpha``, ``loss`` ...), for machines.

Messages from the library's ``w2vm`` logger go through the same reporter, so a
log line never lands in the middle of the bar.
"""
import logging
import shutil
import sys
import time

from w2vm.cli.common import dumps

logger = logging.getLogger("w2vm.cli")


def format_duration(seconds):
    """``75`` -> ``1:15``, ``3725`` -> ``1:02:05``; unknown -> ``?``."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 1e8:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_rate(rate):
    """Words per second with a k/M suffix (the bar has little room)."""
    if rate >= 1e6:
        return f"{rate / 1e6:.2f}M"
    if rate >= 1e3:
        return f"{rate / 1e3:.0f}k"
    return f"{rate:.0f}"


def format_loss(loss):
    return "/".join(f"{v:.4g}" for v in loss)


class _Clock:
    """Overall progress of a run that may have started in an earlier (resumed) process."""

    def __init__(self, epochs, first_epoch, words_per_epoch):
        self.epochs = epochs            # of the whole run
        self.first_epoch = first_epoch  # epochs already done before this process
        self.words_per_epoch = max(int(words_per_epoch), 1)
        self.start = time.perf_counter()
        self.done = 0                   # raw words done by this process

    def update(self, done):
        self.done = done

    @property
    def elapsed(self):
        return time.perf_counter() - self.start

    @property
    def rate(self):
        return self.done / max(self.elapsed, 1e-9)

    @property
    def epoch(self):
        """1-based epoch being trained."""
        return min(self.first_epoch + self.done // self.words_per_epoch + 1, self.epochs)

    @property
    def fraction(self):
        total = self.epochs * self.words_per_epoch
        return min((self.first_epoch * self.words_per_epoch + self.done) / total, 1.0)

    @property
    def eta(self):
        left = (self.epochs - self.first_epoch) * self.words_per_epoch - self.done
        rate = self.rate
        return left / rate if rate > 0 and self.done else None


class Reporter:
    """Base reporter: keeps the clock; subclasses decide what to write.

    Parameters
    ----------
    stream : file
        Where to write (stderr).
    interval : float
        Minimum seconds between two progress outputs.
    """

    def __init__(self, stream=None, interval=1.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self.clock = None
        self._last = 0.0

    def begin(self, epochs, first_epoch, words_per_epoch):
        self.clock = _Clock(epochs, first_epoch, words_per_epoch)
        self._last = 0.0

    def _due(self, force=False):
        now = time.perf_counter()
        if force or now - self._last >= self.interval:
            self._last = now
            return True
        return False

    def snapshot(self, model):
        """The numbers every reporter shows, as a dict."""
        c = self.clock
        loss = getattr(model, "current_epoch_loss", None)
        # epochs_trained counts finished epochs, resumed runs included: exact, unlike words / epoch size
        epoch = min(int(getattr(model, "epochs_trained", c.epoch - 1)) + 1, c.epochs)
        return {"epoch": epoch, "epochs": c.epochs, "progress": round(c.fraction, 6),
                "words": int(c.first_epoch * c.words_per_epoch + c.done),
                "words_per_s": round(c.rate, 1), "eta_s": None if c.eta is None else round(c.eta, 1),
                "alpha": float(model.min_alpha_yet_reached),
                "loss": list(loss) if loss is not None else None}

    # hooks ------------------------------------------------------------------
    def event(self, name, message=None, **fields):
        """A one-off event (start, epoch_end, checkpoint, done, interrupted, ...)."""

    def update(self, done, model):
        if self.clock is not None:
            self.clock.update(done)

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        pass

    def log_record(self, record):
        """A record from the ``w2vm`` logger."""

    def close(self):
        pass


class QuietReporter(Reporter):
    """``--quiet``: nothing but warnings and errors."""

    def log_record(self, record):
        if record.levelno >= logging.WARNING:
            print(f"{record.levelname.lower()}: {record.getMessage()}", file=self.stream, flush=True)


class LogReporter(Reporter):
    """gensim-style log lines, for a stderr that is not a terminal."""

    def _write(self, level, message):
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        print(f"{stamp},{int(now * 1000) % 1000:03d} : {level} : {message}", file=self.stream, flush=True)

    def event(self, name, message=None, **fields):
        if message:
            self._write("INFO", message)

    def update(self, done, model):
        super().update(done, model)
        if not self._due():
            return
        s = self.snapshot(model)
        loss = f", loss per level {format_loss(s['loss'])}" if s["loss"] is not None else ""
        self._write("INFO", f"EPOCH {s['epoch']} - PROGRESS: at {100 * s['progress']:.2f}% words, "
                            f"{s['words_per_s']:.0f} words/s, alpha {s['alpha']:.6f}, "
                            f"ETA {format_duration(s['eta_s'])}{loss}")

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        extra = f", loss per level {format_loss(loss)}" if loss is not None else ""
        self._write("INFO", f"EPOCH {epoch}: training on {raw_words} raw words took {seconds:.1f}s, "
                            f"{raw_words / max(seconds, 1e-9):.0f} raw words/s{extra}")

    def log_record(self, record):
        self._write(record.levelname, record.getMessage())


class BarReporter(LogReporter):
    """A progress bar on one line of a terminal, rewritten in place at most 10 times a second."""

    def __init__(self, stream=None, interval=0.1):
        super().__init__(stream, interval=interval)
        self._shown = False

    def _clear(self):
        if self._shown:
            self.stream.write("\r\033[K")
            self._shown = False

    def _write(self, level, message):
        # a permanent line: wipe the bar first, it comes back on the next update
        self._clear()
        prefix = "" if level == "INFO" else f"{level.lower()}: "
        print(prefix + message, file=self.stream, flush=True)

    def render(self, model):
        s = self.snapshot(model)
        width = shutil.get_terminal_size((100, 20)).columns
        text = (f" {100 * s['progress']:5.1f}%  epoch {s['epoch']}/{s['epochs']}  "
                f"{format_rate(s['words_per_s'])} words/s  ETA {format_duration(s['eta_s'])}  "
                f"alpha {s['alpha']:.5f}")
        if s["loss"] is not None:
            text += f"  loss {format_loss(s['loss'])}"
        bar_width = max(10, min(30, width - len(text) - 3))
        filled = int(round(bar_width * s["progress"]))
        line = "[" + "#" * filled + "." * (bar_width - filled) + "]" + text
        return line[: max(width - 1, 20)]

    def update(self, done, model):
        Reporter.update(self, done, model)
        if not self._due():
            return
        self.stream.write("\r\033[K" + self.render(model))
        self.stream.flush()
        self._shown = True

    def close(self):
        self._clear()
        self.stream.flush()


class JsonReporter(Reporter):
    """One JSON object per line: ``{"event": "progress", "epoch": 1, "progress": 0.5, ...}``."""

    def _emit(self, obj):
        obj = {"time": round(time.time(), 3), **obj}
        print(dumps(obj), file=self.stream, flush=True)

    def event(self, name, message=None, **fields):
        obj = {"event": name, **fields}
        if message:
            obj["message"] = message
        self._emit(obj)

    def update(self, done, model):
        super().update(done, model)
        if self._due():
            self._emit({"event": "progress", **self.snapshot(model)})

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        self._emit({"event": "epoch_end", "epoch": epoch, "epochs": self.clock.epochs, "seconds": round(seconds, 3),
                    "raw_words": int(raw_words), "words_per_s": round(raw_words / max(seconds, 1e-9), 1),
                    "alpha": float(model.min_alpha_yet_reached), "loss": loss})

    def log_record(self, record):
        self._emit({"event": "log", "level": record.levelname, "logger": record.name,
                    "message": record.getMessage()})


def make_reporter(mode, stream=None, interval=1.0):
    """``mode``: ``'auto'`` (bar on a terminal, else log lines), ``'bar'``, ``'log'``, ``'json'``, ``'quiet'``."""
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "bar" if hasattr(stream, "isatty") and stream.isatty() else "log"
    if mode == "bar":
        return BarReporter(stream)
    if mode == "json":
        return JsonReporter(stream, interval=interval)
    if mode == "quiet":
        return QuietReporter(stream, interval=interval)
    return LogReporter(stream, interval=interval)


class ReporterHandler(logging.Handler):
    """Route the library's log records through the active reporter."""

    def __init__(self, reporter):
        super().__init__(logging.INFO)
        self.reporter = reporter

    def emit(self, record):
        try:
            self.reporter.log_record(record)
        except Exception:  # a broken log stream must not stop training
            self.handleError(record)


def attach_logging(reporter):
    """Send ``w2vm`` log records (INFO and up) to ``reporter``; return a function that undoes it."""
    lib = logging.getLogger("w2vm")
    handler = ReporterHandler(reporter)
    old_level, old_propagate = lib.level, lib.propagate
    lib.addHandler(handler)
    lib.setLevel(logging.INFO)
    lib.propagate = False  # no duplicate lines through a root handler

    def detach():
        lib.removeHandler(handler)
        lib.setLevel(old_level)
        lib.propagate = old_propagate

    return detach
