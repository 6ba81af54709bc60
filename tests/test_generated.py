"""Each rendered project's own `make` targets, as its user runs them: lint, tests, and the sample pipeline."""

import json
import re
import subprocess

import pytest

from .conftest import PYTHON, VARIANTS, git, render

# The metric every variant's smoke run must report in `dvc metrics show`.
HEADLINE = {"image_classifier": "accuracy", "generative_art": "loss", "speech_recognition": "accuracy"}


def make(project, *targets):
    result = subprocess.run(["make", *targets, f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, f"make {' '.join(targets)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def numbers(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from numbers(value, (*path, key))
    elif isinstance(tree, int | float) and not isinstance(tree, bool):
        yield path[-1], tree


@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_project_lints_tests_and_runs_its_pipeline(template, tmp_path, variant):
    project = render(template, tmp_path / "project", variant)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")

    make(project, "test")
    make(project, "smoke")
    make(project, "lint")  # after the pipeline: its outputs (dvclive/, data/, ...) must not confuse the linters

    shown = subprocess.run(
        [PYTHON, "-m", "dvc", "metrics", "show", "--json"], cwd=project, capture_output=True, text=True, check=True
    )
    metrics = dict(numbers(json.loads(shown.stdout)))
    assert any(HEADLINE[variant] in key for key in metrics), metrics
    if HEADLINE[variant] == "accuracy":
        assert metrics["accuracy"] >= 0.9, metrics
    assert (project / "models/model.json").is_file()
    assert not list((project / "models").rglob("*.pkl"))
    params = (project / "params.yaml").read_text()
    assert "source: sample" not in params.split("smoke:")[0], "make smoke must leave params.yaml as it was"

    # A bad value stops `make train` before DVC starts a stage, naming the key.
    (project / "params.yaml").write_text(re.sub(r"^  epochs: \d+$", "  epochs: -3", params, count=1, flags=re.M))
    refused = subprocess.run(["make", "train", f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "train.epochs = -3 is not allowed" in refused.stderr, refused.stdout + refused.stderr
    assert "Running stage" not in refused.stdout + refused.stderr
