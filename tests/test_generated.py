"""Each rendered project's own `make` targets, as its user runs them: lint, tests, and the sample pipeline."""

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import yaml

from .conftest import PYTHON, make

# The metric every variant's smoke run must report in `dvc metrics show`.
HEADLINE = {"image_classifier": "accuracy", "generative_art": "loss", "speech_recognition": "accuracy"}


def numbers(tree, path=()):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from numbers(value, (*path, key))
    elif isinstance(tree, int | float) and not isinstance(tree, bool):
        yield path[-1], tree


def test_generated_project_lints_tests_and_runs_its_pipeline(generated):
    project, variant = generated.path, generated.variant
    if variant != "image_classifier":  # the image project's suite runs in test_readme, in the project's own .venv
        make(project, "test")
    generated.smoked()
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
    # The exported model is a DVC artifact (dvc.yaml's artifacts:), and its path is what export wrote.
    read = "from dvc.repo import Repo; print(Repo('.').artifacts.read()['dvc.yaml']['model'].path)"
    artifact = subprocess.run([PYTHON, "-c", read], cwd=project, capture_output=True, text=True, check=True)
    assert (project / artifact.stdout.strip()).exists(), artifact.stdout
    params = (project / "params.yaml").read_text()
    assert "source: sample" not in params.split("smoke:")[0], "make smoke must leave params.yaml as it was"

    # A bad value stops `make train` before DVC starts a stage, naming the key.
    (project / "params.yaml").write_text(re.sub(r"^  epochs: \d+$", "  epochs: -3", params, count=1, flags=re.M))
    refused = subprocess.run(["make", "train", f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "train.epochs = -3 is not allowed" in refused.stderr, refused.stdout + refused.stderr
    assert "Running stage" not in refused.stdout + refused.stderr

    # Without its smoke: section, `make smoke` would run the real pipeline: it stops before DVC starts, naming it.
    (project / "params.yaml").write_text(params.split("\nsmoke:")[0] + "\nsmoke:\n")
    refused = subprocess.run(["make", "smoke", f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    assert refused.returncode != 0 and "smoke: section is missing" in refused.stderr, refused.stdout + refused.stderr
    assert "Running stage" not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr
    assert not (project / ".params.yaml.smoke-backup").exists()
    (project / "params.yaml").write_text(params)


def write_smoke_settings(project: Path, **dotted) -> None:
    """params.yaml with its own `smoke:` settings (and `dotted` overrides such as train.epochs) written in: what
    `make smoke` runs, as a plain `make train` would run it."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    for key, value in {**params["smoke"], **dotted}.items():
        section, name = key.split(".")
        params[section][name] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def dvc(project: Path, *args: str) -> str:
    result = subprocess.run([PYTHON, "-m", "dvc", *args], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, f"dvc {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def cached_outputs(project: Path) -> list[Path]:
    """Every stage output DVC caches, hence pushes (scratch outs with `cache: false` are not), from dvc.yaml."""
    outs = []
    for stage in yaml.safe_load((project / "dvc.yaml").read_text())["stages"].values():
        for out in stage.get("outs", []):
            path, options = (out, {}) if isinstance(out, str) else next(iter(out.items()))
            if (options or {}).get("cache", True):
                outs.append(project / path)
    return outs


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def project_files(project: Path) -> dict[str, str]:
    """{path: sha256} of every file in the project but git's own and Python's bytecode caches."""
    files = (
        f for f in project.rglob("*") if f.is_file() and not {".git", "__pycache__"} & set(f.relative_to(project).parts)
    )
    return {str(f.relative_to(project)): sha256(f) for f in files}


def sha256_of_files(project: Path, paths: list[Path]) -> dict[str, str]:
    files = {f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file() and f.name != ".gitignore"}
    return {str(f.relative_to(project)): sha256(f) for f in sorted(files)}


def test_push_wipe_pull_gives_back_every_byte_and_a_rerun_runs_nothing(generated):
    project = generated.smoked()
    # `dvc config --list`, not `dvc remote list`: that one wraps a long path at 80 columns, mid-word.
    config = dict(line.split("=", 1) for line in dvc(project, "config", "--list").splitlines() if "=" in line)
    name = config["core.remote"]
    url = config[f"remote.{name}.url"]
    remote = (project / ".dvc" / url).resolve()  # a relative url is relative to .dvc/ (dvc prints it absolute)
    assert remote.is_relative_to(project.parent), f"the default remote {name} ({remote}) is outside the test folder"

    outputs = [*cached_outputs(project), project / "models"]
    before = sha256_of_files(project, outputs)
    assert "models/model.json" in before and any(key.startswith("data/prepared/") for key in before), before
    dvc(project, "push")
    assert any(path.is_file() for path in remote.rglob("*")), f"dvc push left {remote} empty"

    cache = Path(dvc(project, "cache", "dir").strip())
    assert cache.is_dir() and cache.is_relative_to(project), cache
    for path in [cache, *outputs]:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    dvc(project, "pull")
    assert sha256_of_files(project, outputs) == before

    # The commands a user re-runs, with nothing changed since, skip every stage: `make smoke`, and `make train`
    # once params.yaml holds the smoke settings (what the pipeline last ran with).
    params = (project / "params.yaml").read_text()
    again = make(project, "smoke")
    assert "Running stage" not in again, again
    assert again.count("didn't change, skipping") >= 4, again
    assert (project / "params.yaml").read_text() == params
    write_smoke_settings(project)
    try:
        again = make(project, "train")
    finally:
        (project / "params.yaml").write_text(params)
    assert "Running stage" not in again, again
    assert "Data and pipelines are up to date" in again, again
    assert sha256_of_files(project, outputs) == before


def experiments(project: Path) -> dict[str, dict]:
    """{name: its `dvc exp show --json` data} for the experiments of every commit."""
    out = {}
    for commit in json.loads(dvc(project, "exp", "show", "--json")):
        for experiment in commit.get("experiments") or []:
            for rev in experiment["revs"]:
                out[rev.get("name") or rev["rev"]] = rev["data"]
    return out


def stop_workers(project: Path) -> None:
    """End the queue workers `make queue-run` left behind in `project` (an idle one can outlive `dvc queue stop`)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            inside = Path(os.readlink(proc / "cwd")).is_relative_to(project)
        except OSError:
            continue
        if "queue-worker" in cmdline and inside:
            os.kill(int(proc.name), signal.SIGTERM)


def queue_logs(project: Path, name: str) -> str:
    shown = subprocess.run([PYTHON, "-m", "dvc", "queue", "logs", name], cwd=project, capture_output=True, text=True)
    return f"\n--- dvc queue logs {name}:\n{(shown.stdout + shown.stderr)[-4000:]}"


def test_queued_experiments_run_in_parallel_and_are_compared(generated):
    """`make queue` with a DVC grid (one experiment per value), `make queue-run JOBS=2`, `make exps`. The queued
    runs stop after the train stage (its DVCLive metrics are the experiment's): evaluate and export would add time,
    not coverage of the queue."""
    project = generated.path
    smoke = subprocess.run(
        [PYTHON, "-m", "my_capstone.params", "--smoke-args"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    known = set(experiments(project))
    grid = ["train", *shlex.split(smoke), "-S", "train.epochs=1", "-S", "train.lr=1e-3,1e-2"]  # later -S wins
    queued = make(project, "queue", f"ARGS={shlex.join(grid)}")
    assert queued.count("Queued experiment") == 2, queued
    # DVC's queue workers are background processes that outlive `make queue-run` (an idle one may linger until it
    # is told to stop): they must not hold this test's output pipes open, so their output goes to a file.
    log = project.parent / "queue-run.log"
    with log.open("w") as out:
        ran = subprocess.run(
            ["make", "queue-run", "JOBS=2", f"PYTHON={PYTHON}"], cwd=project, stdout=out, stderr=subprocess.STDOUT
        )
    stop_workers(project)
    failed = re.findall(r"^\w+\s+(\S+)\s.*\bFailed$", log.read_text(), re.M)  # `dvc queue status` rows
    why = [queue_logs(project, name) for name in failed]  # what the failed experiment printed, to see why
    assert ran.returncode == 0, log.read_text()[-3000:] + "".join(why)

    new = {name: data for name, data in experiments(project).items() if name not in known}
    assert len(new) == 2, new.keys()
    lrs = sorted(data["params"]["params.yaml"]["data"]["train"]["lr"] for data in new.values())
    assert lrs == [1e-3, 1e-2], lrs
    for name, data in new.items():
        metrics = dict(numbers(data.get("metrics") or {}))
        assert any(HEADLINE[generated.variant] in key for key in metrics), (name, metrics)
    assert "Experiment" in make(project, "exps")


# What the acceptance check and a headless CI do with a notebook: run every cell in a fresh kernel, cwd notebooks/.
EXECUTE = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=600, resources={"metadata": {"path": "."}}).execute()
print("".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", [])))
"""


def test_learner_loop_notebooks_run_and_make_post_shows_dvc_metrics(generated):
    """After make smoke: every notebook runs headless without touching the pipeline's outputs; make post writes a
    draft whose figures are the ones `dvc metrics show` gives. (test_render checks that make help lists them.)"""
    project = generated.smoked()
    outputs = [project / name for name in ("models", "eval", "dvclive", "data/prepared", "params.yaml", "dvc.lock")]
    before = sha256_of_files(project, outputs)
    everything = project_files(project)
    scratch_file = project / "notebooks/foundations.json"  # what foundations.ipynb writes for make post
    notebooks = sorted((project / "notebooks").glob("*.ipynb"))
    assert {nb.name for nb in notebooks} >= {"explore.ipynb", "foundations.ipynb", "cloud.ipynb"}, notebooks
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PATH": f"{Path(PYTHON).parent}:{os.environ['PATH']}"}
    printed = {}
    for nb in notebooks:
        ran = subprocess.run(
            [PYTHON, "-c", EXECUTE, nb.name], cwd=nb.parent, env=env, capture_output=True, text=True, timeout=900
        )
        assert ran.returncode == 0, f"{nb.name} failed headless:\n{ran.stdout[-2000:]}\n{ran.stderr[-4000:]}"
        printed[nb.name] = ran.stdout
    assert sha256_of_files(project, outputs) == before, "a notebook changed the pipeline's outputs or params"
    # Nothing else in the project changed either (scratch work goes to temporary folders), but for the one file the
    # bottom-up notebook writes for make post: its hand-written loop's figures beside fastai's.
    assert project_files(project) == {**everything, "notebooks/foundations.json": sha256(scratch_file)}
    scratch = json.loads(scratch_file.read_text())
    assert scratch["metric"] == HEADLINE[generated.variant] or generated.variant == "generative_art", scratch
    assert all(isinstance(scratch[key], float) for key in ("hand_written", "fastai")), scratch
    assert len(scratch["checks"]) >= 5, scratch  # the pieces it rebuilt, each against the pipeline's
    # The free-GPU notebook runs dry off Kaggle and Colab: it prints the commands it would run, in order.
    steps = [re.escape(s) for s in ("git clone", "make PYTHON=", "setup", "dvc pull", "train", "dvc push")]
    assert re.search(".*".join(steps), printed["cloud.ipynb"], re.S), printed["cloud.ipynb"]

    try:
        made = make(project, "post")
        posts = list((project / "posts").glob("*/index.md"))
        assert len(posts) == 1, made
        text = posts[0].read_text()
        front = text.split("---\n", 2)[1] if text.startswith("---\n") else ""  # YAML front matter, between ---
        assert re.search(r"^title: \S", front, re.M) and re.search(r"^date: \d{4}-", front, re.M), text[:500]
        figures = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]
        shown = json.loads(dvc(project, "metrics", "show", "--json"))
        for key, value in numbers(shown):
            assert any(abs(n - value) <= 5e-5 + 5e-4 * abs(value) for n in figures), (key, value, text)
        section = text[text.index("## From scratch") :]
        for value in (scratch["hand_written"], scratch["fastai"]):
            assert f" | {round(value, 5)} |" in section, section
    finally:  # the next test finds the project as this one did
        shutil.rmtree(project / "posts", ignore_errors=True)
        scratch_file.unlink(missing_ok=True)
