"""The train stage's weights on disk (paths.checkpoint): writing them and reading them back (safetensors, no pickle).

model.py builds the network and loads a trained one through `load_weights`; the train stage saves it with
`save_weights`. The exported model for serving is another artifact, written by the export stage.
"""

from pathlib import Path

from safetensors.torch import load_model, save_model
from torch import nn


def save_weights(module: nn.Module, checkpoint: Path) -> None:
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_model(module, str(checkpoint))


def load_weights(module: nn.Module, checkpoint: Path) -> nn.Module:
    """Load the checkpoint's weights into `module` (built the way the train stage built it) and return it."""
    if not checkpoint.exists():
        raise FileNotFoundError(f"No checkpoint at {checkpoint}: run the train stage first (make train).")
    load_model(module, str(checkpoint))
    return module
