"""What a learner reads to change a rendered project: files and lines per concern, and the package's layers.

    python benchmarks/reading.py build/example-image_classifier [more renderings ...]

For each concern the entry file a learner opens (the data: data.py; the architecture: model.py; the training loop:
train.py; the demo: app.py), plus every module of the package it imports that sits beside it at the package's top
level, other than another concern's entry (data, model, params, paths): machinery at the top level is read, machinery
in a subpackage whose docstring says it need not be read is not. Then the modules and lines of each layer: the top
level and every subpackage. Lines are physical lines (`wc -l`).
"""

import ast
import sys
from pathlib import Path

ENTRIES = {"the data": "data", "the architecture": "model", "the training loop": "train", "the demo": "app"}
OTHER_CONCERNS = {"data", "model", "params", "paths", "__init__"}


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def top_level_imports(file: Path, package: Path) -> set[str]:
    """The package's top-level modules a file imports (absolute or relative, in functions too)."""
    names = set()
    inside = file.parent == package
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and inside:  # from .x import y, from . import x
                names |= {module.split(".")[0]} if module else {alias.name for alias in node.names}
            elif node.level == 0 and module == package.name:  # from pkg import x
                names |= {alias.name for alias in node.names}
            elif node.level == 0 and module.startswith(f"{package.name}."):  # from pkg.x import y
                names.add(module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith(f"{package.name}.")}
    return {name for name in names if (package / f"{name}.py").is_file()}


def reading(project: Path) -> dict[str, tuple[int, int, list[str]]]:
    package = next((project / "src").iterdir())
    out = {}
    for concern, entry in ENTRIES.items():
        file = project / "app.py" if entry == "app" else package / f"{entry}.py"
        read = [file] + [package / f"{m}.py" for m in sorted(top_level_imports(file, package) - OTHER_CONCERNS)]
        out[concern] = (len(read), sum(lines(f) for f in read), [f.name for f in read])
    return out


def layers(project: Path) -> dict[str, tuple[int, int]]:
    package = next((project / "src").iterdir())
    out = {"top level": [p for p in package.glob("*.py") if p.name != "__init__.py"]}
    for sub in sorted(p for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        out[f"{sub.name}/"] = [p for p in sub.glob("*.py") if p.name != "__init__.py"]
    return {name: (len(files), sum(map(lines, files))) for name, files in out.items()}


def main() -> None:
    projects = [Path(p) for p in sys.argv[1:]]
    print("| project | " + " | ".join(f"to change {c}: files / lines" for c in ENTRIES) + " |")
    print("|---|" + "---|" * len(ENTRIES))
    for project in projects:
        read = reading(project)
        print(f"| {project.name} | " + " | ".join(f"{n} / {total}" for n, total, _ in read.values()) + " |")
    print()
    for project in projects:
        for concern, (_, _, names) in reading(project).items():
            print(f"{project.name}, {concern}: {', '.join(names)}")
    print()
    print("| project | layer | modules | lines |")
    print("|---|---|---:|---:|")
    for project in projects:
        for name, (count, total) in layers(project).items():
            print(f"| {project.name} | {name} | {count} | {total} |")


if __name__ == "__main__":
    main()
