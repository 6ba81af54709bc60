"""The modules that moved one folder down keep their old names for `python -m`: `python -m <package>.deploy` runs
tools/deploy.py, saying where it went. Scripts, CI files and habits from before the move keep working; use the new
names (`<package>.tools.deploy`, `<package>.serve.predict`, `<package>.kit.resume`, ...) in anything new.

Hand-written because the standard library has no alias for a moved module: a finder on sys.meta_path answers
`<package>.<name>` with the spec of the module of that name in serve/, kit/ or tools/ (its own name, so that its
relative imports work).
"""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

PACKAGE = __package__.partition(".")[0]
FOLDERS = ("serve", "kit", "tools")


class MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        parent, _, name = fullname.rpartition(".")
        if parent != PACKAGE:
            return None
        root = Path(__file__).resolve().parents[1]
        for folder in FOLDERS:
            if (root / folder / f"{name}.py").is_file():
                print(f"{fullname} moved to {PACKAGE}.{folder}.{name}: use that name", file=sys.stderr)
                new = f"{PACKAGE}.{folder}.{name}"
                return importlib.util.spec_from_file_location(new, root / folder / f"{name}.py", loader=Loader(new))
        return None


class Loader(importlib.machinery.SourceFileLoader):
    """The moved module's own loader, which runpy may ask for its code under the old name."""

    def __init__(self, name: str):
        root = Path(__file__).resolve().parents[1]
        super().__init__(name, str(root.joinpath(*name.split(".")[1:]).with_suffix(".py")))

    def get_code(self, fullname):
        return super().get_code(self.name)


def install() -> None:
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())  # last: a real module of the name always wins
