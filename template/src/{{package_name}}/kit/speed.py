"""What makes training fast on a CUDA GPU: mixed precision and channels_last, both params on by default (pinned
memory is set where the DataLoaders are built, in data.py). On a CPU neither applies: training runs in float32.

benchmarks/gpu_check.py measures the result against a plain PyTorch AMP loop on the same model.
"""

import torch
from fastai.callback.core import Callback
from fastai.callback.fp16 import MixedPrecision
from fastai.learner import Learner


def use_mixed_precision(learn: Learner, enabled: bool) -> str:
    """fastai's mixed precision (PyTorch autocast) on a CUDA GPU: bf16 where the GPU has it (no loss scaling
    needed), else fp16. On a CPU, or when disabled, training stays in full float32. Returns what it chose."""
    if not (enabled and torch.cuda.is_available()):
        return "fp32"
    mode = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    learn.add_cb(MixedPrecision(amp_mode=mode))  # what learn.to_bf16() / learn.to_fp16() add
    return mode


class ChannelsLast(Callback):
    """Convnets in channels_last (NHWC) memory: the layout GPU tensor cores convolve fastest, weights and batches.

    The weights go back to the usual layout after each fit: safetensors saves only contiguous tensors.
    """

    order = 5  # before_fit before DistributedTrainer (11) wraps the model, so DDP sees the final layout

    def before_fit(self):
        self.learn.model.to(memory_format=torch.channels_last)  # in place: the optimizer keeps its parameters

    def before_batch(self):
        self.learn.xb = tuple(x.contiguous(memory_format=torch.channels_last) if x.ndim == 4 else x for x in self.xb)

    def after_fit(self):
        getattr(self.learn.model, "module", self.learn.model).to(memory_format=torch.contiguous_format)


def use_channels_last(learn: Learner, enabled: bool) -> bool:
    """Add ChannelsLast on a CUDA GPU when enabled; returns whether it did."""
    if not (enabled and torch.cuda.is_available()):
        return False
    learn.add_cb(ChannelsLast())
    return True


def on_gpu(learn: Learner, mixed_precision: bool, channels_last: bool) -> str:
    """Both of the above, as the train.mixed_precision and train.channels_last params say. Returns what it chose,
    e.g. "bf16, channels_last" on a recent GPU, "fp32" on a CPU."""
    mode = use_mixed_precision(learn, mixed_precision)
    return f"{mode}, channels_last" if use_channels_last(learn, channels_last) else mode
