"""Every variant renders into a complete, lint-clean project holding its own files and no other variant's."""

import ast
import re
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from .conftest import PYTHON, REPO, VARIANTS, flags, git, render

LEFTOVER_JINJA = re.compile(r"(^|[^$])\{\{|\{%")  # `${{ ... }}` is GitHub Actions syntax, not Jinja
SKELETON = [
    "README.md",
    "Makefile",
    "pyproject.toml",
    "params.yaml",
    "dvc.yaml",
    "app.py",
    ".gitignore",
    ".dvcignore",
    ".dvc/config",
    ".copier-answers.yml",
    ".pre-commit-config.yaml",
    "LICENSE",
    "tests/conftest.py",
    "notebooks/explore.ipynb",
    "notebooks/cloud.ipynb",
]
STAGES = ["prepare", "train", "evaluate", "export", "predict", "params", "bundle", "deploy", "collect", "post"]
PIPELINE_STAGES = {"prepare", "train", "evaluate", "export"}  # the dvc.yaml stages: none imports another
# Imported by stages but no dvc.yaml dep: params.py, schema.py and archs.py only read and check params.yaml (DVC
# tracks the values under `params:`), paths.py names the files dvc.yaml names itself (its outs), progress.py only
# prints, __init__.py only quiets warnings. None of them changes what a stage computes.
NOT_DEPS = {"params", "schema", "archs", "paths", "progress", "__init__"}
TARGETS = ["setup", "data", "train", "exp", "queue", "queue-run", "exps", "smoke", "demo", "bundle", "deploy"]
TARGETS += ["test", "lint", "format", "bench", "load", "collect", "lab", "post"]


def conditional_files(variant: str) -> dict[str, bool]:
    """Template files whose name carries a condition on a derived flag -> whether this variant should have them."""
    values = flags(variant)
    out = {}
    for path in (REPO / "template").rglob("*"):
        rel = str(path.relative_to(REPO / "template"))
        if match := re.search(r"\{% if (not )?(is_\w+) %\}(.+?)\{% endif %\}", rel):
            name = rel.replace(match.group(0), match.group(3)).removesuffix(".jinja")
            out.setdefault(name.replace("{{package_name}}", "my_capstone"), False)
            out[name.replace("{{package_name}}", "my_capstone")] |= values[match.group(2)] != bool(match.group(1))
    return out


def assert_ruff_clean(project: Path) -> None:
    """`ruff check` and `ruff format --check` pass on the rendering exactly as copier wrote it."""
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run([PYTHON, "-m", "ruff", *command, "."], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_jinja_is_left_in_names_or_contents(rendered, variant):
    project = rendered(variant)
    for path in project.rglob("*"):
        assert "{" not in path.name, path
        if path.is_file() and ".git" not in path.parts:
            assert not LEFTOVER_JINJA.search(path.read_text()), path


@pytest.mark.parametrize("variant", VARIANTS)
def test_skeleton_and_only_this_variants_files(rendered, variant):
    project = rendered(variant)
    for name in SKELETON + [f"src/my_capstone/{stage}.py" for stage in STAGES]:
        assert (project / name).is_file(), f"{variant}: no {name}"
    for name, wanted in conditional_files(variant).items():
        assert (project / name).exists() == wanted, f"{variant}: {name} should {'' if wanted else 'not '}exist"


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendering_passes_ruff_as_is(rendered, variant):
    project = rendered(variant)
    assert_ruff_clean(project)


@pytest.mark.parametrize("variant", VARIANTS)
def test_answers_file_records_the_answers(rendered, template, variant):
    answers = yaml.safe_load((rendered(variant) / ".copier-answers.yml").read_text())
    assert answers["variant"] == variant
    assert answers["package_name"] == "my_capstone"
    assert answers["_commit"] == git(template, "describe", "--always").strip()
    assert not {"is_image", "is_generative", "is_speech", "dataset"} & set(answers)  # derived, not stored


@pytest.mark.parametrize("variant", VARIANTS)
def test_make_help_lists_the_targets(rendered, variant):
    out = subprocess.run(["make", "help"], cwd=rendered(variant), capture_output=True, text=True, check=True).stdout
    listed = re.findall(r"^\s*(?:\x1b\[\d+m)?([a-z-]+)", out, flags=re.M)
    assert set(TARGETS) <= set(listed), out


def package_imports(package: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports} for a flat package, read with ast (imports in functions too)."""
    modules = {path.stem for path in package.glob("*.py")}
    graph = {}
    for name in modules:
        found = set()
        for node in ast.walk(ast.parse((package / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith(f"{package.name}.")}
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(package.name)):
                base = (node.module or "").removeprefix(package.name).strip(".")
                if base:  # from .x import y
                    found.add(base.split(".")[0])
                else:  # from . import x, from <package> import x
                    found |= {alias.name for alias in node.names} & modules
        graph[name] = found
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        new = graph[todo.pop()] - seen
        seen |= new
        todo += new
    return seen


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_stage_imports_a_stage_and_shared_modules_import_no_variant_module(rendered, variant):
    graph = package_imports(rendered(variant) / "src/my_capstone")
    for stage in PIPELINE_STAGES & graph.keys():
        assert not graph[stage] & (PIPELINE_STAGES - {stage}), f"{variant}: {stage}.py imports {graph[stage]}"
    # Shared: a template file with no variant condition in its name. It may import only other shared modules.
    package = REPO / "template/src/{{package_name}}"
    shared = {path.name.split(".")[0] for path in package.iterdir() if "{%" not in path.name}
    for module in shared & graph.keys():
        assert graph[module] <= shared, f"{variant}: shared {module}.py imports {sorted(graph[module] - shared)}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_dvc_deps_are_the_modules_each_stage_imports(rendered, variant):
    """A stage re-runs when code it runs changes, and only then: its deps list exactly what it imports, at any depth."""
    project = rendered(variant)
    graph = package_imports(project / "src/my_capstone")
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert set(stages) == PIPELINE_STAGES
    for name, stage in stages.items():
        assert stage["cmd"] == f"python -m my_capstone.{name}"
        listed = {dep for dep in stage["deps"] if dep.startswith("src/")}
        wanted = {f"src/my_capstone/{module}.py" for module in reachable(graph, name) - NOT_DEPS}
        assert listed == wanted, f"{variant}: {name} lacks {sorted(wanted - listed)}, extra {sorted(listed - wanted)}"


def test_answers_flow_into_the_project(template, tmp_path):
    project = render(
        template,
        tmp_path / "p",
        "image_classifier",
        project_name="Is It a Bird",
        author_name="Ada Lovelace",
        license="Apache-2.0",
        image_dataset="imagenette",
        arch="resnet50",
    )
    assert (project / "src/is_it_a_bird/predict.py").exists()
    assert "Ada Lovelace" in (project / "LICENSE").read_text()
    assert "Apache License" in (project / "LICENSE").read_text()
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert (params["data"]["source"], params["train"]["arch"]) == ("imagenette", "resnet50")
    assert 'name = "is-it-a-bird"' in (project / "pyproject.toml").read_text()


def test_no_license_file_when_none_is_chosen(template, tmp_path):
    assert not (render(template, tmp_path / "p", "image_classifier", license="none") / "LICENSE").exists()


@pytest.mark.parametrize("variant", VARIANTS)
def test_workflows_and_dependabot_pass_their_schemas_and_zizmor(rendered, variant):
    project = rendered(variant)
    workflows = sorted(str(p) for p in (project / ".github/workflows").glob("*.yml"))
    assert len(workflows) == 2, workflows
    dependabot = yaml.safe_load((project / ".github/dependabot.yml").read_text())
    assert {update["package-ecosystem"] for update in dependabot["updates"]} == {"github-actions", "uv"}
    assert all(update["groups"] for update in dependabot["updates"]), "grouped: a few pull requests a week, not dozens"
    bin_dir = Path(PYTHON).parent
    checks = [
        [str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        [str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml"],
        [str(bin_dir / "zizmor"), "--offline", str(project / ".github")],
    ]
    for command in checks:
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, f"{command[0]}:\n{result.stdout}\n{result.stderr}"


def test_make_lint_and_pre_commit_run_the_same_ruff(rendered):
    """One set of rules: the ruff pyproject pins (make lint), the pre-commit hook's, and the one the tests lint with."""
    project = rendered("image_classifier")
    dev = tomllib.loads((project / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    pinned = next(dep.split(";")[0].removeprefix("ruff==").strip() for dep in dev if dep.startswith("ruff=="))
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    hook = next(repo["rev"] for repo in hooks if repo["repo"].endswith("/ruff-pre-commit"))
    ours = subprocess.run([PYTHON, "-m", "ruff", "--version"], capture_output=True, text=True, check=True).stdout
    assert hook == f"v{pinned}" and ours.split() == ["ruff", pinned]


# The longest answers the validators allow, with the characters that need escaping in Python, TOML and YAML.
AWKWARD = {
    "project_name": "Is It a Bird? Émile's “Capstone” & More <With> a Long Name".ljust(60, "!"),
    "description": "Tells a “bird” from a plane & a <drone>: it's Émile's capstone, trained with fastai.".ljust(
        100, "!"
    ),
    "package_name": "a_package_name_as_long_as_we_allow_it_40",
    "author_name": "Émile O'Brien",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_longest_and_awkward_answers_still_render_lint_clean(template, tmp_path, variant):
    assert [len(AWKWARD[k]) for k in ("project_name", "description", "package_name")] == [60, 100, 40]
    project = render(template, tmp_path / "p", variant, **AWKWARD)
    assert_ruff_clean(project)
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["description"] == AWKWARD["description"]
    assert meta["authors"][0]["name"] == AWKWARD["author_name"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_notebooks_are_valid_and_stripped_and_stay_stripped(rendered, variant):
    """As rendered, every notebook is valid nbformat 4 without outputs (what nbstripout leaves), and pre-commit keeps
    it so: outputs (images, paths, timings) in git make every diff noise."""
    project = rendered(variant)
    notebooks = sorted((project / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            assert not cell.get("outputs") and cell.get("execution_count") is None, (path.name, cell.source[:80])
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    assert any(hook["id"] == "nbstripout" for repo in hooks for hook in repo["hooks"]), hooks
