"""Your own data folder (data.path, data/own by default): adding files to it safely, for `make collect`.

A file goes into <folder>/<label>/, named by its content: the first 16 hex digits of its sha256, then its suffix. The
same image or recording, downloaded or imported twice, is stored once, whatever name the copy already there has
and wherever it sits in that label's folder. Nothing in the folder is ever overwritten, moved or deleted.

Each run appends what it did to <folder>/.collect-report.txt, and where each added file came from to
<folder>/.sources.csv (check the licences before you publish). Both names start with a dot: the data scan
(sources.find_examples) skips hidden files, and stops at any visible file that is not an example.
"""

import csv
import datetime
import hashlib
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..kit.sources import visible_files
from ..paths import PROJECT

SOURCES = ".sources.csv"
REPORT = ".collect-report.txt"
SOURCE_FIELDS = ("file", "label", "url", "page", "query", "date")
SHOWN_DUPLICATES = 10  # a second run over the same search finds every image again: name a few, count the rest
HASH_CHARS = 16  # 64 bits of sha256: two different files sharing a name is a one-in-10^8 event among a million files


def content_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()  # images and clips are small: no need to stream


def label_problem(label: str) -> str | None:
    """Why `label` cannot be a folder name under the data folder, or None when it can."""
    if not label.strip():
        return "a label cannot be empty"
    if label.startswith(".") or "/" in label or "\\" in label:
        return f"{label!r} cannot be a label: no slashes, and no leading dot (hidden folders are never read)"
    return None


@dataclass
class Entry:
    label: str
    source: str  # where the file came from: a URL, a path, "microphone"
    detail: str = ""  # the stored file (added), the copy already there (duplicate), or what is wrong (broken)


@dataclass
class Report:
    """What one run did, per label: files added, duplicates skipped, broken ones left out (with the reason)."""

    added: list[Entry] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    broken: list[Entry] = field(default_factory=list)

    def __str__(self) -> str:
        counts = {name: Counter(e.label for e in getattr(self, name)) for name in ("added", "duplicates", "broken")}
        labels = sorted(set().union(*counts.values()))
        lines = [
            f"  {label}: {counts['added'][label]} added, {counts['duplicates'][label]} duplicate(s) skipped, "
            f"{counts['broken'][label]} broken"
            for label in labels
        ] or ["  nothing to add"]
        for title, entries, most in (
            ("duplicates (already there)", self.duplicates, SHOWN_DUPLICATES),
            ("broken (left out)", self.broken, None),
        ):
            if entries:
                lines.append(f"{title}:")
                lines += [f"  {e.label}: {e.source}: {e.detail}" for e in entries[:most]]
                if most and len(entries) > most:
                    lines.append(f"  ... and {len(entries) - most} more")
        return "\n".join(lines)


class OwnFolder:
    """One run's additions to a data folder: `add` files, note `broken` ones, then `finish` writes the records."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.report = Report()
        self.rows: list[dict] = []
        self.known: dict[str, dict[str, Path]] = {}  # label: {sha256: the file holding those bytes}

    def files(self, label: str) -> dict[str, Path]:
        if label not in self.known:
            folder = self.root / label
            self.known[label] = {content_hash(f): f for f in visible_files(folder)} if folder.is_dir() else {}
        return self.known[label]

    def add(self, file: Path, label: str, source: str, **details: str) -> Path | None:
        """Copy `file` into <root>/<label>/<hash><suffix> unless that folder holds the same bytes already; return
        the new file, or None for a duplicate. `details` (page, query) go to the sources file."""
        digest, known = content_hash(file), self.files(label)
        if digest in known:
            self.report.duplicates.append(Entry(label, source, f"same as {known[digest].relative_to(self.root)}"))
            return None
        target = self.root / label / f"{digest[:HASH_CHARS]}{file.suffix.lower()}"
        if target.exists():  # a different file under that name (a hash-prefix clash): the full hash is unique
            target = target.with_name(digest + target.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")  # hidden until complete: an interruption leaves no half file
        shutil.copyfile(file, partial)
        partial.replace(target)
        known[digest] = target
        name = target.relative_to(self.root).as_posix()
        self.report.added.append(Entry(label, source, name))
        self.rows.append({"file": name, "label": label, "url": source, "date": today()} | details)
        return target

    def broken(self, label: str, source: str, why: str) -> None:
        self.report.broken.append(Entry(label, source, why))

    def finish(self, command: str) -> str:
        """Append the sources of the added files and this run's report to the folder's records; return the report."""
        text = f"{self.root}:\n{self.report}"
        if not self.rows and not self.report.duplicates and not self.report.broken:
            return text
        self.root.mkdir(parents=True, exist_ok=True)
        sources = self.root / SOURCES
        if self.rows:
            new = not sources.exists()
            with sources.open("a", newline="") as f:
                writer = csv.DictWriter(f, SOURCE_FIELDS, restval="")
                if new:
                    writer.writeheader()
                writer.writerows(self.rows)
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with (self.root / REPORT).open("a") as f:
            f.write(f"{stamp} {command}\n{text}\n\n")
        return text


def today() -> str:
    return datetime.date.today().isoformat()


def next_step(dest: Path, params: Path = PROJECT.params) -> str:
    """How to train on `dest`: prepare reads it only when params.yaml's data section names it, with source: folder.
    (Read as plain YAML, the two keys every variant has: the typed params are each variant's own module.)"""
    try:
        data = yaml.safe_load(params.read_text())["data"]
        source, path = data["source"], data["path"]
    except (OSError, yaml.YAMLError, TypeError, KeyError):  # outside a project (--dest), or params.yaml broken
        return "To train on it, set data.source: folder and data.path in params.yaml."
    if source == "folder" and (params.parent / path).resolve() == Path(dest).resolve():
        return "Then `make data` (it re-reads the folder) and `make train`."
    return f"To train on it, set data.source: folder and data.path: {dest} in params.yaml, then `make train`."
