"""Upload dist/space/ to a Hugging Face Space, creating the Space if it does not exist yet.

    HF_TOKEN=hf_... python -m <package>.deploy --space user/space-name      # (make deploy)

The token is read from the HF_TOKEN environment variable only: never pass it on the command line (shell history)
and never write it to a file in the project.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from huggingface_hub import HfApi

BUNDLE = Path("dist/space")
SPACE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class DeployError(RuntimeError):
    """A missing token, Space id or bundle; the message says what to do."""


def deploy(space: str, token: str | None, bundle: Path = BUNDLE) -> str:
    """Create the Space if needed and upload the bundle; return the Space's URL."""
    if not token:
        raise DeployError(
            "HF_TOKEN is not set. Create a token with write access at https://huggingface.co/settings/tokens, "
            "then `export HF_TOKEN=hf_...` in your shell (or add it as a secret in GitHub) and run again."
        )
    if not space:
        raise DeployError("No Space to deploy to: set HF_SPACE=user/space-name (or hf_space in the Makefile).")
    if not SPACE_ID.match(space):
        raise DeployError(f"{space!r} is not a Space id: expected user-or-org/space-name, e.g. jane/is-it-a-bird.")
    if not (bundle / "app.py").exists() or not (bundle / "models" / "model.json").exists():
        raise DeployError(f"No bundle with an exported model in {bundle}/: run `make train` then `make bundle`.")
    api = HfApi(token=token)
    api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True)
    api.upload_folder(
        repo_id=space, repo_type="space", folder_path=str(bundle), commit_message="Deploy from make deploy"
    )
    return f"https://huggingface.co/spaces/{space}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Deploy the demo to a Hugging Face Space.")
    parser.add_argument("--space", default=os.environ.get("HF_SPACE", ""), help="user/space-name (default: $HF_SPACE)")
    parser.add_argument("--bundle", type=Path, default=BUNDLE)
    args = parser.parse_args()
    try:
        url = deploy(args.space, os.environ.get("HF_TOKEN"), args.bundle)
    except DeployError as error:
        sys.exit(f"deploy: {error}")
    print(f"Deployed: {url}")


if __name__ == "__main__":
    main()
