"""Current with the ecosystem: every Python version copier offers resolves every variant's dependencies, and so do the
lowest versions pyproject.toml allows (its floors), which the generated CI installs and tests weekly."""

import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import CONFIG, VARIANTS, render

UV = str(Path(sys.executable).parent / "uv")  # the template's dev group installs uv
PYTHONS = list(CONFIG["python_version"]["choices"])


def uv(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([UV, *args], cwd=project, capture_output=True, text=True, timeout=600)


def test_python_choices_are_supported_versions():
    assert "3.10" not in PYTHONS and {"3.11", "3.12", "3.13", "3.14"} <= set(PYTHONS)  # 3.10: end of life, 2026-10
    assert CONFIG["python_version"]["default"] in PYTHONS


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_offered_python_resolves_and_the_floors_lock(template, tmp_path, variant):
    """Each python_version answer renders a project whose dependencies resolve for that version, on every platform
    (uv's universal resolution, as uv lock makes it; `uv pip compile --python-version` needs no interpreter of that
    version on this machine). Then the lowest direct versions lock (uv lock --resolution lowest-direct)."""
    projects = {python: render(template, tmp_path / python, variant, python_version=python) for python in PYTHONS}
    for python, project in projects.items():
        meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        assert meta["requires-python"] == f">={python}" and (project / ".python-version").read_text().strip() == python

    def resolve(python: str) -> subprocess.CompletedProcess:
        groups = ["--group", "train", "--group", "dev"]
        args = ["pip", "compile", "pyproject.toml", *groups, "--universal", "--python-version", python, "-q"]
        return uv(projects[python], *args, "-o", "requirements.lock")

    with ThreadPoolExecutor(len(PYTHONS)) as pool:  # each waits on the package index, not on the CPU
        resolved = dict(zip(PYTHONS, pool.map(resolve, PYTHONS), strict=True))
    for python, result in resolved.items():
        assert result.returncode == 0, f"{variant}, Python {python}:\n{result.stderr[-3000:]}"
        pinned = (projects[python] / "requirements.lock").read_text()
        assert "torch==" in pinned and "gradio==" in pinned, pinned[:500]

    lowest = uv(projects[PYTHONS[0]], "lock", "--resolution", "lowest-direct")
    assert lowest.returncode == 0, lowest.stderr[-3000:]
    torch = (projects[PYTHONS[0]] / "uv.lock").read_text().split('name = "torch"\nversion = "')[1].split('"')[0]
    assert tuple(map(int, torch.split(".")[:2])) >= (2, 13), torch  # what export needs (pyproject says why)
