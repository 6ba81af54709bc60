"""Long runs as a user lives them, in each rendered project: `make smoke NPROC=2` trains in two CPU processes, and
a `make train` whose training process is killed mid-run picks up where it stopped when run again."""

import json
import re
import subprocess

import pytest

from .conftest import PYTHON, VARIANTS, git, render
from .test_generated import make, write_smoke_settings

EPOCHS = 4


def kill_training_after(project, line: str) -> str:
    """Run `make train`, SIGKILL its training process (as the OOM killer or a closed notebook would) once the
    output has a line matching `line`, and return the output."""
    run = subprocess.Popen(
        ["make", "train", f"PYTHON={PYTHON}"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = []
    for out in run.stdout:
        seen.append(out)
        if re.search(line, out):
            subprocess.run(["pkill", "-KILL", "-s", str(run.pid), "-f", r"my_capstone\.train"], check=True)
            break
    seen.append(run.stdout.read())
    assert run.wait(timeout=300) != 0, "".join(seen)  # DVC reports the killed stage
    return "".join(seen)


@pytest.mark.parametrize("variant", VARIANTS)
def test_two_processes_then_a_killed_run_resumes(template, tmp_path, variant):
    project = render(template, tmp_path / "project", variant)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")

    out = make(project, "smoke", "NPROC=2")
    assert "training in 2 processes (CPU, gloo)" in out
    assert json.loads((project / "models/model.json").read_text())["world_size"] == 2

    write_smoke_settings(project, **{"train.epochs": EPOCHS})  # a small real `make train`
    first = kill_training_after(project, rf"^epoch [2-{EPOCHS - 1}]/{EPOCHS}:")
    assert f"epoch {EPOCHS}/{EPOCHS}" not in first
    again = make(project, "train")
    assert re.search(rf"resuming from epoch [1-{EPOCHS - 1}]/{EPOCHS}", again), again
    assert f"epoch {EPOCHS}/{EPOCHS}:" in again
    assert json.loads((project / "dvclive/train/metrics.json").read_text())["step"] == EPOCHS - 1
    # One curve: each epoch once, though the killed run may have logged an epoch whose state it never saved.
    rows = (project / "dvclive/train/plots/metrics/train/loss.tsv").read_text().splitlines()[1:]
    assert [int(row.split("\t")[0]) for row in rows] == list(range(EPOCHS)), rows
    assert json.loads((project / "models/model.json").read_text())["world_size"] == 1
