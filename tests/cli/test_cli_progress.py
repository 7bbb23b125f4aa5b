"""Progress a user can trust: gensim's per-epoch percentages, a bar that fits 80 columns, steps with no size."""
import io
import re

import pytest

from w2vm.cli.progress import BarReporter, JsonReporter, LogReporter, _Clock


class _Model:
    """What the reporters read from a model."""

    def __init__(self, loss=None):
        self.current_epoch_loss = loss
        self.min_alpha_yet_reached = 0.0123456
        self.epochs_trained = 0


def test_clock_counts_the_epoch_as_gensim_does():
    clock = _Clock(epochs=5, first_epoch=0, words_per_epoch=1000)
    expected = {1: (1, 0.001), 500: (1, 0.5), 1000: (1, 1.0), 1001: (2, 0.001), 4999: (5, 0.999), 5000: (5, 1.0)}
    for done, (epoch, fraction) in expected.items():
        clock.update(done, 5000)
        assert (clock.epoch, round(clock.epoch_fraction, 3)) == (epoch, fraction), done
    assert clock.fraction == 1.0
    # a resumed run: epochs 3..5 in this process; the callback's total sizes an epoch exactly
    resumed = _Clock(epochs=5, first_epoch=2, words_per_epoch=999)
    resumed.update(1500, 3000)
    assert (resumed.epoch, resumed.epoch_fraction, resumed.fraction) == (4, 0.5, 0.7)


@pytest.mark.parametrize("columns", [80, 100, 60])
def test_bar_fits_the_terminal_with_every_levels_loss(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    reporter = BarReporter(io.StringIO())
    reporter.begin(epochs=5, first_epoch=0, words_per_epoch=16_000_000)
    reporter.update(21_000_000, _Model(loss=[3_141_592.0, 2_718_281.0, 1_414_213.0, 1_732_050.0]), 80_000_000)
    line = reporter.render(_Model(loss=[3_141_592.0, 2_718_281.0, 1_414_213.0, 1_732_050.0]))
    assert len(line) <= columns - 1, line
    assert re.search(r" 31\.2%  epoch 2/5  ETA \S+  loss 3\.14M/2\.72M/1\.41M/1\.73M", line), line
    if columns >= 80:
        bar = line[1:line.index("]")]
        assert len(bar) in (10, 20) and bar.count("#") == round(0.3125 * len(bar)), line
    if columns >= 100:
        assert "words/s" in line  # the rate comes back when there is room


def test_log_lines_show_the_epochs_percentage():
    out = io.StringIO()
    reporter = LogReporter(out, interval=0)
    reporter.begin(epochs=5, first_epoch=0, words_per_epoch=1000)
    reporter.update(1999, _Model(), 5000)
    assert "EPOCH 2 - PROGRESS: at 99.90% words" in out.getvalue()


def test_tasks_with_and_without_a_size():
    out = io.StringIO()
    reporter = LogReporter(out, interval=0)
    task = reporter.task("vocab", "vocabulary scan", unit="words")
    task.update(2_500_000, 0.25)
    task.finish("vocabulary scan done in 1.0s")
    lines = out.getvalue().splitlines()
    assert re.search(r"vocabulary scan: 25\.0%, 2\.5M words, \S+ words/s, ETA \S+$", lines[1]), lines
    assert lines[-1].endswith("vocabulary scan done in 1.0s")

    out = io.StringIO()
    reporter = BarReporter(out)
    task = reporter.task("index", "building a hnsw index of 5 vectors")
    with task.tick_while(interval=0.01):
        pass  # a native call that tells nothing: the bar shows elapsed time only
    drawn = out.getvalue().split("\r\x1b[K")[-1]
    assert drawn.startswith("building a hnsw index of 5 vectors") and "elapsed" in drawn and "%" not in drawn

    out = io.StringIO()
    reporter = JsonReporter(out, interval=0)
    reporter.task("eval", "evaluating").update(fraction=0.5, note="level 25 of analogies")
    assert '"event": "task_progress", "task": "eval"' in out.getvalue() and '"progress": 0.5' in out.getvalue()
