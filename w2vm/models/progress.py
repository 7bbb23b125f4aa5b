"""Training progress: gensim-style log lines, a ``progress(done, total)`` callback, callbacks."""
import logging
import time

logger = logging.getLogger("w2vm")


def ensure_visible_logging():
    """With ``verbose=True`` and no logging configured anywhere, print INFO lines to stderr.

    A user who configured logging keeps full control; one who did not still
    sees the progress they asked for.
    """
    root = logging.getLogger()
    if logger.handlers or root.handlers:
        if logger.level == logging.NOTSET and root.level > logging.INFO:
            logger.setLevel(logging.INFO)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s : %(levelname)s : %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


# how often a progress(done, total) callback hears from a running epoch (seconds)
CALLBACK_TICK = 0.1


def progress_tick(interval, *, callback, logging_on):
    """Seconds between progress looks while an epoch trains, or ``None`` when nobody listens.

    A callback hears every :data:`CALLBACK_TICK`; log lines need a look every
    ``interval`` (but at most every 50 ms, so ``interval=0`` does not spin).
    """
    ticks = []
    if callback:
        ticks.append(CALLBACK_TICK)
    if logging_on:
        ticks.append(max(interval, 0.05))
    return min(ticks) if ticks else None


class ProgressReporter:
    """Rate-limited reporting for one ``train`` call.

    ``update`` is called when a unit of work (a chunk) has been trained and
    its counts are final; ``tick`` while training runs, with the raw words the
    training threads have finished so far in the epoch. Both call
    ``callback(done, total)`` with raw words over all epochs of the call
    (never decreasing) and log a PROGRESS line at most once every
    ``interval`` seconds (when ``verbose``); ``end_epoch`` always logs one, so
    that an epoch shorter than ``interval`` is reported too.
    """

    def __init__(self, *, verbose, interval, callback, epochs, total_examples, total_words):
        self.verbose = verbose
        self.interval = interval
        self.callback = callback
        self.epochs = epochs
        self.total_examples = total_examples
        self.total_words = total_words
        self.words_before_epoch = 0
        self.epoch = 0
        self._raw = 0          # raw words of the epoch reported so far
        self._effective = 0
        self._alpha = None
        self._loss = None
        self._logged_at = -1   # the raw count of the epoch's last PROGRESS line
        self._epoch_start = self._last_log = time.perf_counter()

    def begin_epoch(self, epoch):
        self.epoch = epoch
        self._raw = self._effective = 0
        self._logged_at = -1
        self._epoch_start = self._last_log = time.perf_counter()

    def _report(self, raw_words, force=False):
        if raw_words > self._raw:
            self._raw = raw_words
            if self.callback is not None:
                self.callback(self.words_before_epoch + raw_words, self.epochs * self.total_words)
        now = time.perf_counter()
        if self.verbose and (force or now - self._last_log >= self.interval) and self._logged_at != self._raw:
            self._last_log = now
            self._logged_at = self._raw
            fraction = self._raw / max(self.total_words, 1)
            # effective words are known for finished chunks: the rate of those
            rate = self._effective / max(now - self._epoch_start, 1e-9)
            extra = ""
            if self._loss is not None:
                extra = ", loss per level " + " / ".join(f"{v:.4g}" for v in self._loss)
            alpha = f", alpha {self._alpha:.6f}" if self._alpha is not None else ""
            logger.info("EPOCH %d - PROGRESS: at %.2f%% words, %.0f words/s%s%s",
                        self.epoch + 1, 100.0 * fraction, rate, alpha, extra)

    def tick(self, raw_words):
        """Training threads have finished ``raw_words`` raw words of this epoch so far."""
        self._report(raw_words)

    def update(self, examples, raw_words, effective_words, alpha, loss=None):
        """A chunk is done: the epoch's exact totals so far."""
        self._effective = effective_words
        self._alpha = alpha
        self._loss = None if loss is None else list(loss)
        self._report(raw_words)

    def end_epoch(self, examples, raw_words, effective_words, loss=None):
        elapsed = time.perf_counter() - self._epoch_start
        self._effective = effective_words
        self._report(raw_words, force=True)
        self.words_before_epoch += raw_words
        if self.verbose:
            extra = ""
            if loss is not None:
                extra = ", loss per level " + " / ".join(f"{v:.6g}" for v in loss)
            logger.info("EPOCH %d: training on %d raw words (%d effective words) took %.1fs, "
                        "%.0f effective words/s%s", self.epoch + 1, raw_words, effective_words,
                        elapsed, effective_words / max(elapsed, 1e-9), extra)
        if self.total_examples and examples != self.total_examples:
            logger.warning("EPOCH %d: supplied example count (%d) did not equal expected count (%d)",
                           self.epoch + 1, examples, self.total_examples)
        return elapsed
