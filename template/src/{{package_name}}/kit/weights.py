"""The train stage's weights on disk (paths.checkpoint): writing them and reading them back (safetensors, no pickle).

model.py builds the network and loads a trained one through `load_weights`; the train stage saves it with
`save_weights`, with facts about the run (`world_size`) in the file's metadata, read back by `run_info`. The exported
model for serving is another artifact, written by the export stage.
"""

from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_model, save_model
from torch import nn


def save_weights(module: nn.Module, checkpoint: Path, **run: int | str) -> None:
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_model(module, str(checkpoint), metadata={key: str(value) for key, value in run.items()})


def run_info(checkpoint: Path) -> dict[str, str]:
    """The facts save_weights recorded about the training run, e.g. {"world_size": "2"}."""
    with safe_open(str(checkpoint), framework="pt") as f:
        return dict(f.metadata() or {})


def load_weights(module: nn.Module, checkpoint: Path) -> nn.Module:
    """Load the checkpoint's weights into `module` (built the way the train stage built it) and return it."""
    if not checkpoint.exists():
        raise FileNotFoundError(f"No checkpoint at {checkpoint}: run the train stage first (make train).")
    load_model(module, str(checkpoint))
    return module
