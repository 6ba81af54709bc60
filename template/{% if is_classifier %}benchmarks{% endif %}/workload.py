"""What the benchmarks ask of a classifier's demo: its /predict requests and how to tell two answers apart, and the
networks the serving benchmark times (load.py and serving.py import it; generative art has its own).

A request is one of the demo's example files (models/examples); an answer is gr.Label's
{"label": ..., "confidences": [{"label", "confidence"}, ...]}.
"""

import argparse
from pathlib import Path

from gradio_client import Client, handle_file

REQUESTS = 200  # per concurrency in load.py: cheap requests, enough for steady percentiles
ARCHS = ["resnet18", "resnet34"]  # serving.py's default architectures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """load.py's options for this kind of request: none beyond the common ones."""


def requests(models: Path, n: int, args: argparse.Namespace | None = None) -> list[Path]:
    """`n` /predict requests: the demo's example files (models/examples), in turn."""
    examples = sorted((models / "examples").iterdir())
    return [examples[i % len(examples)] for i in range(n)]


def call(client: Client, request: Path) -> dict:
    """One /predict request through gradio_client."""
    return client.predict(handle_file(str(request)), api_name="/predict")


def visit(visitor, request: Path) -> dict:
    """One /predict request over plain HTTP (load.Visitor): the upload, then the call; the answer as gr.Label sends
    it."""
    return visitor.call("predict", [visitor.upload(request)])[0]


def same(answer: dict, expected: dict, tolerance: float = 1e-4) -> bool:
    """The same top label, the same labels listed, each confidence within `tolerance`."""
    scores = {c["label"]: c["confidence"] for c in answer["confidences"]}
    wanted = {c["label"]: c["confidence"] for c in expected["confidences"]}
    return (
        answer["label"] == expected["label"]
        and scores.keys() == wanted.keys()
        and all(abs(scores[k] - wanted[k]) <= tolerance for k in wanted)
    )
