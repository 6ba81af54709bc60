"""Public datasets: downloaded once, verified against the official archive's size and checksum, extracted safely.

    data/raw/archive/<name>       the archive, kept: preparing again (a changed param, a new experiment) does not
                                  download again. No network where you train? Put the archive here by hand.
    data/raw/extracted/<folder>/  its contents, and .verified.json: the checksums the archive matched

The checksums belong to the dataset, not to an address: a mirror (data.url) must serve the very same archive,
byte for byte. Nothing is extracted before the archive is verified; a file that fails is deleted, with an error
that says what was expected and what arrived. Extraction goes into a scratch folder next to its target and is
renamed into place when complete, so an interrupted or refused one leaves nothing half-extracted; members with
absolute paths, `..`, links out of the archive's folder or device files are refused (tarfile's "data" filter,
plus checks of our own). Delete data/raw to start over.
"""

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlparse

from .progress import Progress
from .sources import DataError

CHUNK = 2**20  # bytes read at a time
TIMEOUT = 60  # seconds without a byte from the server before giving up
MARKER = ".verified.json"


@dataclass(frozen=True)
class Dataset:
    """A public dataset's official archive: where it lives, its size, and the SHA-256 of the whole archive (streamed
    as it downloads, and read whole again when it is found on disk): no archive of another content passes."""

    url: str
    size: int  # bytes
    sha256: str = ""

    def __post_init__(self):
        if not self.sha256:
            raise ValueError(f"{self.url}: a Dataset needs the sha256 of its archive")
        if len(self.sha256) != 64 or self.sha256.strip("0123456789abcdef"):
            raise ValueError(f"{self.url}: sha256 must be 64 lowercase hex digits, not {self.sha256!r}")

    @property
    def archive(self) -> str:
        """The archive's file name, from the official address: a mirror's odd names (…?token=) never matter."""
        return PurePosixPath(urlparse(self.url).path).name

    @property
    def folder(self) -> str:
        """The folder it extracts to (fastai's naming): oxford-iiit-pet.tgz → oxford-iiit-pet."""
        return Path(self.archive).stem.removesuffix(".tar")

    def expected(self) -> dict:
        return {key: value for key, value in asdict(self).items() if key != "url" and value}


class Checksums:
    """The size and checksums of a stream of bytes, fed to update() as it arrives."""

    def __init__(self):
        self.size = 0
        self.sha256 = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.size += len(chunk)

    def measured(self, dataset: Dataset) -> dict:
        """The values of the checks `dataset` has, for comparison with dataset.expected()."""
        found = {"size": self.size, "sha256": self.sha256.hexdigest()}
        return {key: found[key] for key in dataset.expected()}


def fetch(dataset: Dataset, raw: Path, url: str = "") -> Path:
    """The folder `dataset` extracts to below `raw` (paths.raw): downloaded from `url` (a mirror) or its official
    address, verified and extracted the first time only. Raises DataError when any of it fails."""
    archive = raw / "archive" / dataset.archive
    target = raw / "extracted" / dataset.folder
    if verified(target, dataset):
        return target
    source = url or dataset.url
    if archive.exists():
        check_file(archive, dataset, source)
    else:
        download(source, archive, dataset)
    extract(archive, target, dataset)
    return target


def verified(target: Path, dataset: Dataset) -> bool:
    """Whether `target` holds a complete extraction of an archive that matched `dataset`'s checksums."""
    try:
        return json.loads((target / MARKER).read_text()) == dataset.expected()
    except (OSError, ValueError):
        return False


def download(url: str, archive: Path, dataset: Dataset) -> None:
    """Download `url` to `archive`, measuring it on the way: only an archive that matches `dataset` is kept."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    part = archive.with_name(archive.name + ".part")  # never mistaken for the archive, should this stop midway
    print(f"downloading {url} ({dataset.size / 1e6:,.1f} MB) to {archive}", flush=True)
    sums = Checksums()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, part.open("wb") as out:
            bar = Progress(dataset.size // CHUNK, f"downloading {dataset.archive} (MiB)")
            while chunk := response.read(CHUNK):
                out.write(chunk)
                sums.update(chunk)
                bar.update(sums.size // CHUNK)
                if sums.size > dataset.size:  # not the archive, whatever it is: no need to fill the disk with it
                    break
    # No network, a 404, a timeout, a full disk: whichever it is, the user needs the same facts, not a traceback.
    except Exception as error:
        part.unlink(missing_ok=True)
        reason = str(error).splitlines()[0] if str(error) else "no reason given"
        raise DataError(
            f"could not download {url} ({type(error).__name__}: {reason}). Check your connection, or set data.url "
            f"to a mirror of the same archive, or put the archive at {archive} yourself; to start over, delete "
            f"{archive.parent.parent} and run again."
        ) from None
    refuse_mismatch(
        part,
        sums.measured(dataset),
        dataset,
        f"{archive}, downloaded from {url},",
        "If data.url names a mirror, check that it serves that very archive; otherwise run again, and should it "
        "fail again, report it: the file on the server has changed.",
    )
    part.replace(archive)


def check_file(archive: Path, dataset: Dataset, url: str) -> None:
    """Verify an archive already on disk (kept by an earlier run, or put there by hand)."""
    sums = Checksums()
    with archive.open("rb") as f:
        bar = Progress(dataset.size // CHUNK, f"verifying {dataset.archive} (MiB)")
        while chunk := f.read(CHUNK):
            sums.update(chunk)
            bar.update(sums.size // CHUNK)
    refuse_mismatch(
        archive,
        sums.measured(dataset),
        dataset,
        f"{archive}, already on disk,",
        f"Run again to download it from {url}.",
    )


def refuse_mismatch(file: Path, found: dict, dataset: Dataset, described: str, advice: str) -> None:
    """Unless `file` measured `found` matches `dataset`: delete it and raise a DataError saying what differs."""
    wrong = [
        f"{key} {found[key]} (expected {value})" for key, value in dataset.expected().items() if found[key] != value
    ]
    if not wrong:
        return
    file.unlink(missing_ok=True)
    raise DataError(
        f"{described} is not the official {dataset.archive} ({dataset.url}): {'; '.join(wrong)}. "
        f"It was deleted, and nothing was extracted. {advice}"
    )


def extract(archive: Path, target: Path, dataset: Dataset) -> None:
    """Extract a verified tar archive into `target`, all or nothing.

    Like fastai's untar_data, an archive holding a single folder extracts to that folder's contents.
    """
    if not hasattr(tarfile, "data_filter"):  # added in Python 3.10.12, 3.11.4 and 3.12
        raise DataError(
            "this Python's tarfile has no extraction filters, so archives cannot be extracted safely: "
            "use Python 3.10.12, 3.11.4, 3.12 or newer."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(".partial-*"):  # left by an extraction that was killed
        shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))  # same filesystem: rename is atomic
    print(f"extracting {archive} to {target}", flush=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter=refuse_unsafe)
            while tar.fileobj.read(CHUNK):  # on to the end of the stream: where gzip checks its CRC of all of it
                pass
        entries = list(scratch.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() else scratch
        root.chmod(0o755)  # mkdtemp's folder is private to its owner
        (root / MARKER).write_text(json.dumps(dataset.expected()))
        if target.exists():  # an extraction this code did not verify (an older version's): replaced
            shutil.rmtree(target)
        os.replace(root, target)
    except DataError as error:
        raise DataError(f"{archive}: {error} Nothing was extracted.") from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:  # passed a partial check, yet broken
        archive.unlink(missing_ok=True)
        raise DataError(
            f"{archive} is damaged ({type(error).__name__}: {error}): it was deleted, and nothing was extracted. "
            "Run again to download it afresh."
        ) from None
    except OSError as error:
        raise DataError(
            f"could not extract {archive} to {target} ({error}); nothing was extracted. Is the disk full?"
        ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def refuse_unsafe(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    """tarfile's "data" filter, and stricter: an absolute path or a `..` is refused, not rewritten."""
    name = member.name
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive or ".." in PurePosixPath(name).parts:
        raise DataError(f"it holds {name!r}, a path outside the folder it extracts to: refused.")
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError as error:
        raise DataError(f"it holds {name!r}, which is unsafe to extract ({error}): refused.") from None
