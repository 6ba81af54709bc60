"""The checks every data folder gets, and the error they raise: what each variant's data module builds on.

Hidden files and folders (.DS_Store, .ipynb_checkpoints/, .git/) are never data: a folder scan does not even enter
them, so a notebook's checkpoints never become a class or an example. Links are not followed either, files or
folders: each is named and left out, since what it points at may lie anywhere on the machine (copy the files in
instead). A label folder with nothing in it is named, and so are two files that would become one prepared file.
"""

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


class DataError(ValueError):
    """A data source that cannot be trained on; the message says what is wrong and what to do."""


def unknown_source(source: str, choices) -> DataError:
    return DataError(f"data.source is {source!r}; choose one of: {', '.join(choices)} (params.yaml).")


def scan(root: Path) -> tuple[list[Path], list[Path]]:
    """(every file below root, every link below root), sorted, hidden ones left out: no part of their path below
    root starts with a dot (.DS_Store, .ipynb_checkpoints/x.jpg, .git/…). Neither hidden folders nor links to
    folders are entered; a link is never one of the files."""
    found, links = [], []
    for folder, subfolders, names in os.walk(root):  # followlinks=False: a linked folder is listed, not entered
        links += [
            Path(folder, name) for name in subfolders if not name.startswith(".") and Path(folder, name).is_symlink()
        ]
        subfolders[:] = [
            name for name in subfolders if not name.startswith(".") and not Path(folder, name).is_symlink()
        ]
        for name in names:
            path = Path(folder, name)
            if not name.startswith("."):
                (links if path.is_symlink() else found).append(path)
    return sorted(f for f in found if f.is_file()), sorted(links)


def visible_files(root: Path) -> list[Path]:
    """Every file below root that is not hidden nor a link, sorted (see scan)."""
    return scan(root)[0]


def collisions(targets: dict[Path, Path], root: Path) -> list[str]:
    """One problem per group of files of data folder `root` that would be prepared under the same name."""
    by_target: dict[Path, list[Path]] = {}
    for source, target in targets.items():
        by_target.setdefault(target, []).append(source)
    clashes = [(target, sources) for target, sources in sorted(by_target.items()) if len(sources) > 1]
    return [
        f"{' and '.join(str(f.relative_to(root)) for f in sources)} would both be prepared as {target}: rename one."
        for target, sources in clashes
    ]


@dataclass(frozen=True)
class Examples:
    """What one variant accepts as a training example in a data folder, and the words its messages use."""

    noun: str  # one example: "image", "recording"
    suffixes: set[str]
    layout: str  # where the examples go, with {path}: "your images in one subfolder per class (e.g. {path}/cat/1.jpg)"
    unreadable: Callable[[list[Path]], Iterable[Path]]  # the examples that cannot be read
    label: str | None = None  # "class", "word": each example sits in the subfolder named after its label
    rules: Callable[[Path, list[Path]], list[str]] = lambda path, examples: []  # the variant's own problems
    prepared_as: Callable[[Path, Path], Path] | None = None  # (folder, example) -> its prepared name: no two alike


def label_of(path: Path, example: Path) -> str:
    """The subfolder of data folder `path` that `example` sits in: its label."""
    return example.relative_to(path).parts[0]


def find_examples(path: Path, kind: Examples) -> list[Path]:
    """The examples in data folder `path`, sorted; a DataError listing every problem, so that one round of fixes is
    enough: files of the wrong kind, examples outside a label subfolder, too few labels, the variant's own rules
    (kind.rules), files that cannot be read."""
    if not path.is_dir():
        layout = kind.layout.format(path=path)
        raise DataError(f"data.path {str(path)!r} is not a folder. Put {layout} or set data.path in params.yaml.")
    files, links = scan(path)
    if links:
        shown = ", ".join(str(link.relative_to(path)) for link in links[:5]) + (", ..." if len(links) > 5 else "")
        print(f"data: left out {len(links)} link(s) in {path} ({shown}): links are not followed; copy the files in")
    examples = [f for f in files if f.suffix.lower() in kind.suffixes]
    problems = []
    others = [f for f in files if f.suffix.lower() not in kind.suffixes]
    if others:
        problems.append(
            f"{len(others)} file(s) are not {kind.noun}s ({', '.join(map(str, others[:3]))}, ...): move them out "
            f"or convert them; accepted: {', '.join(sorted(kind.suffixes))}."
        )
    if kind.label:
        problems += label_problems(path, examples, kind)
    problems += kind.rules(path, examples)
    if kind.prepared_as:
        problems += collisions({f: kind.prepared_as(path, f) for f in examples}, path)
    broken = [str(f) for f in kind.unreadable(examples)]
    if broken:
        problems.append(
            f"{len(broken)} {kind.noun}(s) cannot be read (broken or truncated): {', '.join(broken[:5])}. "
            "Remove or re-export them."
        )
    if problems:
        raise DataError(f"{path} cannot be used yet:\n" + "\n".join(f"- {problem}" for problem in problems))
    return examples


def label_problems(path: Path, examples: list[Path], kind: Examples) -> list[str]:
    """A classifier's folder: every example in a label subfolder, and at least two labels."""
    problems = []
    loose = [f for f in examples if f.parent == path]
    if loose:
        problems.append(
            f"{len(loose)} {kind.noun}(s) sit directly in {path} ({loose[0].name}, ...): each {kind.noun} must be in "
            f"the subfolder named after its {kind.label}."
        )
    labels = Counter(label_of(path, f) for f in examples if f.parent != path)
    empty = sorted(
        folder.name
        for folder in path.iterdir()
        if folder.is_dir() and not folder.is_symlink() and not folder.name.startswith(".") and folder.name not in labels
    )
    if empty:
        problems.append(
            f"{', '.join(f'{name}/' for name in empty)} in {path} hold(s) no {kind.noun}s: put some in, or remove the "
            "folder (it would be a class the model never sees)."
        )
    if len(labels) < 2:
        found = f"only {next(iter(labels))!r}" if labels else f"no {kind.noun}s"
        problems.append(
            f"{path} has {found}: a classifier needs at least two {kind.label} subfolders with {kind.noun}s in them."
        )
    return problems
