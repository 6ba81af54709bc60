"""Every variant renders into a complete, lint-clean project holding its own files and no other variant's."""

import ast
import os
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
STAGES = ["prepare", "train", "evaluate", "export", "params", "serve/predict", "tools/bundle", "tools/deploy"]
STAGES += ["tools/collect", "tools/post", "kit/deps", "kit/fit"]
PIPELINE_STAGES = {"prepare", "train", "evaluate", "export"}  # the dvc.yaml stages: none imports another
# Imported by stages but no dvc.yaml dep: params.py, kit/schema.py and kit/archs.py only read and check params.yaml
# (DVC tracks the values under `params:`), paths.py names the files dvc.yaml names itself (its outs), kit/progress.py
# only prints, the __init__.py files hold docstrings and quiet warnings. None of them changes what a stage computes.
NOT_DEPS = {"params", "kit.schema", "kit.archs", "paths", "kit.progress", "kit.moved"}
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
    # As a user types it: not a sub-make of the template's `make test` (which would print "Entering directory").
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}
    out = subprocess.run(["make", "help"], cwd=rendered(variant), env=env, capture_output=True, text=True, check=True)
    out = out.stdout
    listed = re.findall(r"^\s*(?:\x1b\[\d+m)?([a-z-]+)", out, flags=re.M)
    assert set(TARGETS) <= set(listed), out
    plain = re.sub(r"\x1b\[\d+m", "", out)
    assert max(map(len, plain.splitlines())) <= 80, plain  # a terminal's width
    headings = re.findall(r"^(\S.*):$", plain, flags=re.M)  # grouped by what a target is for
    assert headings[:2] == ["Start here", "The pipeline"] and len(headings) >= 5, plain


def package_modules(package: Path) -> dict[str, Path]:
    """{dotted name inside the package ("train", "kit.resume"): its file} for a package and its subpackages."""
    out = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"] = path
    return out


def package_imports(package: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports} (dotted inside the package), read with ast, imports in functions
    too; `from .x import y` counts x, and y too where y is a module."""
    modules = package_modules(package)
    graph = {}
    for name, path in modules.items():
        here = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
        here = [] if name == "__init__" else here
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith(f"{package.name}.")]
                dotted = [name.removeprefix(f"{package.name}.") for name in names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = [*here[: len(here) - node.level + 1], *filter(None, [node.module])]
                elif (node.module or "").startswith(package.name):
                    base = node.module.split(".")[1:]
                else:
                    continue
                dotted = [".".join(base), *(".".join([*base, a.name]) for a in node.names)]
            else:
                continue
            found |= {d for d in dotted if d in modules and d != name}
        graph[name] = found
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        new = graph[todo.pop()] - seen
        seen |= new
        todo += new
    return seen


def template_files() -> list[tuple[str, set[str]]]:
    """(dotted module, the variants its template file renders for), one per file of the template package: a module
    that differs by variant has several files, each with its condition in its name."""
    package = REPO / "template/src/{{package_name}}"
    out = []
    for path in package.rglob("*.py*"):
        rel = str(path.relative_to(package))
        match = re.search(r"\{% if (not )?(is_\w+) %\}(.+?)\{% endif %\}", rel)
        name = rel.replace(match.group(0), match.group(3)) if match else rel
        dotted = name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        out.append((dotted, {v for v in VARIANTS if not match or flags(v)[match.group(2)] != bool(match.group(1))}))
    return out


# The learner's modules: the package's top level holds these and no others, in every variant.
LEARNER = {"prepare", "train", "evaluate", "export", "data", "model", "params", "paths"}
SUBPACKAGES = {"serve", "kit", "tools"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_top_level_is_the_learners_and_each_subpackage_says_what_it_holds(rendered, variant):
    package = rendered(variant) / "src/my_capstone"
    assert {p.stem for p in package.glob("*.py")} == LEARNER | {"__init__"}, sorted(package.glob("*.py"))
    assert {p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"} == SUBPACKAGES
    for sub in SUBPACKAGES:
        doc = ast.get_docstring(ast.parse((package / sub / "__init__.py").read_text()))
        assert doc and "need not read" in doc or sub == "serve", (sub, doc)
        listed = {p.stem for p in (package / sub).glob("*.py")} - {"__init__"}
        assert all(f"{name}.py" in doc for name in listed), f"{sub}/__init__.py does not name {sorted(listed)}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_stage_imports_a_stage_and_shared_modules_import_only_what_every_variant_has(rendered, variant):
    graph = package_imports(rendered(variant) / "src/my_capstone")
    for stage in PIPELINE_STAGES:
        assert not reachable(graph, stage) & (PIPELINE_STAGES - {stage}), f"{variant}: {stage}.py imports a stage"
    # A template file shared by several variants (no condition in its name, or both classifiers) imports only
    # modules every one of them has (a module of the same name and interface in each, such as data.py).
    files = template_files()
    having = {name: set().union(*(v for n, v in files if n == name)) for name, _ in files}
    for name, variants in files:
        if variant in variants and len(variants) > 1 and name in graph:
            missing = sorted(m for m in graph[name] if not variants <= having.get(m, set()))
            assert not missing, f"{name}, shared by {sorted(variants)}, imports {missing}, which not all of them have"


@pytest.mark.parametrize("variant", VARIANTS)
def test_dvc_deps_are_the_modules_each_stage_imports(rendered, variant):
    """A stage re-runs when code it runs changes, and only then: its deps list exactly what it imports, at any depth,
    as this test computes it and as the project's own kit/deps.py (make train runs it) keeps them."""
    project = rendered(variant)
    graph = package_imports(project / "src/my_capstone")
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert set(stages) == PIPELINE_STAGES
    for name, stage in stages.items():
        assert stage["cmd"] == f"python -m my_capstone.{name}"
        listed = [dep for dep in stage["deps"] if dep.startswith("src/")]
        wanted = {m for m in reachable(graph, name) - NOT_DEPS if not m.endswith("__init__") and m not in SUBPACKAGES}
        wanted = {f"src/my_capstone/{m.replace('.', '/')}.py" for m in wanted}
        missing, extra = sorted(wanted - set(listed)), sorted(set(listed) - wanted)
        assert not missing and not extra, f"{variant}: {name} lacks {missing}, has extra {extra}"
    check = subprocess.run(
        [PYTHON, "-m", "my_capstone.kit.deps", "--check"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


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
    assert (project / "src/is_it_a_bird/serve/predict.py").exists()
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
    assert {update["package-ecosystem"] for update in dependabot["updates"]} == {"github-actions", "uv", "pre-commit"}
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
    """One set of rules: the hook runs the project environment's ruff (pyproject's pin, which make lint runs and
    dependabot updates), and the tests lint with that same version."""
    project = rendered("image_classifier")
    dev = tomllib.loads((project / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    pinned = next(dep.split(";")[0].removeprefix("ruff==").strip() for dep in dev if dep.startswith("ruff=="))
    repos = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    assert not [repo for repo in repos if "ruff" in repo["repo"]], "ruff is pinned once, in pyproject.toml"
    hooks = {hook["id"]: hook for repo in repos if repo["repo"] == "local" for hook in repo["hooks"]}
    assert hooks["ruff"]["entry"].startswith("uv run --frozen ruff check") and hooks["ruff"]["language"] == "system"
    assert hooks["ruff-format"]["entry"].startswith("uv run --frozen ruff format")
    ours = subprocess.run([PYTHON, "-m", "ruff", "--version"], capture_output=True, text=True, check=True).stdout
    assert ours.split() == ["ruff", pinned]


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
