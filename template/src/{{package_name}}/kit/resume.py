"""Resumable training: the train stage's whole state after every epoch, picked up again after an interruption.

After each epoch, rank 0 writes paths.state/state.pt (weights, optimizer, RNG states, EMA weights where used) and
state.json (epochs done, and the data and train params they ran with). Each is written aside, then renamed into
place, so a kill mid-write leaves the previous epoch's state whole; state.json is renamed last and names the epoch
of the state.pt beside it. state.pt holds tensors and numbers only: `torch.load(weights_only=True)` reads it, no
pickled objects. dvc.yaml marks the folder `persist: true`, so DVC keeps it when it runs the stage again; a run
that finishes deletes it. The same command after a crash (`make train`, `make smoke`) continues after the last
complete epoch; changed params start afresh, and say which.
"""

import dataclasses
import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch
from fastai.callback.core import Callback, CancelEpochException
from fastai.torch_core import rank_distrib

IGNORED = {"train.num_workers"}  # may change between runs: they do not change what is learned


@dataclasses.dataclass
class Start:
    """Where a run starts: `done` epochs of `total` already trained, with `state` to load (None: from scratch)."""

    done: int = 0
    state: dict | None = None


def settings(params) -> dict[str, object]:
    """The dotted data and train params a state belongs to."""
    sections = {"data": dataclasses.asdict(params.data), "train": dataclasses.asdict(params.train)}
    return {f"{name}.{key}": value for name, section in sections.items() for key, value in section.items()}


PARTS = ("model", "opt", "rng", "smooth_loss")  # what every saved state.pt holds


def start(folder: Path, params, total: int, extra: tuple[str, ...] = ()) -> Start:
    """The saved state of an interrupted run of the same params, or a fresh start; prints what it decided. Anything
    unreadable or inconsistent (a damaged file, more epochs done than the run has, a missing part) starts afresh,
    saying why in one line. Every process of a distributed run reads it (they must skip the same epochs); rank 0
    alone speaks and deletes. `extra`: the parts beyond PARTS the state must hold (the generative EMA)."""
    main = rank_distrib() == 0
    info_file = folder / "state.json"
    if not info_file.exists():
        return Start()

    def afresh(why: str) -> Start:
        if main:
            print(f"not resuming the interrupted run in {folder}/: {why}; starting from epoch 0")
            clear(folder)
        return Start()

    try:
        info = json.loads(info_file.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return afresh("state.json cannot be read")
    done = info.get("done") if isinstance(info, dict) else None
    if not isinstance(done, int) or isinstance(done, bool) or not isinstance(info.get("params"), dict):
        return afresh("state.json is not a training state (epochs done and the params they ran with)")
    if not 1 <= done <= total:
        return afresh(f"state.json says {done} epochs were done, and this run has {total}")
    now, then = settings(params), info["params"]
    changed = sorted(k for k in now.keys() | then.keys() if k not in IGNORED and now.get(k) != then.get(k))
    if changed:
        shown = ", ".join(f"{k} ({then.get(k)!r} -> {now.get(k)!r})" for k in changed[:4])
        return afresh(f"{shown} changed since")
    try:
        state = torch.load(folder / "state.pt", map_location="cpu", weights_only=True)
    except Exception as error:  # a file from elsewhere, or damaged on disk: the run itself is not lost
        return afresh(f"state.pt cannot be read ({type(error).__name__})")
    missing = [part for part in (*PARTS, *extra) if not isinstance(state, dict) or part not in state]
    if missing:
        return afresh(f"state.pt lacks {', '.join(missing)}")
    if main:
        print(f"resuming from epoch {done}/{total}: the last one completed before the interruption ({folder}/)")
    return Start(done, state)


def rewind(live, done: int) -> None:
    """Go on with the DVCLive curves after the `done` epochs of the saved state. Rows an interrupted run logged past
    them (an epoch that ended but was killed before its state was saved) are dropped: no step is logged twice."""
    for tsv in Path(live.plots_dir, "metrics").rglob("*.tsv"):
        header, *rows = tsv.read_text().splitlines()
        step = header.split("\t").index("step")
        tsv.write_text("\n".join([header, *(row for row in rows if int(row.split("\t")[step]) < done)]) + "\n")
    live.step = done


def clear(folder: Path) -> None:
    """Delete the saved state but keep the folder, with a note: dvc.yaml declares it, so it must exist after a run."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text(
        "The train stage's state while a run is in progress (kit/resume.py): none now.\n"
    )


def python_rng(state: tuple) -> list:
    version, internal, gauss_next = state
    return [version, torch.tensor(internal, dtype=torch.int64), gauss_next]


def python_rng_state(saved: list) -> tuple:
    version, internal, gauss_next = saved
    return version, tuple(internal.tolist()), gauss_next


def loaders(learn) -> list:
    return [getattr(dl, "dl", dl) for dl in learn.dls.loaders]  # DistributedDL wraps the DataLoader


def rng_state(learn) -> dict:
    """The random generators training draws from, as tensors and numbers: torch's, numpy's and Python's (what
    fastai's set_seed seeds), and each DataLoader's own, which shuffles the next epoch."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "python": python_rng(random.getstate()),
        "loaders": [python_rng(dl.rng.getstate()) for dl in loaders(learn)],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(learn, state: dict) -> None:
    torch.set_rng_state(state["torch"])
    keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    random.setstate(python_rng_state(state["python"]))
    for dl, saved in zip(loaders(learn), state["loaders"], strict=True):
        dl.rng.setstate(python_rng_state(saved))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def restore(learn, state: dict, with_opt: bool = True) -> None:
    """Weights, random generators and (with_opt) optimizer moments as they were after the last completed epoch.
    Without with_opt the optimizer starts afresh, as it does at the start of each of fine_tune's fits."""
    getattr(learn.model, "module", learn.model).load_state_dict(state["model"])  # unwrapped from DDP
    if with_opt:
        if learn.opt is None:
            learn.create_opt()
        # Only the per-parameter state: the hyper-parameters (lr, mom) are set again by the one-cycle schedule.
        learn.opt.load_state_dict({"state": state["opt"], "hypers": learn.opt.hypers})
    set_rng_state(learn, state["rng"])


class Resume(Callback):
    """Pass it to every fit call of a run (fine_tune makes two): it picks the run up where an interruption left it.

    `start` is what resume.start found. The first fit that still has epochs to train gets its weights, random
    generators and, mid-fit, its optimizer moments and smoothed loss back; epochs trained before the interruption are
    skipped, as fastai's own `fit(start_epoch=...)` skips them (the one-cycle schedule stays aligned: fastai sets each
    epoch's place in it in before_train). After every epoch it trains, rank 0 saves the state to `folder`. `extra`
    holds more objects with state_dict()/load_state_dict() to keep (the generative EMA weights).
    """

    order = 90  # after the Recorder, the EMA and DVCLive callbacks have seen the epoch

    def __init__(self, folder: Path, params, start: Start, extra: dict | None = None):
        self.folder, self.params, self.done, self.extra = folder, params, start.done, extra or {}
        self.state = start.state  # the interrupted run's, until a fit that still trains takes it
        self.before = 0  # epochs of the earlier fits of this run (fine_tune's frozen epochs)
        self.skip = 0

    def before_fit(self):
        self.skip = min(max(self.done - self.before, 0), self.n_epoch)  # this fit's epochs trained already
        if self.skip == self.n_epoch or self.state is None:
            return
        state, self.state = self.state, None
        restore(self.learn, state, with_opt=self.skip > 0)  # a fit starts with a fresh optimizer, as fastai's do
        for name, obj in self.extra.items():
            obj.load_state_dict(state[name])
        if self.skip:  # after the Recorder's own before_fit has reset it: the train_loss curve goes on smoothly
            value, count = state["smooth_loss"]
            self.learn.recorder.smooth_loss.val, self.learn.recorder.smooth_loss.count = torch.tensor(value), count

    def before_epoch(self):
        if self.epoch < self.skip:
            raise CancelEpochException  # what fastai's SkipToEpoch does for fit(start_epoch=...)

    def after_epoch(self):
        if self.epoch < self.skip or rank_distrib():
            return
        model = getattr(self.learn.model, "module", self.learn.model)  # unwrapped from DistributedDataParallel
        state = {
            "model": model.state_dict(),
            "opt": self.learn.opt.state_dict()["state"],
            "rng": rng_state(self.learn),
            "smooth_loss": [float(self.learn.recorder.smooth_loss.val), self.learn.recorder.smooth_loss.count],
            **{name: obj.state_dict() for name, obj in self.extra.items()},
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        info = {"done": self.before + self.epoch + 1, "params": settings(self.params)}
        atomic_write(self.folder / "state.pt", lambda path: torch.save(state, path))
        atomic_write(self.folder / "state.json", lambda path: path.write_text(json.dumps(info, indent=1) + "\n"))

    def after_fit(self):
        self.before += self.n_epoch

    def finish(self) -> None:
        """After the last fit: where every epoch was trained before the interruption (only the final save was
        lost), the saved weights are the run's."""
        if self.state is not None:
            restore(self.learn, self.state, with_opt=False)
            self.state = None


def atomic_write(target: Path, write) -> None:
    """write(a temporary path beside target), then rename it over target: readers see the old file or the new."""
    tmp = target.with_name(f".{target.name}.tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())  # on disk before the rename, or a power cut could leave an empty file named state.pt
    os.replace(tmp, target)
