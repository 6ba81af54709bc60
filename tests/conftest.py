"""Render the template the way users do, from a committed copy of this checkout."""

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "copier.yml").read_text())
VARIANTS = list(CONFIG["variant"]["choices"].values())  # the matrix comes from copier.yml, never a copy of it
PYTHON = sys.executable  # one shared environment drives every rendered project: `make ... PYTHON=`

# Offline, quiet, and independent of the user's git and copier settings.
os.environ.update(
    DVC_NO_ANALYTICS="1",
    ITERATIVE_DO_NOT_TRACK="1",
    GRADIO_ANALYTICS_ENABLED="False",
    GIT_AUTHOR_NAME="Template Tests",
    GIT_AUTHOR_EMAIL="tests@example.com",
    GIT_COMMITTER_NAME="Template Tests",
    GIT_COMMITTER_EMAIL="tests@example.com",
)


# make test runs two pytest-xdist workers on a 2-core machine: most of a test's time is one process (imports, DVC, git,
# the demo starting), so two share the cores well. A worker's training then gets one thread, not a second team of
# threads competing for the same two cores (torch's default: one per core).
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session", autouse=True)
def copier_settings(tmp_path_factory):
    settings = tmp_path_factory.mktemp("settings") / "copier.yml"
    settings.write_text("{}\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(settings)


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """This checkout's files (tracked, and new but not ignored) committed in a fresh repo: a clean template."""
    dest = tmp_path_factory.mktemp("template")
    listed = git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "template under test")
    return dest


def render(template: Path, dest: Path, variant: str, vcs_ref: str = "HEAD", **answers) -> Path:
    copier.run_copy(
        str(template),
        dest,
        data={"variant": variant, **answers},
        defaults=True,
        unsafe=False,
        vcs_ref=vcs_ref,
        quiet=True,
    )
    return dest


@pytest.fixture(scope="session")
def rendered(template, tmp_path_factory):
    """One default rendering per variant, shared by the read-only tests."""
    cache: dict[str, Path] = {}

    def get(variant: str) -> Path:
        if variant not in cache:
            cache[variant] = render(template, tmp_path_factory.mktemp(variant) / "project", variant)
        return cache[variant]

    return get


def flags(variant: str) -> dict[str, bool]:
    """The derived flags of copier.yml (`when: false` questions), evaluated for one variant."""
    env = {"variant": variant}
    out = {}
    for name, question in CONFIG.items():
        if isinstance(question, dict) and question.get("type") == "bool" and question.get("when") is False:
            expression = re.fullmatch(r"\{\{\s*(.+?)\s*\}\}", question["default"]).group(1)
            out[name] = bool(eval(expression, {}, env))  # noqa: S307 - our own copier.yml
    return out


def make(project, *targets):
    result = subprocess.run(["make", *targets, f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, f"make {' '.join(targets)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


class Generated:
    """A rendered, committed project shared by the tests of one variant (test_generated, test_browser); `smoked()` runs
    make smoke once."""

    def __init__(self, variant: str, path: Path):
        self.variant, self.path, self.has_smoked = variant, path, False

    def smoked(self) -> Path:
        if not self.has_smoked:
            make(self.path, "smoke")
            self.has_smoked = True
        return self.path


@pytest.fixture(scope="session", params=VARIANTS)
def generated(request, template, tmp_path_factory) -> Generated:
    """Each test leaves the project as it found it, params.yaml included. The project sits alone in a fresh temp
    folder: its default DVC remote (`../<slug>-dvc-storage`) lands beside it, inside that folder."""
    project = render(template, tmp_path_factory.mktemp(request.param) / "project", request.param)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")
    return Generated(request.param, project)


def free_port() -> int:
    """A loopback port nothing listens on now, for a demo server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
