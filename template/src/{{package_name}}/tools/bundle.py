"""Build dist/space/: exactly what a Hugging Face Space needs to serve the demo, and nothing else.

    make bundle        # after make train or make smoke (runs python -m <package>.bundle)

app.py, the package modules it imports (never the training stages), the exported model (never the training
checkpoint, nor the .gitignore DVC writes into models/: a Space cloned and pushed with git would silently drop the
model it names), a serving-only requirements.txt, and a README.md whose front matter configures the Space and whose
body is a model card generated from model.json (the settings the model was trained with), the DVC metrics and the
evaluation's pictures (images/).
The card's title, emoji, tags and one-line summary come from pyproject.toml's [tool.space] table: edit them there.
Never edit dist/space by hand: it is rebuilt each time.
"""

import argparse
import ast
import json
import shutil
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml
from huggingface_hub import SpaceCardData
from packaging.requirements import Requirement

PACKAGE = __package__.partition(".")[0]  # the project's import name: the only one of its modules a Space may need
DEST = Path("dist/space")
# What export writes into models/, the only files of it the Space gets (patterns relative to models/).
MODEL_FILES = ("model.json", "model.onnx", "model.safetensors", "examples/*", "unet/config.json", "unet/*.safetensors")
MODEL_FILES += ("scheduler/scheduler_config.json",)
# Written into every bundle, so that a folder is known for one: bundle --dest empties only such a folder, and deploy
# uploads only such a folder (without this file).
MARKER = "space-bundle.json"
# The Space installs Gradio itself from sdk_version; pinning it again in requirements.txt would fight that.
PROVIDED_BY_SPACE = {"gradio"}


class BundleError(RuntimeError):
    """Something the bundle needs is missing; the message says how to make it."""


def read_pyproject(project: Path) -> dict:
    return tomllib.loads((project / "pyproject.toml").read_text())


def requirements(project: dict) -> list[str]:
    """The project's own serving dependencies, pinned to the versions this environment runs, CPU torch."""
    names = [Requirement(dep).name for dep in project["dependencies"]]
    # CPU wheels where serving needs torch: the free Space has no GPU (the classifiers serve ONNX, without torch).
    lines = ["--extra-index-url https://download.pytorch.org/whl/cpu"] if "torch" in names else []
    for dep, name in zip(project["dependencies"], names, strict=True):
        if name.lower() in PROVIDED_BY_SPACE:
            continue
        try:
            # Without the local label: torch 2.x+cu121 from a GPU machine is on neither PyPI nor the CPU index.
            lines.append(f"{name}=={version(name).split('+')[0]}")
        except PackageNotFoundError:
            lines.append(dep)
    return lines


def serving_modules(project: Path) -> list[Path]:
    """The package's modules app.py imports, directly or through one another, with each __init__.py on the way.

    Read from the import statements (ast: nothing is run), so the Space gets the serving path and no training
    stage, and a module predict starts to import comes along without a list to keep up to date. A module imported
    by a name built at run time (importlib) is not seen: import it with a statement.
    """
    src = project / "src"
    found: set[Path] = set()
    todo = [(project / "app.py", "")]  # (a file, the package its relative imports start from)
    while todo:
        for name in imported_names(*todo.pop()):
            parts = name.split(".")
            if parts[0] != PACKAGE:
                continue
            for depth in range(1, len(parts) + 1):  # pkg, pkg.sub, pkg.sub.module: importing one runs its parents
                stem, dotted = src.joinpath(*parts[:depth]), ".".join(parts[:depth])
                # A package's relative imports start from itself, a module's from its parent.
                candidates = {stem / "__init__.py": dotted, stem.with_suffix(".py"): dotted.rpartition(".")[0]}
                for file, package in candidates.items():
                    if file.is_file() and file not in found:
                        found.add(file)
                        todo.append((file, package))
    return sorted(found)


def imported_names(path: Path, package: str) -> list[str]:
    """Every module name path's import statements may refer to, relative ones resolved from package."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from .x import y, from . import x
                parts = package.split(".")
                base = ".".join(filter(None, [*parts[: len(parts) - node.level + 1], node.module]))
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]  # the names may be modules too
    return names


def numbers(node: object, key: str = ""):
    """(dotted key, number) pairs of a metrics file, nested as DVCLive writes them: train.loss, eval.loss."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from numbers(value, f"{key}.{name}" if key else name)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield key, node


def metrics(project: Path, workspace: Path) -> dict[str, float]:
    """The numbers of the metrics files dvc.yaml declares (what `dvc metrics show` reports)."""
    dvc = yaml.safe_load((project / "dvc.yaml").read_text())
    found: dict[str, float] = {}
    for stage in dvc["stages"].values():
        for entry in stage.get("metrics", []):
            path = workspace / (next(iter(entry)) if isinstance(entry, dict) else entry)
            if path.exists():
                for key, value in numbers(json.loads(path.read_text())):
                    found[f"{path.parent.name}/{key}"] = value
    return found


def model_card(
    pyproject: dict, python_version: str, meta: dict, numbers: dict[str, float], images: list[str] = ()
) -> str:
    """The Space's README.md: its configuration (front matter) and a model card; `images` are the evaluation's
    pictures (paths inside the bundle), shown under the metrics they go with."""
    project, space = pyproject["project"], pyproject["tool"]["space"]
    trained = meta["params"]  # what this model was trained with (export records it), not today's params.yaml
    front = SpaceCardData(  # huggingface_hub's own: the Space's configuration, quoted as the Hub reads it
        title=space["title"],
        emoji=space["emoji"],
        colorFrom="indigo",
        colorTo="blue",
        sdk="gradio",
        sdk_version=version("gradio"),
        app_file="app.py",
        python_version=python_version,
        license=project.get("license", "other").lower(),  # no license field: all rights reserved
        short_description=project["description"][:60],
        tags=space["tags"],
    )
    rows = "\n".join(f"| {key} | {value:.4g} |" for key, value in sorted(numbers.items())) or "| (none yet) | |"
    labels = meta.get("labels") or []
    shown = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
    return f"""---
{front.to_yaml()}
---

# {space["title"]}

{project["description"]}

This Space serves {space["serves"]}. It was generated by `make bundle`: edit the project, not this file.

## Model

- Task: {meta.get("task", "?")}{f" ({len(labels)} labels: {shown})" if labels else ""}
- Data: `{json.dumps(trained["data"])}`
- Training settings: `{json.dumps(trained["train"])}`
- Weights: `models/` in safetensors, rebuilt from `model.json` (no pickle)

## Metrics (from the DVC pipeline)

| metric | value |
|---|---|
{rows}
{"".join(f"{chr(10)}![{Path(image).stem}]({image}){chr(10)}" for image in images)}
## Intended use and limits

A capstone project, for demonstration and learning. It knows only what its training data showed it: inputs unlike
that data get confident but meaningless answers. Check the metrics above on data like yours before relying on it.
"""


def model_files(models: Path) -> tuple[list[Path], list[Path]]:
    """(the files of models/ that make up the exported model, the ones left out): only what export writes ships."""
    files = sorted(path for path in models.rglob("*") if path.is_file())
    shipped = [
        path
        for path in files
        if not path.name.startswith(".") and any(path.relative_to(models).match(pattern) for pattern in MODEL_FILES)
    ]
    known = ("checkpoint", ".")  # the training checkpoint and DVC's .gitignore: left home, nothing to say about them
    return shipped, [path for path in files if path not in shipped and not path.name.startswith(known)]


def prepare_dest(dest: Path) -> None:
    """Make `dest` an empty folder for the bundle: a new one, an empty one, or one an earlier bundle made (its
    marker says so). Anything else is someone's folder: refused, never emptied."""
    if dest.exists() and not dest.is_dir():
        raise BundleError(f"{dest} is a file, not a folder: pick another --dest.")
    if dest.is_dir() and any(dest.iterdir()):
        if not (dest / MARKER).is_file():
            raise BundleError(
                f"{dest}/ holds files that make bundle did not write: it never empties a folder it did not make. "
                "Pick another --dest (a new or empty folder), or move those files away."
            )
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)


def bundle(project: Path = Path("."), workspace: Path | None = None, dest: Path = DEST) -> Path:
    """Assemble dest from the project's code and the pipeline outputs in workspace (by default the project)."""
    workspace = workspace or project
    models = workspace / "models"
    if not (models / "model.json").exists():
        raise BundleError(f"No exported model in {models}/: run `make train` (or `make smoke` for a quick one) first.")
    prepare_dest(dest)
    (dest / MARKER).write_text(json.dumps({"made by": "make bundle", "package": PACKAGE}) + "\n")
    shutil.copy(project / "app.py", dest / "app.py")
    for module in serving_modules(project):
        target = dest / module.relative_to(project)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(module, target)
    # Only the exported model: not the training checkpoint, not DVC's models/.gitignore (a git push of the Space
    # would leave the model files it lists out), nor anything else that lands in models/.
    shipped, left_out = model_files(models)
    for path in shipped:
        target = dest / "models" / path.relative_to(models)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for path in left_out:
        print(f"bundle: left out {path}: not part of the exported model")
    pyproject = read_pyproject(project)
    (dest / "requirements.txt").write_text("\n".join(requirements(pyproject["project"])) + "\n")
    meta = json.loads((models / "model.json").read_text())
    python_version = (project / ".python-version").read_text().strip()  # what the project runs on, uv's pin
    # The evaluation's pictures (sample grid, confusion matrix, ...) go next to its numbers on the card.
    pictures = sorted((workspace / "eval/plots/images").glob("*.png"))
    images = [f"images/{picture.name}" for picture in pictures]
    for picture, image in zip(pictures, images, strict=True):
        (dest / "images").mkdir(exist_ok=True)
        shutil.copy(picture, dest / image)
    card = model_card(pyproject, python_version, meta, metrics(project, workspace), images)
    (dest / "README.md").write_text(card)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the Hugging Face Space bundle.")
    parser.add_argument("--dest", type=Path, default=DEST)
    try:
        dest = bundle(dest=parser.parse_args().dest)
    except BundleError as error:
        sys.exit(f"bundle: {error}")
    print(f"Space bundle ready in {dest}/ ({sum(1 for p in dest.rglob('*') if p.is_file())} files)")


if __name__ == "__main__":
    main()
