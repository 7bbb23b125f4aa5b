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

Training progress is shown as gensim shows it: the percentage of the current
epoch (``EPOCH 2 - PROGRESS: at 41.30% words``); the ETA is for the whole run.
Steps that are not training (the vocabulary scan, index builds, ``eval``,
``recall``) report through :meth:`Reporter.task`: a bar with a percentage when
the step knows its size, elapsed time otherwise.
"""
import logging
import shutil
import sys
import threading
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


def format_count(value):
    """``3141592`` -> ``3.14M``: three significant digits, for the bar's narrow fields."""
    value = float(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            return f"{scaled:.3g}{suffix}" if scaled < 999.5 else f"{scaled:.0f}{suffix}"
    return f"{value:.3g}"


def format_loss_compact(loss):
    """Per-level losses in little room: ``312k/298k/276k``."""
    return "/".join(format_count(v) for v in loss)


class _Clock:
    """Progress of a run that may have started in an earlier (resumed) process.

    ``done`` counts the raw words trained by this process; the epoch in
    progress and the share of it that is done follow from it and the words of
    one epoch, as gensim computes its ``EPOCH n - PROGRESS: at x%`` lines.
    """

    def __init__(self, epochs, first_epoch, words_per_epoch):
        self.epochs = epochs            # of the whole run
        self.first_epoch = first_epoch  # epochs already done before this process
        self.words_per_epoch = max(int(words_per_epoch), 1)
        self.start = time.perf_counter()
        self.done = 0                   # raw words done by this process

    def update(self, done, total=None):
        self.done = done
        if total:
            # the library's own count of the call's words: the exact size of an epoch
            self.words_per_epoch = max(int(round(total / max(self.epochs - self.first_epoch, 1))), 1)

    @property
    def elapsed(self):
        return time.perf_counter() - self.start

    @property
    def rate(self):
        return self.done / max(self.elapsed, 1e-9)

    @property
    def _epochs_done_here(self):
        # the last word of an epoch still belongs to it: its end shows 100 %, not the next one's 0 %
        return min(max(self.done - 1, 0) // self.words_per_epoch, max(self.epochs - self.first_epoch - 1, 0))

    @property
    def epoch(self):
        """1-based epoch being trained."""
        return min(self.first_epoch + self._epochs_done_here + 1, self.epochs)

    @property
    def epoch_fraction(self):
        """Share of the current epoch done (gensim's ``PROGRESS: at x%``)."""
        return min(max(self.done / self.words_per_epoch - self._epochs_done_here, 0.0), 1.0)

    @property
    def fraction(self):
        """Share of the whole run done."""
        total = self.epochs * self.words_per_epoch
        return min((self.first_epoch * self.words_per_epoch + self.done) / total, 1.0)

    @property
    def eta(self):
        left = (self.epochs - self.first_epoch) * self.words_per_epoch - self.done
        rate = self.rate
        return left / rate if rate > 0 and self.done else None


class Task:
    """Progress of one step that is not training (vocabulary scan, index build, evaluation ...).

    Made by :meth:`Reporter.task`. ``update(done, fraction)`` with ``done`` in
    ``unit`` (e.g. words) and ``fraction`` in [0, 1] or ``None`` when the
    size is unknown; ``finish(message)`` closes it with a permanent line.
    """

    def __init__(self, reporter, name, label, unit=None):
        self.reporter, self.name, self.label, self.unit = reporter, name, label, unit
        self.start = time.perf_counter()
        self.done, self.fraction, self.note = 0, None, ""
        self._ticker = None

    @property
    def elapsed(self):
        return time.perf_counter() - self.start

    @property
    def eta(self):
        f = self.fraction
        if not f or f <= 0 or f >= 1:
            return None if not f or f < 1 else 0.0
        return self.elapsed * (1 - f) / f

    def update(self, done=None, fraction=None, note=None, force=False):
        if done is not None:
            self.done = done
        if fraction is not None:
            self.fraction = min(max(float(fraction), 0.0), 1.0)
        if note is not None:
            self.note = note
        self.reporter._task_update(self, force)

    def snapshot(self):
        out = {"task": self.name, "label": self.label, "progress": None if self.fraction is None
               else round(self.fraction, 6), "elapsed_s": round(self.elapsed, 3),
               "eta_s": None if self.eta is None else round(self.eta, 1)}
        if self.unit:
            out[self.unit] = self.done
            out[f"{self.unit}_per_s"] = round(self.done / max(self.elapsed, 1e-9), 1)
        if self.note:
            out["note"] = self.note
        return out

    def tick_while(self, interval=0.25):
        """Redraw every ``interval`` s from a thread while a long call that has no progress runs.

        Use as ``with task.tick_while(): index.build(...)``; only the elapsed
        time moves (the call tells nothing more), so that the user sees it is alive.
        """
        return _Ticker(self, interval)

    def finish(self, message=None, **fields):
        self.reporter._task_finish(self, message, fields)


class _Ticker:
    def __init__(self, task, interval):
        self.task, self.interval = task, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            self.task.update()

    def __enter__(self):
        self._thread.start()
        return self.task

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


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
        self._lock = threading.RLock()  # a task's ticker thread writes too

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
        return {"epoch": c.epoch, "epochs": c.epochs, "epoch_progress": round(c.epoch_fraction, 6),
                "progress": round(c.fraction, 6),
                "words": int(c.first_epoch * c.words_per_epoch + c.done),
                "words_per_s": round(c.rate, 1), "eta_s": None if c.eta is None else round(c.eta, 1),
                "alpha": float(model.min_alpha_yet_reached),
                "loss": list(loss) if loss is not None else None}

    # hooks ------------------------------------------------------------------
    def event(self, name, message=None, **fields):
        """A one-off event (start, epoch_end, checkpoint, done, interrupted, ...)."""

    def update(self, done, model, total=None):
        """Training progress: ``done`` raw words of ``total`` (all epochs of this process)."""
        if self.clock is not None:
            self.clock.update(done, total)

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        pass

    def log_record(self, record):
        """A record from the ``w2vm`` logger."""

    def task(self, name, label, unit=None):
        """Start reporting a step that is not training; returns its :class:`Task`."""
        self._last = 0.0
        task = Task(self, name, label, unit)
        self._task_update(task, force=True)
        return task

    def _task_update(self, task, force):
        pass

    def _task_finish(self, task, message, fields):
        if message:
            self.event(f"{task.name}_done", message, task=task.name, seconds=round(task.elapsed, 3), **fields)

    def close(self):
        pass


def _task_text(task, counts=True):
    """``vocabulary scan: 42.0%, 3.21M words, 1.2M words/s, ETA 0:05`` (the parts that are known)."""
    parts = []
    if task.fraction is not None:
        parts.append(f"{100 * task.fraction:.1f}%")
    if counts and task.unit:
        parts.append(f"{format_count(task.done)} {task.unit}")
        parts.append(f"{format_count(task.done / max(task.elapsed, 1e-9))} {task.unit}/s")
    if task.note:
        parts.append(task.note)
    parts.append(f"ETA {format_duration(task.eta)}" if task.fraction is not None and task.fraction < 1
                 else f"{format_duration(task.elapsed)} elapsed")
    return ", ".join(parts)


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
        with self._lock:
            print(f"{stamp},{int(now * 1000) % 1000:03d} : {level} : {message}", file=self.stream, flush=True)

    def event(self, name, message=None, **fields):
        if message:
            self._write("INFO", message)

    def update(self, done, model, total=None):
        super().update(done, model, total)
        if not self._due():
            return
        s = self.snapshot(model)
        loss = f", loss per level {format_loss(s['loss'])}" if s["loss"] is not None else ""
        self._write("INFO", f"EPOCH {s['epoch']} - PROGRESS: at {100 * s['epoch_progress']:.2f}% words, "
                            f"{s['words_per_s']:.0f} words/s, alpha {s['alpha']:.6f}, "
                            f"ETA {format_duration(s['eta_s'])}{loss}")

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        extra = f", loss per level {format_loss(loss)}" if loss is not None else ""
        self._write("INFO", f"EPOCH {epoch}: training on {raw_words} raw words took {seconds:.1f}s, "
                            f"{raw_words / max(seconds, 1e-9):.0f} raw words/s{extra}")

    def log_record(self, record):
        self._write(record.levelname, record.getMessage())

    def _task_update(self, task, force):
        if self._due(force):
            self._write("INFO", f"{task.label}: {_task_text(task)}")


class BarReporter(LogReporter):
    """A progress bar on one line of a terminal, rewritten in place at most 10 times a second.

    The line never wraps: it is cut to the terminal's width, dropping the
    least useful fields first (alpha, then the rate, then the bar itself), so
    that the percentage, the epoch, the ETA and every level's loss stay visible
    at 80 columns.
    """

    def __init__(self, stream=None, interval=0.1):
        super().__init__(stream, interval=interval)
        self._shown = False

    def _clear(self):
        if self._shown:
            self.stream.write("\r\033[K")
            self._shown = False

    def _write(self, level, message):
        # a permanent line: wipe the bar first, it comes back on the next update
        with self._lock:
            self._clear()
            prefix = "" if level == "INFO" else f"{level.lower()}: "
            print(prefix + message, file=self.stream, flush=True)

    @staticmethod
    def width():
        return shutil.get_terminal_size((100, 20)).columns

    @staticmethod
    def layout(fraction, required, optional, width):
        """``[####....] required... optional...`` in at most ``width - 1`` columns.

        The required fields always come (cut at the edge on a very narrow
        terminal); then a bar of at least 10 columns if the step knows its
        fraction; then the ``optional`` fields, in order, while they fit; the
        bar widens to 20 columns if that still fits.
        """
        room = max(width - 1, 20)
        fields = list(required)
        with_bar = fraction is not None and room - len("  ".join(fields)) - 3 >= 10
        reserved = 13 if with_bar else 0   # "[" + 10 + "] "
        for extra in optional:
            if len("  ".join(fields + [extra])) + reserved <= room:
                fields.append(extra)
        text = "  ".join(fields)
        if with_bar:
            # 20 columns when they are free, else 10: a fixed width, so the bar does not jump as fields change
            bar_width = 20 if room - len(text) - 3 >= 20 else 10
            filled = int(round(bar_width * fraction))
            text = "[" + "#" * filled + "." * (bar_width - filled) + "] " + text
        return text[:room]

    def render(self, model):
        s = self.snapshot(model)
        required = [f"{100 * s['epoch_progress']:5.1f}%", f"epoch {s['epoch']}/{s['epochs']}",
                    f"ETA {format_duration(s['eta_s'])}"]
        if s["loss"] is not None:
            required.append(f"loss {format_loss_compact(s['loss'])}")
        optional = [f"{format_rate(s['words_per_s'])} words/s", f"alpha {s['alpha']:.5f}"]
        return self.layout(s["epoch_progress"], required, optional, self.width())

    def _draw(self, line):
        with self._lock:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
            self._shown = True

    def update(self, done, model, total=None):
        Reporter.update(self, done, model, total)
        if self._due():
            self._draw(self.render(model))

    def render_task(self, task):
        spin = "|/-\\"[int(task.elapsed * 4) % 4] if task.fraction is None else None
        required = [f"{task.label}"] + ([f"{100 * task.fraction:5.1f}%"] if task.fraction is not None else [spin])
        optional = [p for p in _task_text(task).split(", ") if not p.endswith("%")]
        return self.layout(task.fraction, required, optional, self.width())

    def _task_update(self, task, force):
        if self._due(force):
            self._draw(self.render_task(task))

    def _task_finish(self, task, message, fields):
        with self._lock:
            self._clear()
        super()._task_finish(task, message, fields)

    def close(self):
        with self._lock:
            self._clear()
            self.stream.flush()


class JsonReporter(Reporter):
    """One JSON object per line: ``{"event": "progress", "epoch": 1, "progress": 0.5, ...}``.

    ``progress`` is the share of the whole run (it only grows), ``epoch_progress``
    the share of the current epoch; tasks other than training carry ``task``.
    """

    def _emit(self, obj):
        obj = {"time": round(time.time(), 3), **obj}
        with self._lock:
            print(dumps(obj), file=self.stream, flush=True)

    def event(self, name, message=None, **fields):
        obj = {"event": name, **fields}
        if message:
            obj["message"] = message
        self._emit(obj)

    def update(self, done, model, total=None):
        super().update(done, model, total)
        if self._due():
            self._emit({"event": "progress", **self.snapshot(model)})

    def epoch_end(self, model, epoch, seconds, raw_words, loss):
        self._emit({"event": "epoch_end", "epoch": epoch, "epochs": self.clock.epochs, "seconds": round(seconds, 3),
                    "raw_words": int(raw_words), "words_per_s": round(raw_words / max(seconds, 1e-9), 1),
                    "alpha": float(model.min_alpha_yet_reached), "loss": loss})

    def log_record(self, record):
        self._emit({"event": "log", "level": record.levelname, "logger": record.name,
                    "message": record.getMessage()})

    def _task_update(self, task, force):
        if self._due(force):
            self._emit({"event": "task_progress", **task.snapshot()})


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
