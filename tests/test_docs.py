"""The documentation site: it builds with `mkdocs build --strict`, and docs/reference.md names every copier question and
every params.yaml key of every variant, no more, with the defaults the rendered params.yaml has."""

import re
import subprocess
import sys

import pytest
import yaml

from .conftest import CONFIG, REPO, VARIANTS

REFERENCE = REPO / "docs" / "reference.md"
QUESTIONS = {name for name, q in CONFIG.items() if not name.startswith("_") and isinstance(q, dict)}
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)$")  # a table row whose first cell is one name in backticks


def tables() -> dict[str, dict[str, list[str]]]:
    """Each heading of the reference -> {first-column name: the row's other cells}, for the table rows under it."""
    out: dict[str, dict[str, list[str]]] = {}
    heading = ""
    for line in REFERENCE.read_text().splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            out[heading] = {}
        elif match := ROW.match(line):
            name, rest = match.groups()
            assert name not in out[heading], f"{REFERENCE.name}, '{heading}': `{name}` has two rows"
            out[heading][name] = [cell.strip() for cell in rest.rstrip().rstrip("|").split("|")]
    return out


def table(marker: str) -> dict[str, list[str]]:
    """The one table under the heading that contains `marker` (in backticks)."""
    found = [rows for heading, rows in tables().items() if f"`{marker}`" in heading]
    assert len(found) == 1, f"{REFERENCE.name} needs exactly one heading with `{marker}` in it, found {len(found)}"
    return found[0]


def flatten(params: dict) -> dict[str, object]:
    """`section.key` -> default. `smoke:` (dotted overrides of the other keys, applied by make smoke) is one row."""
    out: dict[str, object] = {}
    for section, keys in params.items():
        if section == "smoke":
            out["smoke"] = keys
        else:
            out.update({f"{section}.{key}": value for key, value in keys.items()})
    return out


def test_site_builds_strict(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(REPO / "mkdocs.yml")]
        + ["--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert (tmp_path / "site" / "reference" / "index.html").is_file()


def test_reference_names_every_copier_question():
    documented = set(table("copier.yml"))
    missing, extra = QUESTIONS - documented, documented - QUESTIONS
    assert not missing, f"copier.yml questions missing from {REFERENCE.name}: {missing}"
    assert not extra, f"{REFERENCE.name} documents questions copier.yml lacks: {extra}"


def test_reference_says_which_questions_are_never_asked():
    rows = table("copier.yml")
    for name in QUESTIONS:
        hidden = CONFIG[name].get("when") is False or CONFIG[name].get("ask") is False
        says = "not asked" in " ".join(rows[name]).lower()
        assert says == hidden, f"{REFERENCE.name}: `{name}` should {'' if hidden else 'not '}say 'not asked'"


@pytest.mark.parametrize("variant", VARIANTS)
def test_reference_names_every_params_key(variant, rendered):
    params = flatten(yaml.safe_load((rendered(variant) / "params.yaml").read_text()))
    rows = table(variant)
    missing, extra = set(params) - set(rows), set(rows) - set(params)
    assert not missing, f"{variant}'s params.yaml keys missing from {REFERENCE.name}: {sorted(missing)}"
    assert not extra, f"{REFERENCE.name} documents {variant} keys its params.yaml lacks: {sorted(extra)}"
    for key, value in params.items():
        if key == "smoke":
            unknown = set(value) - set(params)
            assert not unknown, f"{variant}'s smoke: overrides keys that do not exist: {unknown}"
            continue
        default = rows[key][0]  # the second column: the default, in backticks
        assert re.fullmatch(r"`[^`]*`", default), f"{REFERENCE.name}, {variant}: `{key}`'s default is not in backticks"
        assert yaml.safe_load(default.strip("`")) == value, (
            f"{REFERENCE.name}, {variant}: `{key}` documented as {default}, params.yaml says {value!r}"
        )


def test_reference_lists_every_choice_of_each_question():
    rows = table("copier.yml")
    for name in QUESTIONS:
        choices = CONFIG[name].get("choices")
        values = choices.values() if isinstance(choices, dict) else choices or []
        documented = set(re.findall(r"`([^`]+)`", rows[name][-1]))  # the last column: the choices, in backticks
        assert {str(v) for v in values} == documented, f"{REFERENCE.name}: `{name}` choices {documented}, not {values}"
