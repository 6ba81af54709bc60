"""What the benchmarks ask of the painting demo: its /generate requests and how to tell two answers apart (load.py
imports it; the classifiers have their own).

A request is (seed, steps, count); an answer is the painted pictures' pixels.
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from gradio_client import Client
from PIL import Image

REQUESTS = 40  # per concurrency in load.py: (seed, steps 2-4, 1-2 pictures), cheap, and still every worker busy
STEPS = (2, 3, 4)  # cheap requests by default, each a different amount of work; the demo's own: --steps 20 --count 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """load.py's options for painting requests."""
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS), help="DDIM steps, in turn")
    parser.add_argument("--count", type=int, nargs="+", default=[1, 2], help="pictures per request, in turn")


def requests(models: Path, n: int, args: argparse.Namespace | None = None) -> list[tuple[int, int, int]]:
    """`n` (seed, steps, count) requests for /generate: eight seeds, cycling through the steps and counts."""
    steps: Sequence[int] = args.steps if args else STEPS
    counts: Sequence[int] = args.count if args else (1, 2)
    return [(i % 8, steps[i % len(steps)], counts[i % len(counts)]) for i in range(n)]


def call(client: Client, request: tuple) -> list[np.ndarray]:
    """One /generate request through gradio_client; the answer is the pixels of each painted picture."""
    gallery = client.predict(*request, api_name="/generate")
    files = [item["image"]["path"] if isinstance(item["image"], dict) else item["image"] for item in gallery]
    return [np.asarray(Image.open(f)) for f in files]


def visit(visitor, request: tuple) -> list:
    """One /generate request over plain HTTP (load.Visitor); the answer is the gallery as Gradio sends it (the
    pictures' addresses, which a browser then fetches)."""
    return visitor.call("generate", list(request))[0]


def same(answer: list[np.ndarray], expected: list[np.ndarray]) -> bool:
    """The same pictures: pixels at most one level apart (float rounding in the last step can flip one)."""
    return len(answer) == len(expected) and all(
        a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max(initial=0) <= 1
        for a, b in zip(answer, expected, strict=True)
    )
