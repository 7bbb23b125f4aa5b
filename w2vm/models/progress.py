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


class ProgressReporter:
    """Rate-limited reporting for one ``train`` call.

    ``update`` is called after every chunk; it logs at most once every
    ``interval`` seconds (when ``verbose``) and calls ``callback(done, total)``
    with raw words over all epochs of the call.
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
        self._epoch_start = self._last_log = time.perf_counter()

    def begin_epoch(self, epoch):
        self.epoch = epoch
        self._epoch_start = self._last_log = time.perf_counter()

    def _fraction(self, examples, raw_words):
        if self.total_examples:
            return examples / self.total_examples, "examples"
        return raw_words / max(self.total_words, 1), "words"

    def update(self, examples, raw_words, effective_words, alpha, loss=None):
        now = time.perf_counter()
        if self.callback is not None:
            self.callback(self.words_before_epoch + raw_words, self.epochs * self.total_words)
        if self.verbose and now - self._last_log >= self.interval:
            self._last_log = now
            fraction, unit = self._fraction(examples, raw_words)
            rate = effective_words / max(now - self._epoch_start, 1e-9)
            extra = ""
            if loss is not None:
                extra = ", loss per level " + " / ".join(f"{v:.4g}" for v in loss)
            logger.info("EPOCH %d - PROGRESS: at %.2f%% %s, %.0f words/s, alpha %.6f%s",
                        self.epoch + 1, 100.0 * fraction, unit, rate, alpha, extra)

    def end_epoch(self, examples, raw_words, effective_words, loss=None):
        elapsed = time.perf_counter() - self._epoch_start
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
