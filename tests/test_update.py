"""`copier update`: template improvements arrive in a project and the user's own edits survive."""

import shutil

import copier
import pytest
import yaml

from .conftest import git, render


def test_update_brings_template_changes_and_keeps_user_edits(template, tmp_path):
    source = shutil.copytree(template, tmp_path / "template")
    git(source, "tag", "v0.1.0")
    project = render(source, tmp_path / "project", "image_classifier", vcs_ref="v0.1.0")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")

    # The user's edits: a param and a source file.
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("  epochs: 4\n", "  epochs: 12\n"))
    train = project / "src/my_capstone/train.py"
    train.write_text(train.read_text() + "\n# my own note: try mixup next\n")
    git(project, "commit", "-qam", "My experiments")

    # The template improves: a new file and a changed one, released as v0.2.0.
    (source / "template/CONTRIBUTING.md").write_text("# Contributing\n\nOpen an issue first.\n")
    readme = source / "template/README.md.jinja"
    readme.write_text(readme.read_text() + "\nTemplate v0.2.0 was here.\n")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "Template v0.2.0")
    git(source, "tag", "v0.2.0")

    copier.run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)

    assert (project / "CONTRIBUTING.md").read_text().startswith("# Contributing")
    assert "Template v0.2.0 was here." in (project / "README.md").read_text()
    assert "  epochs: 12\n" in params.read_text()
    assert "# my own note: try mixup next" in train.read_text()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v0.2.0"
    assert "<<<<<<<" not in (project / "README.md").read_text()


def test_update_refuses_to_switch_the_variant(template, tmp_path):
    project = render(template, tmp_path / "project", "image_classifier")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "Rendered from the template")
    with pytest.raises(ValueError, match="variant image_classifier; copier update cannot turn it into generative_art"):
        copier.run_update(project, data={"variant": "generative_art"}, defaults=True, overwrite=True, quiet=True)
    assert (project / "src/my_capstone/predict.py").read_text() == git(
        project, "show", "HEAD:src/my_capstone/predict.py"
    )
