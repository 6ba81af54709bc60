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
Number = Annotated[float, BeforeValidator(_number), Strict()]
Rate = Annotated[Number, Field(gt=0)]
Ratio = Annotated[Number, Field(ge=0)]
Fraction = Annotated[Number, Field(gt=0, lt=1)]
FolderPath = Annotated[StrictStr, AfterValidator(_folder_path)]  # follows a `source` key in its section
# One params.yaml section: read-only once loaded, and a key it does not declare is an error, not ignored.
section = dataclass(frozen=True, config=ConfigDict(extra="forbid"))


def load_params(cls: type[T], path: Path | str = PARAMS_FILE, overrides: dict[str, Any] | None = None) -> T:
    """Read params.yaml into `cls` (a section of sections), apply dotted overrides, and check every key and value."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such file; run from the project's root folder, where params.yaml is") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path.name} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        *names, last = [f.name for f in dataclasses.fields(cls)]
        raise ParamsError(f"{path.name}: expected sections {', '.join(names)} and {last}, found {raw!r}")
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
    """The tiny settings of params.yaml's `smoke:` section, used by `make smoke`, CI and the tests."""
    return yaml.safe_load(Path(path).read_text()).get("smoke", {})


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
    if args.smoke_args:
        print(" ".join(f"-S {key}={yaml.safe_dump(value).splitlines()[0]}" for key, value in smoke_overrides().items()))
        return
    try:
        params = load_params(cls)
    except ParamsError as error:
        sys.exit(str(error))  # the message alone, no traceback: it already names every bad value
    if not args.check:
        print(params)
