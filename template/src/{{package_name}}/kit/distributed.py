"""Training in several processes: fastai's distributed mode on Hugging Face Accelerate, with no change to train.py.

`make train NPROC=4` (NPROC=4 in the environment of `dvc repro` or `dvc exp run`) makes the train stage start
itself again under `accelerate launch` with 4 processes: one per GPU, or CPU processes talking over gloo where
there is no GPU. Every process trains on its share of each batch; only rank 0 writes metrics, state and weights.
Launched by hand (`accelerate launch -m <package>.train`, on one machine or several after `accelerate config`),
the stage sees the launcher's environment and runs as one rank of it.
"""

import contextlib
import os
import subprocess
import sys

import torch
from accelerate import PartialState
from fastai.distributed import DistributedDL
from fastai.torch_core import num_distrib, rank_distrib


class LaunchError(ValueError):
    """NPROC asks for something this machine cannot do; the message says what to set instead."""


def processes() -> int:
    """How many processes NPROC asks for (1 when unset), checked against the GPUs there are."""
    value = os.environ.get("NPROC", "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        raise LaunchError(f"NPROC={value!r}: set it to a whole number of processes, e.g. make train NPROC=2")
    n, gpus = int(value), torch.cuda.device_count()
    if gpus and n > gpus:
        raise LaunchError(f"NPROC={n} but this machine has {gpus} GPU(s): use NPROC={gpus} or fewer")
    return n


def relaunch(module: str) -> None:
    """With NPROC > 1, run `python -m module` in NPROC processes under accelerate launch, and exit with its status.

    Does nothing inside a launched process (the launcher sets WORLD_SIZE) or with NPROC unset or 1."""
    if "WORLD_SIZE" in os.environ or (n := processes()) == 1:
        return
    # --multi_gpu selects DistributedDataParallel; without GPUs accelerate runs it on CPU with gloo. Not --cpu:
    # `accelerate launch --cpu --num_processes 2` runs a single process (accelerate 1.x).
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(n)]
    launch += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]  # fastai does AMP itself
    print(f"training in {n} processes ({'GPUs' if torch.cuda.is_available() else 'CPU, gloo'})", flush=True)
    sys.exit(subprocess.call([*launch, "-m", module]))


def world_size() -> int:
    return max(num_distrib(), 1)


def is_main() -> bool:
    """Rank 0, or the only process: the one that writes files."""
    return rank_distrib() == 0


def _broadcast(self, t, rank):
    """fastai 2.8's DistributedDL._broadcast, but CUDA tensors only for nccl: gloo (CPU) broadcasts CPU tensors."""
    t = torch.LongTensor(t)
    if torch.distributed.get_backend() == "nccl":
        t = t.cuda()
    torch.distributed.broadcast(t, rank)
    return t.cpu().tolist()


@contextlib.contextmanager
def context(learn):
    """fastai's distrib_ctx when launched in several processes, else nothing. On CPU: no SyncBatchNorm (it needs
    CUDA), and the one-line fix above for fastai 2.8.x, whose DistributedDL._broadcast calls .cuda() always."""
    if world_size() == 1:
        yield learn
        return
    cuda = torch.cuda.is_available()
    if not cuda:
        DistributedDL._broadcast = _broadcast
    with learn.distrib_ctx(sync_bn=cuda, cpu=not cuda):
        yield learn
    # fastai leaves the process group Accelerate opened. Left to interpreter shutdown, gloo's threads can outlive it
    # ("terminate called without an active exception", a SIGABRT that fails the whole run): every process leaves
    # together, here, after the last collective (Accelerate's barrier passes each rank's GPU to NCCL).
    state = PartialState()
    state.wait_for_everyone()
    state.destroy_process_group()
