"""Where the project keeps things: every file and folder the stages, the demo and the tests read or write.

Stages take a `Paths`; by default `PROJECT`, the current folder, where `make` and DVC run them. A test passes
`Paths(tmp_path)` and never changes directory. dvc.yaml names the same paths (its deps and outs): change both.
"""

from pathlib import Path


class Paths:
    def __init__(self, root: Path | str = "."):
        self.root = Path(root)
        self.params = self.root / "params.yaml"
        self.raw = self.root / "data/raw"  # downloads and generated samples: kept between runs, outside DVC
        self.prepared = self.root / "data/prepared"  # the prepare stage's output, rebuilt from scratch each run
        self.models = self.root / "models"  # the exported model (export): what predict, the demo and the Space load
        self.checkpoint = self.models / "checkpoint.safetensors"  # the train stage's weights, for evaluate and export
        self.state = (
            self.root / "state/train"
        )  # training's resumable state (kit/resume.py): kept by DVC, deleted when done
        self.live = self.root / "dvclive/train"  # the training curves DVCLive writes (dvc plots)
        self.eval = self.root / "eval"  # evaluate's metrics and plots
        self.space = self.root / "dist/space"  # the Hugging Face Space bundle (make bundle)
        # notebooks/foundations.ipynb's figures (the hand-written loop's metric beside fastai's), for make post
        self.foundations = self.root / "notebooks/foundations.json"

    def __repr__(self) -> str:
        return f"Paths({str(self.root)!r})"


PROJECT = Paths()
