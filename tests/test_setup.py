"""`make setup`'s choices, checked quickly with a stand-in for uv: which torch build, what happens when PyTorch's
index or the answered Python is out of reach, and the first commit. The real uv runs in test_readme.py."""

import os
import subprocess
import tomllib

import pytest

from .conftest import git, render

# A stand-in uv: logs its arguments, fails `uv lock` when FAKE_UV_OFFLINE is set, and has no Python when
# FAKE_UV_NO_PYTHON is set.
FAKE_UV = """#!/bin/sh
echo "$*" >> "$FAKE_UV_LOG"
case "$1 $2" in
  "lock "*) [ -z "$FAKE_UV_OFFLINE" ] ;;
  "python "*) [ -z "$FAKE_UV_NO_PYTHON" ] ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def project(template, tmp_path):
    return render(template, tmp_path / "p", "image_classifier")


def setup(project, tmp_path, *args, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "uv").write_text(FAKE_UV)
    (bin_dir / "uv").chmod(0o755)
    log = tmp_path / "uv.log"
    log.write_text("")
    environ = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_UV_LOG": str(log), **env}
    result = subprocess.run(["make", "setup", *args], cwd=project, env=environ, capture_output=True, text=True)
    return result, log.read_text().splitlines()


def uv_config(project):
    return tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]


def test_cpu_torch_comes_from_pytorchs_index_and_pypi_switches_back(project, tmp_path):
    original = (project / "pyproject.toml").read_text()
    result, calls = setup(project, tmp_path, "TORCH=cpu")
    assert result.returncode == 0, result.stdout + result.stderr
    config = uv_config(project)
    assert config["index"] == [{"name": "pytorch-cpu", "url": "https://download.pytorch.org/whl/cpu", "explicit": True}]
    assert config["sources"]["torch"] == [{"index": "pytorch-cpu", "marker": "sys_platform == 'linux'"}]
    assert calls[0] == "lock --quiet" and "sync" in calls
    assert "CPU-only wheels" in result.stdout

    result, calls = setup(project, tmp_path, "TORCH=pypi")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "pyproject.toml").read_text() == original
    assert "sources" not in uv_config(project)


def test_an_unreachable_pytorch_index_falls_back_to_pypi_in_one_line(project, tmp_path):
    result, calls = setup(project, tmp_path, "TORCH=cpu", FAKE_UV_OFFLINE="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "falling back to PyPI's build" in result.stdout
    assert "sources" not in uv_config(project) and "sync" in calls


def test_auto_keeps_the_recorded_choice_once_locked(project, tmp_path):
    (project / "uv.lock").write_text("# a lock from an earlier setup\n")
    result, calls = setup(project, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lock --quiet" not in calls and "sync" in calls
    assert "sources" not in uv_config(project)


def test_the_first_commit_is_made_once_and_history_is_never_touched(project, tmp_path):
    result, _ = setup(project, tmp_path, "TORCH=pypi")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Made the first git commit" in result.stdout
    assert "pyproject.toml" in git(project, "ls-files")
    head = git(project, "rev-parse", "HEAD")
    (project / "notes.md").write_text("mine\n")
    result, _ = setup(project, tmp_path, "TORCH=pypi")
    assert result.returncode == 0 and "Made the first git commit" not in result.stdout
    assert git(project, "rev-parse", "HEAD") == head
    assert "?? notes.md" in git(project, "status", "--short")


def test_a_missing_python_says_which_and_what_to_do(project, tmp_path):
    (project / ".python-version").write_text("3.12\n")
    result, calls = setup(project, tmp_path, "TORCH=pypi", FAKE_UV_NO_PYTHON="1")
    assert result.returncode != 0
    assert "Python 3.12 (.python-version) is not on this machine" in result.stdout
    assert "sync" not in calls


def test_without_uv_setup_says_how_to_get_it(project, tmp_path):
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (os.path.exists(f"{p}/uv")))
    result = subprocess.run(
        ["make", "setup"], cwd=project, env={**os.environ, "PATH": path}, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "pip install uv" in result.stdout


def test_targets_say_what_to_run_before_setup(project):
    for target, message in (("smoke", "run make setup first"), ("train", "run make setup first")):
        result = subprocess.run(["make", target], cwd=project, capture_output=True, text=True)
        assert result.returncode != 0 and message in result.stdout, result.stdout + result.stderr


def test_an_unknown_torch_choice_is_refused(project, tmp_path):
    result, calls = setup(project, tmp_path, "TORCH=cuda")
    assert result.returncode != 0
    assert "TORCH=cuda: use cpu, pypi" in result.stdout and "sync" not in calls
