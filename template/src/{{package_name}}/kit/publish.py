"""What of the params goes public: export writes them into models/model.json, which the Space and its model card show.

The data and train settings describe the model and stay, with two kinds of value cut down first: an address keeps
its scheme, host and path and loses its user, password, query and fragment (a signed `?X-Amz-Signature=...`, a
`?token=...`), and a local path becomes relative to the project, or is dropped when it lies outside (your home
folder's layout is nobody's business).
"""

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

OUTSIDE = "(a folder outside the project)"


def public_url(value: str) -> str:
    """scheme://host[:port]/path of an address: credentials, query and fragment left out."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def public_path(value: str, root: Path) -> str:
    """A path relative to the project's root, or OUTSIDE."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = root / path
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return OUTSIDE


def public_value(key: str, value, root: Path):
    if not isinstance(value, str) or not value:
        return value
    if "://" in value:
        return public_url(value)
    if key == "path" or key.endswith("_path") or value.startswith(("/", "~")):
        return public_path(value, root)
    return value


def public_params(params, root: Path = Path(".")) -> dict:
    """{"data": {...}, "train": {...}} of `params`, fit to publish."""
    sections = {"data": dataclasses.asdict(params.data), "train": dataclasses.asdict(params.train)}
    return {
        name: {key: public_value(key, value, root) for key, value in section.items()}
        for name, section in sections.items()
    }
