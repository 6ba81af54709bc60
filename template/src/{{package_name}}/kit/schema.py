"""Reading params.yaml into typed sections, checked: the machinery every variant shares (params.py declares the keys).

Every default lives in params.yaml, none in code; every value is checked when it is read. A missing or unknown key,
a value of the wrong type or out of range raises ParamsError naming the dotted key, the value and what is allowed
(every problem at once); the stages print it and stop before doing any work. Overrides are dotted keys such as
{"train.epochs": 1}, as `dvc exp run -S` takes them.
Run as a module, params.py prints the `smoke:` section as `-S` flags with --smoke-args (for `make smoke`) and only
checks the file with --check (`make train` runs it before DVC starts a stage).
"""

import argparse
import copy
import dataclasses
import difflib
import sys
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic.dataclasses import dataclass

from ..paths import PROJECT

PARAMS_FILE = PROJECT.params

T = TypeVar("T")


class ParamsError(ValueError):
    """params.yaml holds a missing, unknown or out-of-range value: the message names each one and what is allowed."""


def _number(value: Any) -> Any:
    """YAML reads 1e-3 (no dot) as a string: take it as the number it means."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return value


def _folder_path(path: str, info: ValidationInfo) -> str:
    if info.data.get("source") == "folder" and not path.strip():
        raise ValueError("must name your data folder when data.source is folder")
    return path


# Strict types: a quoted "4" or a bare `yes` is refused where a number or a flag is meant, not quietly converted.
# Floats also take integers and YAML's strings such as 1e-3.
Positive = Annotated[int, Strict(), Field(gt=0)]
Count = Annotated[int, Strict(), Field(ge=0)]  # 0 allowed: "none" or "off"
Seed = Annotated[int, Strict(), Field(ge=0, lt=2**32)]  # what numpy accepts
Number = Annotated[float, BeforeValidator(_number), Strict(), Field(allow_inf_nan=False)]  # .inf and .nan refused
Rate = Annotated[Number, Field(gt=0)]
Ratio = Annotated[Number, Field(ge=0)]
Fraction = Annotated[Number, Field(gt=0, lt=1)]
FolderPath = Annotated[StrictStr, AfterValidator(_folder_path)]  # follows a `source` key in its section
# One params.yaml section: read-only once loaded, and a key it does not declare is an error, not ignored.
section = dataclass(frozen=True, config=ConfigDict(extra="forbid"))


class _UniqueKeys(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the last, silently)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                lines = f"{seen[key] + 1} and {key_node.start_mark.line + 1}"
                raise ParamsError(
                    f"{key!r} is given twice in one section, at lines {lines}: YAML would keep the second and ignore "
                    "the first. Keep one."
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path | str = PARAMS_FILE) -> dict:
    """params.yaml's sections as a dict, or a one-line ParamsError for a missing, empty, invalid or repetitive file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(), Loader=_UniqueKeys)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such file; run from the project's root folder, where params.yaml is") from None
    except ParamsError as error:
        raise ParamsError(f"{path.name}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ParamsError(f"{path.name} is not valid YAML: {problem}{where}") from None
    if raw is None:
        raise ParamsError(f"{path.name} is empty: it needs its sections (data, train, ...); `git checkout {path.name}`")
    if not isinstance(raw, dict):
        raise ParamsError(f"{path.name}: expected sections of keys (data:, train:, ...), found {type(raw).__name__}")
    return raw


def load_params(cls: type[T], path: Path | str = PARAMS_FILE, overrides: dict[str, Any] | None = None) -> T:
    """Read params.yaml into `cls` (a section of sections), apply dotted overrides, and check every key and value."""
    path = Path(path)
    raw = read_yaml(path)
    raw.pop("smoke", None)  # overrides for `make smoke`, read by smoke_overrides; no stage setting
    try:
        return TypeAdapter(cls).validate_python(apply_overrides(raw, overrides or {}))
    except ValidationError as error:
        raise ParamsError("\n".join(f"{path.name}: {_problem(cls, e)}" for e in error.errors())) from None


def apply_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    raw = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return raw


def smoke_overrides(path: Path | str = PARAMS_FILE) -> dict[str, Any]:
    """The tiny settings of params.yaml's `smoke:` section, used by `make smoke`, CI and the tests: a section of
    dotted keys (train.epochs: 6), never empty (make smoke would run the real pipeline)."""
    name = Path(path).name
    smoke = read_yaml(path).get("smoke")
    if not smoke or not isinstance(smoke, dict):
        raise ParamsError(
            f"{name}: its smoke: section is {'missing' if smoke is None else 'empty or not keys'}: make smoke would "
            "run the real pipeline (the full dataset, the real settings). Give it the tiny settings, one dotted key "
            "per line, e.g. `data.source: sample` and `train.epochs: 2` (git show HEAD:params.yaml has them)."
        )
    loose = [str(key) for key in smoke if not isinstance(key, str) or "." not in key]
    if loose:
        raise ParamsError(f"{name}: smoke: {', '.join(loose)} is not a dotted key such as train.epochs")
    return smoke


def check_smoke(cls: type, path: Path | str = PARAMS_FILE) -> dict[str, Any]:
    """The smoke overrides, checked as the stages will read them: the file with them applied is valid."""
    smoke = smoke_overrides(path)
    try:
        load_params(cls, path, smoke)
    except ParamsError as error:
        raise ParamsError("\n".join(f"smoke: {line}" for line in str(error).splitlines())) from None
    return smoke


def _problem(cls: type, error: dict) -> str:
    """One line for one of pydantic's errors: `train.epochs = -3 is not allowed: must be greater than 0`."""
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"{key} is missing"
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        *parents, name = error["loc"]
        known = [f.name for f in dataclasses.fields(_section(cls, parents))]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean {'.'.join([*map(str, parents), close[0]])}?" if close else f"known: {', '.join(known)}"
        return f"{key} is not a known key ({hint})"
    value = repr(error["input"])
    value = value if len(value) <= 60 else value[:57] + "..."
    reason = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if error["type"] == "bool_type":
        reason = "must be true or false"
    elif error["type"] == "dataclass_type":
        reason = "must be a section of keys"
    return f"{key} = {value} is not allowed: {reason}"


def _section(cls: type, parents: list) -> type:
    """The section class an error's location points into, to list the keys it does know."""
    for name in parents:
        cls = {f.name: f.type for f in dataclasses.fields(cls)}[name]
    return cls


def main(cls: type) -> None:
    """The command line of params.py: `cls` is its Params."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke-args", action="store_true", help="print the smoke section as dvc -S flags")
    parser.add_argument("--check", action="store_true", help="only check params.yaml: silent when it is valid")
    args = parser.parse_args()
    try:
        if args.smoke_args:
            smoke = check_smoke(cls)
            print(" ".join(f"-S {key}={yaml.safe_dump(value).splitlines()[0]}" for key, value in smoke.items()))
            return
        params = load_params(cls)
        if args.check:
            check_smoke(cls)
    except ParamsError as error:
        sys.exit(str(error))  # the message alone, no traceback: it already names every bad value
    if not args.check:
        print(params)
