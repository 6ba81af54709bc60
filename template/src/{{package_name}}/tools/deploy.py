"""Build the Space bundle (dist/space/) and upload it to a Hugging Face Space, creating the Space if needed.

    hf auth login                                            # once, or HF_TOKEN=hf_... in the environment
    python -m <package>.tools.deploy --space user/space-name      # (make deploy)

The token is huggingface_hub's: HF_TOKEN, else the one `hf auth login` saved (get_token). Never pass it on the
command line (shell history) and never write it to a file in the project.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from huggingface_hub import HfApi, get_token
from huggingface_hub.errors import HfHubHTTPError

from .bundle import MARKER, BundleError, bundle

SPACE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class DeployError(RuntimeError):
    """A missing token, Space id or bundle; the message says what to do."""


def check(space: str, token: str | None) -> None:
    """The settings deploy needs, checked before anything is built."""
    if not token:
        raise DeployError(
            "no Hugging Face token: neither HF_TOKEN is set nor has `hf auth login` saved one. Create a token with "
            "write access at https://huggingface.co/settings/tokens, then run `hf auth login` (or `export "
            "HF_TOKEN=hf_...` in your shell; in GitHub, the repository secret HF_TOKEN) and run again."
        )
    if not space:
        raise DeployError("No Space to deploy to: set HF_SPACE=user/space-name (or hf_space in the Makefile).")
    if not SPACE_ID.match(space):
        raise DeployError(f"{space!r} is not a Space id: expected user-or-org/space-name, e.g. jane/is-it-a-bird.")


def deploy(space: str, token: str | None, folder: Path) -> str:
    """Create the Space if needed and upload the bundle in `folder`; return the Space's URL."""
    check(space, token)
    if not (folder / MARKER).is_file():
        raise DeployError(
            f"{folder}/ is not a Space bundle (make bundle writes {MARKER} into each): only a bundle is uploaded, "
            "never a project or another folder. Run `make bundle` and deploy dist/space/, or leave out --bundle."
        )
    if not (folder / "app.py").exists() or not (folder / "models" / "model.json").exists():
        raise DeployError(f"No bundle with an exported model in {folder}/: run `make train` then `make bundle`.")
    api = HfApi(token=token)
    try:
        api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True)
        # The Space becomes exactly the bundle: files of an earlier deploy that the bundle no longer has (old
        # example images, a renamed module) are deleted in the same commit. The Hub never deletes .gitattributes.
        api.upload_folder(
            repo_id=space,
            repo_type="space",
            folder_path=str(folder),
            commit_message="Deploy from make deploy",
            delete_patterns="*",
            ignore_patterns=[MARKER],
        )
    except HfHubHTTPError as error:
        said = f": {error.server_message}" if error.server_message else ""
        raise DeployError(
            f"The Hub refused to create or update the Space {space} (HTTP {error.response.status_code}{said}). "
            "Check that the token has write access to it: a fine-grained token limited to selected repositories "
            "cannot create a Space, so create it first at https://huggingface.co/new-space and run again."
        ) from None  # the Hub's own message can quote the request: keep the token out of the log
    except Exception as error:  # no network, DNS, a timeout: errors of whichever HTTP library the Hub client uses
        raise DeployError(
            f"Could not reach the Hub to deploy {space} ({type(error).__name__}: {error}). Check your connection."
        ) from None
    return f"https://huggingface.co/spaces/{space}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Deploy the demo to a Hugging Face Space.")
    parser.add_argument("--space", default=os.environ.get("HF_SPACE", ""), help="user/space-name (default: $HF_SPACE)")
    parser.add_argument("--bundle", type=Path, help="upload this bundle as it is (default: build dist/space/ now)")
    args = parser.parse_args()
    token = get_token()  # HF_TOKEN, else the token `hf auth login` saved
    try:
        check(args.space, token)  # a missing token or Space fails in a second, before the bundle is built
        url = deploy(args.space, token, args.bundle or bundle())
    except (DeployError, BundleError) as error:
        sys.exit(f"deploy: {error}")
    print(f"Deployed: {url}")


if __name__ == "__main__":
    main()
