"""The generated README to the letter, as a new user lives it.

Render, then type the quick start's commands in the order the README shows them, in a shell that has `uv` and
nothing of this repo: no shared interpreter, no PYTHON= override, no commit made for the user, no git identity,
no telemetry switches. Only `make train` is left out (it downloads the real dataset) and `make demo` runs until
it has answered one request over HTTP.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from .conftest import VARIANTS, free_port, render

QUICK_START = ["make setup", "make smoke", "make train", "make demo"]  # the contract of the generated README
TEMPLATE_BIN = str(Path(sys.executable).parent)


def user_shell(tmp_path: Path) -> dict[str, str]:
    """This machine's environment as a new user's shell has it: uv on PATH, nothing of the template's."""
    uv_only = tmp_path / "uv-bin"
    uv_only.mkdir()
    (uv_only / "uv").symlink_to(Path(TEMPLATE_BIN) / "uv")  # the README's one prerequisite besides Python and git
    no_identity = tmp_path / "gitconfig"
    no_identity.write_text("")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "DVC_", "ITERATIVE_", "GRADIO_", "PYTEST_", "COPIER_"))
        and key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    path = [p for p in env["PATH"].split(os.pathsep) if p != TEMPLATE_BIN]
    env.update(PATH=os.pathsep.join([str(uv_only), *path]), GIT_CONFIG_GLOBAL=str(no_identity))
    return env


def quick_start(readme: str) -> list[str]:
    block = re.search(r"## Quick start\n.*?```bash\n(.*?)```", readme, re.S)[1]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def run(command: str, project: Path, env: dict[str, str]) -> str:
    # A bound, so a stalled download fails this test with its output instead of hanging the suite.
    result = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def first_answer(project: Path, env: dict[str, str], variant: str):
    """`make demo`, then one request from a gradio_client as soon as the server answers."""
    port = free_port()
    demo = subprocess.Popen(
        ["make", "demo"],
        cwd=project,
        env={**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make and the app it starts: one process group to stop
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert demo.poll() is None, f"make demo exited:\n{demo.stdout.read()[-3000:]}"
            assert time.monotonic() < deadline, "make demo did not answer within 180 s"
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # not listening yet
                time.sleep(1)
        if variant == "generative_art":
            return client.predict(0, 4, 2, api_name="/generate")
        example = sorted((project / "models/examples").iterdir())[0]
        return client.predict(handle_file(str(example)), api_name="/predict")
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)


@pytest.mark.parametrize("variant", VARIANTS)
def test_readme_quick_start_works_to_the_letter(template, tmp_path, variant):
    project = render(template, tmp_path / "my-capstone", variant)
    env = user_shell(tmp_path)
    commands = quick_start((project / "README.md").read_text())
    assert commands == QUICK_START

    run("make setup", project, env)
    assert (project / ".venv/bin/python").is_file()
    assert (project / "uv.lock").is_file()
    committed = run("git ls-files", project, env).split()
    assert {"uv.lock", "pyproject.toml", "Makefile", "params.yaml"} <= set(committed)

    run("make smoke", project, env)
    metrics = run(".venv/bin/python -m dvc metrics show --json", project, env)
    assert ("loss" if variant == "generative_art" else "accuracy") in metrics
    if variant == "image_classifier":  # the other variants' own tests run in test_generated, shared interpreter
        run("make test", project, env)
        # The notebook in the project's own environment (make lab's kernel), as `jupyter execute` runs it.
        run(".venv/bin/jupyter execute notebooks/explore.ipynb", project, env)

    # "make post writes a blog-post draft, posts/<slug>/index.md": from the smoke run, in the user's shell.
    run("make post", project, env)
    post = (project / "posts/my-capstone/index.md").read_text()
    assert ("loss" if variant == "generative_art" else "accuracy") in post, post

    answer = first_answer(project, env, variant)
    if variant == "generative_art":
        assert len(answer) == 2
    else:
        assert answer["label"] and answer["confidences"], answer
