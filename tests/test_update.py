"""`copier update`: template improvements arrive in a project and the user's own edits survive."""

import re
import shutil

import copier
import pytest
import yaml
from packaging.version import Version

from .conftest import VARIANTS, git, render

NEW_HEADER = "# Template v0.2.0: a new first line in params.yaml.\n"


def release(source, tag: str) -> None:
    """Tag a release as docs/development.md says to: an annotated PEP 440 tag, which copier orders releases by."""
    assert Version(tag) > max((Version(t) for t in git(source, "tag", "--list").split()), default=Version("0"))
    git(source, "tag", "-a", tag, "-m", f"Release {tag}")


def answered_commit(project) -> str:
    """The template version the project was rendered from, as copier records it for the next update."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_update_brings_template_changes_and_keeps_user_edits(template, tmp_path, variant):
    """A project rendered from release v0.1.0 updates to release v0.2.0: two real tags of a throwaway template."""
    source = shutil.copytree(template, tmp_path / "template")  # its own repository: tags stay out of this checkout
    release(source, "v0.1.0")
    project = render(source, tmp_path / "project", variant, vcs_ref="v0.1.0")
    # The tag itself, not a describe string (v0.1.0-1-g...) or a 0.0.0.post... version: the update starts from it.
    assert answered_commit(project) == "v0.1.0"
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")

    # The user's edits: a param and a source file.
    params = project / "params.yaml"

    def more_epochs(match: re.Match) -> str:
        return f"  epochs: {int(match[1]) + 8}"

    text, edited = re.subn(r"^  epochs: (\d+)$", more_epochs, params.read_text(), count=1, flags=re.M)
    assert edited == 1
    params.write_text(text)
    mine = re.search(r"^  epochs: \d+$", text, re.M)[0]
    train = project / "src/my_capstone/train.py"
    train.write_text(train.read_text() + "\n# my own note: try mixup next\n")
    git(project, "commit", "-qam", "My experiments")

    # The template improves, released as v0.2.0: a new file, a changed file the user never touched, and a change
    # to the file the user edited (params.yaml, other lines), which needs a real three-way merge.
    (source / "template/CONTRIBUTING.md").write_text("# Contributing\n\nOpen an issue first.\n")
    readme = source / "template/README.md.jinja"
    readme.write_text(readme.read_text() + "\nTemplate v0.2.0 was here.\n")
    for template_params in (source / "template").glob("*params.yaml*"):
        template_params.write_text(NEW_HEADER + template_params.read_text())
    git(source, "add", "-A")
    git(source, "commit", "-qm", "Template v0.2.0")
    release(source, "v0.2.0")

    # As users run it (`copier update`, no --vcs-ref): copier moves to the newest release tag.
    copier.run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)
    assert answered_commit(project) == "v0.2.0"

    assert (project / "CONTRIBUTING.md").read_text().startswith("# Contributing")
    assert "Template v0.2.0 was here." in (project / "README.md").read_text()
    merged = params.read_text()
    assert merged.startswith(NEW_HEADER) and mine in merged
    assert yaml.safe_load(merged)["train"]["epochs"] == int(mine.split()[-1])
    assert "# my own note: try mixup next" in train.read_text()
    for path in (project / "README.md", params, train):
        assert "<<<<<<<" not in path.read_text(), path


def test_update_refuses_to_switch_the_variant(template, tmp_path):
    project = render(template, tmp_path / "project", "image_classifier")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")
    with pytest.raises(ValueError, match="variant image_classifier; copier update cannot turn it into generative_art"):
        copier.run_update(project, data={"variant": "generative_art"}, defaults=True, overwrite=True, quiet=True)
    predict = "src/my_capstone/serve/predict.py"
    assert (project / predict).read_text() == git(project, "show", f"HEAD:{predict}")
