"""dvc.yaml's deps follow the imports: each stage depends on exactly the package modules it runs, yours included.

    python -m <package>.kit.deps            # make train, make smoke and make exp run it first
    python -m <package>.kit.deps --check    # change nothing; exit 1 while dvc.yaml is behind (the tests run it)

It reads the import statements of each stage's module (`python -m <package>.<stage>` in dvc.yaml), follows them
through the package at any depth (ast: nothing is run), and rewrites the stage's `src/` deps to match, comments and
everything else kept, printing what it changed. So a module of your own, say augment.py imported by data.py, becomes
a dependency of every stage that runs it, and editing it makes `make train` re-run them. It also stops a stage that
imports another stage: what two stages share belongs in data.py or model.py.
Left out on purpose: modules that cannot change what a stage computes (NOT_DEPS).
"""

import argparse
import ast
import re
import sys
from pathlib import Path

PACKAGE = __package__.partition(".")[0]
DVC_YAML = Path("dvc.yaml")
SRC = Path("src")
# Imported by stages, but no dep: params.py and kit/schema.py, kit/archs.py only read and check params.yaml (DVC
# tracks its values under each stage's `params:`), paths.py names the files dvc.yaml names itself, kit/progress.py
# only prints, kit/moved.py only finds moved modules by their old names, and the __init__.py files only hold
# docstrings and a warnings filter.
NOT_DEPS = {"params", "paths", "kit.schema", "kit.archs", "kit.progress", "kit.moved"}


class DepsError(RuntimeError):
    """The package's imports break a rule of the pipeline; the message says which file and what to do."""


def module_file(module: str, src: Path = SRC) -> Path | None:
    """The file of a dotted module name of the package (my_pkg.kit.resume), or None where there is none."""
    base = src.joinpath(*module.split("."))
    for file in (base.with_suffix(".py"), base / "__init__.py"):
        if file.is_file():
            return file
    return None


def imports(module: str, src: Path = SRC) -> set[str]:
    """The package's modules that `module`'s import statements name, relative ones resolved (in functions too)."""
    file = module_file(module, src)
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    try:
        tree = ast.parse(file.read_text(), str(file))
    except SyntaxError as error:  # the stage could not run either: say where, in one line
        raise DepsError(f"{dep_path(module, src)} does not parse: {error.msg} at line {error.lineno}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(filter(None, [*parts[: len(parts) - node.level + 1], node.module]))
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]  # `from . import x`: x is a module
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and module_file(name, src) is not None:
                found.add(name)
    return found - {module}


def reachable(module: str, src: Path = SRC) -> dict[str, str]:
    """{module: the module that first imported it} for everything `module` runs, at any depth, itself included."""
    seen, todo = {module: ""}, [module]
    while todo:
        current = todo.pop()
        for name in sorted(imports(current, src)):
            if name not in seen:
                seen[name] = current
                todo.append(name)
    return seen


def dep_path(module: str, src: Path = SRC) -> str:
    """How dvc.yaml names a module's file: relative to the project, src/<package>/..."""
    return (Path(src.name) / module_file(module, src).relative_to(src)).as_posix()


def imported_by(module: str, src: Path = SRC) -> str:
    return f" (imported by {dep_path(module, src)})" if module else ""


def wanted(stage_module: str, src: Path = SRC) -> dict[str, str]:
    """{the `src/` deps a stage needs: who imports it}: its own module first, then the package's top level, then
    the subpackages', each in alphabetical order."""
    found = reachable(stage_module, src)
    keep = [
        name
        for name in found
        if module_file(name, src).name != "__init__.py" and name.removeprefix(f"{PACKAGE}.") not in NOT_DEPS
    ]
    order = sorted(keep, key=lambda name: (name != stage_module, name.count("."), name))
    return {dep_path(name, src): found[name] for name in order}


def stage_modules(stages: dict) -> dict[str, str]:
    """{stage name: its module} for the dvc.yaml stages that run `python -m <package>.<module>`."""
    out = {}
    for name, stage in stages.items():
        match = re.fullmatch(rf"python -m ({PACKAGE}(?:\.\w+)+)", str(stage.get("cmd", "")).strip())
        if match:
            out[name] = match.group(1)
    return out


def check_layers(modules: dict[str, str], src: Path = SRC) -> None:
    """Stages never import stages: DVC runs each alone, and one stage's code changing must not re-run another."""
    stages = set(modules.values())
    for name, module in modules.items():
        found = reachable(module, src)
        for other in sorted(stages & found.keys() - {module}):
            raise DepsError(
                f"the {name} stage ({dep_path(module, src)}) imports the stage module {dep_path(other, src)} "
                f"(through {dep_path(found[other], src)}): stages never import stages. Move what they share into "
                f"src/{PACKAGE}/data.py or src/{PACKAGE}/model.py."
            )


def sync(dvc_yaml: Path = DVC_YAML, src: Path = SRC, write: bool = True) -> list[str]:
    """Bring each stage's `src/` deps in dvc.yaml in step with its imports; return one line per change made (or, with
    write=False, needed)."""
    from ruamel.yaml import YAML  # DVC's own YAML library: it keeps the file's comments and layout

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    if not dvc_yaml.is_file():
        raise DepsError(f"no {dvc_yaml} here: run this from the project's root folder")
    document = yaml.load(dvc_yaml.read_text())
    stages = document.get("stages") or {}
    modules = stage_modules(stages)
    check_layers(modules, src)
    prefix = f"{src.name}/{PACKAGE}/"
    changes = []
    for name, module in modules.items():
        deps = stages[name].setdefault("deps", [])
        listed = [dep for dep in deps if isinstance(dep, str) and dep.startswith(prefix) and dep.endswith(".py")]
        needed = wanted(module, src)
        if listed == list(needed):
            continue
        added = [dep for dep in needed if dep not in listed]
        changes += [f"{name} now depends on {dep}{imported_by(needed[dep], src)}" for dep in added]
        changes += [
            f"{name} no longer depends on {dep}: nothing it runs imports it" for dep in listed if dep not in needed
        ]
        if not added and set(listed) == set(needed):
            changes.append(f"{name}: its src/ deps put in order")
        if write:
            at = deps.index(listed[0]) if listed else len(deps)
            for dep in listed:
                deps.remove(dep)
            for offset, dep in enumerate(needed):
                deps.insert(at + offset, dep)
    if changes and write:
        with dvc_yaml.open("w") as f:
            yaml.dump(document, f)
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 while dvc.yaml is behind")
    args = parser.parse_args()
    try:
        changes = sync(write=not args.check)
    except DepsError as error:
        sys.exit(f"dvc.yaml: {error}")
    for line in changes:
        print(f"dvc.yaml: {line}")
    if changes and args.check:
        sys.exit(f"dvc.yaml's deps are behind the imports: run python -m {PACKAGE}.kit.deps (make train does)")


if __name__ == "__main__":
    main()
