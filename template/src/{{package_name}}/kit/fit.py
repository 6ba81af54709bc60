"""What train.py's fit call runs inside: resume, several processes, GPU speed and logging, as one context.

    with Fit(learn, params, paths) as fit:
        learn.fine_tune(cfg.epochs, cfg.lr, cbs=fit.cbs)   # or fit_one_cycle: any fastai fit, as many as you like
        fit.save(learn.model)                             # the weights, to paths.checkpoint
    fit.metrics()                                         # the last epoch's, e.g. {"valid_loss": 0.2, "accuracy": 0.9}

On the way in: mixed precision and channels_last on a CUDA GPU (speed.py, as params.yaml's train section says), one
plain line per epoch where no terminal watches (progress.py), the state an interrupted run saved (resume.py), the
DVCLive curves (rank 0 alone writes), and fastai's distributed mode when the stage runs in several processes
(distributed.py, NPROC=N). `fit.cbs` are the callbacks to pass to every fit call: DVCLive's, and resume.Resume,
which skips the epochs trained before an interruption and saves the state after each new one. `fit.save` writes
the weights in safetensors (rank 0) and deletes the state: the next run starts afresh.
"""

import contextlib
import dataclasses

from dvclive import Live
from dvclive.fastai import DVCLiveCallback
from fastai.learner import Learner
from torch import nn

from ..paths import Paths
from . import distributed, resume, speed
from .progress import log_epochs
from .sources import DataError
from .weights import save_weights


class Fit(contextlib.ExitStack):
    """`extra`: objects with state_dict()/load_state_dict() that an interrupted run must get back (an EMA)."""

    def __init__(self, learn: Learner, params, paths: Paths, extra: dict | None = None):
        super().__init__()
        self.learn, self.params, self.paths, self.extra = learn, params, paths, extra or {}
        self.main = distributed.is_main()
        self.cbs: list = []
        self.done = 0  # epochs trained before an interruption

    def __enter__(self) -> "Fit":
        super().__enter__()
        learn, cfg, paths = self.learn, self.params.train, self.paths
        if len(learn.dls.train) == 0:  # fastai drops the last incomplete training batch: none would be left
            n = len(learn.dls.train_ds)
            raise DataError(
                f"only {n} training examples but train.batch_size is {cfg.batch_size}: fastai drops the last "
                f"incomplete batch, so training would take no steps. Set train.batch_size to {n} or less "
                "(in params.yaml, or `dvc exp run -S train.batch_size=...`), or add data."
            )
        speed.on_gpu(learn, cfg.mixed_precision, getattr(cfg, "channels_last", False))  # nothing on a CPU
        log_epochs(learn)  # bars on a terminal, one plain line per epoch in a log
        begin = resume.start(paths.state, self.params, planned_epochs(cfg), tuple(self.extra))
        self.done = begin.done
        self.resume = resume.Resume(paths.state, self.params, begin, self.extra)
        self.cbs = [self.resume]
        if self.main:
            live = self.enter_context(Live(str(paths.live), dvcyaml=False, save_dvc_exp=False, resume=begin.done > 0))
            if begin.done:
                resume.rewind(live, begin.done)  # the curves go on from the saved epoch
            self.live = live
            # Per fit call, not on the learner: DVCLive's callback holds locks that cannot be pickled.
            self.cbs.insert(0, DVCLiveCallback(live=live))
        self.enter_context(distributed.context(learn))
        return self

    def save(self, model: nn.Module, **run: int | str) -> None:
        """Rank 0 saves `model`'s weights to paths.checkpoint (with `run` facts in its metadata) and deletes the
        interrupted run's state: the run is finished."""
        self.resume.finish()
        if self.main:
            save_weights(model, self.paths.checkpoint, world_size=distributed.world_size(), **run)
            resume.clear(self.paths.state)

    def metrics(self) -> dict[str, float]:
        """The last trained epoch's losses and metrics by name ({} when every epoch was trained before)."""
        names = self.learn.recorder.metric_names[1:-1]  # drop "epoch" and "time"
        trained = [values for values in self.learn.recorder.values if values]  # not the epochs skipped on resuming
        return dict(zip(names, map(float, trained[-1]), strict=True)) if trained else {}


def planned_epochs(cfg) -> int:
    """The epochs train.py's fit calls add up to: fine_tune's frozen ones first when starting from pretrained
    weights (the classifiers), then train.epochs."""
    fields = {f.name for f in dataclasses.fields(cfg)}
    frozen = cfg.freeze_epochs if {"pretrained", "freeze_epochs"} <= fields and cfg.pretrained else 0
    return frozen + cfg.epochs
