"""Progress that reads well where it lands, for every long loop of the pipeline.

On a terminal (or in a notebook): fastprogress's bars, the ones fastai trains with. Anywhere else (a log file,
`dvc repro > log`, CI): plain lines, since there a bar's in-place redraws pile up into one endless line. Training
prints one line per epoch; other loops a line every LOG_EVERY seconds, and a last one if they printed any.
"""

import contextlib
import sys
import time
from collections.abc import Collection, Iterator
from typing import TypeVar

from fastai.callback.progress import ProgressCallback
from fastai.learner import Learner
from fastcore.imports import IN_NOTEBOOK
from fastprogress.fastprogress import format_time, progress_bar

LOG_EVERY = 30  # seconds between two progress lines in a log: work that takes less prints nothing

T = TypeVar("T")


def interactive() -> bool:
    """Whether output is watched live (a terminal or a notebook), where a progress bar redraws in place."""
    return sys.stdout.isatty() or IN_NOTEBOOK


def log_epochs(learn: Learner) -> None:
    """Keep fastai's bars and table where interactive(); elsewhere one plain line per epoch instead, e.g.
    `epoch 3/8: train_loss 0.4121, valid_loss 0.3867, accuracy 0.9167, time 00:20`."""
    if interactive():
        return
    learn.remove_cb(ProgressCallback)

    def log(values: list) -> None:
        if len(values) > 2:  # [epoch, time] alone: an epoch skipped when resuming (kit/resume.py), nothing to say
            print(epoch_line(learn, values), flush=True)

    learn.logger = log


def bar_if_interactive(learn: Learner) -> contextlib.AbstractContextManager:
    """For a pass of fastai's outside fit (get_preds): its bar where interactive(), nothing in a log."""
    return contextlib.nullcontext() if interactive() else learn.no_bar()


def epoch_line(learn: Learner, values: list) -> str:
    """fastai's Recorder row ([epoch, train_loss, valid_loss, *metrics, time]) as one readable line."""
    epoch, *rest = values
    stats = (
        f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}"
        for name, value in zip(learn.recorder.metric_names[1:], rest, strict=False)
    )
    return f"epoch {epoch + 1}/{learn.n_epoch}: " + ", ".join(stats)


class Progress:
    """`total` steps of `what`: a bar where interactive(), else a line every LOG_EVERY seconds.

    Tell it how far the work is with update(done), or call it with (done, total): the shape of the step callback
    of model sampling. progress() below wraps a plain loop.
    """

    def __init__(self, total: int, what: str):
        self.total, self.what = total, what
        self.start = self.last_line = time.monotonic()
        self.lines = 0
        self.bar = None
        if interactive() and total > 0:
            self.bar = progress_bar(range(total), leave=False)  # erased when done: the caller reports the result
            self.bar.comment = what  # after the counts: a prefix would outlive the erased bar
            self.bar.update(0)

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done)
            return
        now = time.monotonic()
        elapsed = now - self.start
        if done >= self.total:
            if self.lines:  # the end of what the log has been following
                print(f"{self.what}: {done}/{self.total} in {format_time(elapsed)}", flush=True)
        elif now - self.last_line >= LOG_EVERY and done > 0:
            left = elapsed / done * (self.total - done)
            print(
                f"{self.what}: {done}/{self.total} ({done / self.total:.0%}), {format_time(elapsed)} so far, "
                f"about {format_time(left)} to go",
                flush=True,
            )
            self.last_line, self.lines = now, self.lines + 1

    def __call__(self, done: int, total: int | None = None) -> None:
        self.update(done)


def progress(items: Collection[T], what: str) -> Iterator[T]:
    """Iterate over items with a Progress: `for f in progress(files, "resizing images"): ...`."""
    bar = Progress(len(items), what)
    for done, item in enumerate(items, start=1):
        yield item
        bar.update(done)
