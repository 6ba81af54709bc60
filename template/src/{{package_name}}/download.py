"""Public datasets, fetched once with fastai's untar_data (fastdownload), with a clear error when that fails.

The archive stays in data/raw/archive and its contents in data/raw/extracted, so preparing again (a changed
param, a new experiment) does not download again. Delete data/raw to start over.
"""

import tarfile
from pathlib import Path

from fastai.data.external import untar_data

from .data import RAW, DataError


def fetch(url: str, raw: Path = RAW) -> Path:
    """The folder the archive at `url` extracts to, downloading and extracting it the first time only."""
    try:
        return untar_data(url, base=str(raw.absolute()), data=raw.absolute() / "extracted")
    except (OSError, tarfile.TarError) as error:  # no network, a 404, a download cut short
        reason = str(error).splitlines()[0]  # fastcore appends the whole HTML error page
        raise DataError(
            f"could not download or extract {url} ({reason}). Check your connection or set data.url to a mirror; "
            f"if a download was cut short, delete {raw / 'archive'} and run again."
        ) from None
