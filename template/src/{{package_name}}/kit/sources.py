"""The checks every data folder gets, and the error they raise: what each variant's data module builds on.

Hidden files and folders (.DS_Store, .ipynb_checkpoints/, .git/) are
never data: a folder scan does not even enter them, so a notebook's checkpoints never become a class or an example.
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


def visible_files(root: Path) -> list[Path]:
    """Every file below root, sorted, but for hidden ones: no part of their path below root starts with a dot
    (.DS_Store, .ipynb_checkpoints/x.jpg, .git/…); hidden folders are not even entered."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [Path(folder, name) for name in names if not name.startswith(".")]
    return sorted(f for f in found if f.is_file())


@dataclass(frozen=True)
class Examples:
    """What one variant accepts as a training example in a data folder, and the words its messages use."""

    noun: str  # one example: "image", "recording"
    suffixes: set[str]
    layout: str  # where the examples go, with {path}: "your images in one subfolder per class (e.g. {path}/cat/1.jpg)"
    unreadable: Callable[[list[Path]], Iterable[Path]]  # the examples that cannot be read
    label: str | None = None  # "class", "word": each example sits in the subfolder named after its label
    rules: Callable[[Path, list[Path]], list[str]] = lambda path, examples: []  # the variant's own problems


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
    files = visible_files(path)
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
    if len(labels) < 2:
        found = f"only {next(iter(labels))!r}" if labels else f"no {kind.noun}s"
        problems.append(
            f"{path} has {found}: a classifier needs at least two {kind.label} subfolders with {kind.noun}s in them."
        )
    return problems
