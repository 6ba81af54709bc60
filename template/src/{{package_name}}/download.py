"""Public datasets, fetched once with fastai's untar_data (fastdownload), with a clear error when that fails.

The archive stays in data/raw/archive and its contents in data/raw/extracted, so preparing again (a changed
param, a new experiment) does not download again. Delete data/raw to start over.
"""

from pathlib import Path

from fastai.data.external import untar_data

from .sources import DataError


def fetch(url: str, raw: Path) -> Path:
    """The folder the archive at `url` extracts to below `raw` (paths.raw), downloading and extracting it the
    first time only."""
    try:
        return untar_data(url, base=str(raw.absolute()), data=raw.absolute() / "extracted")
    # No network, a 404, a broken archive, or fastdownload's plain Exception for a file that fails its checksum:
    # whichever it is, the user needs the same three facts, not a traceback from inside the downloader.
    except Exception as error:
        reason = str(error).splitlines()[0]  # fastcore appends the whole HTML error page
        raise DataError(
            f"could not download or extract {url} ({type(error).__name__}: {reason}). Check your connection, or "
            f"set data.url to a mirror of the same archive; to start over, delete {raw} and run again."
        ) from None
