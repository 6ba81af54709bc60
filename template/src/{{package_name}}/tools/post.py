"""Write a blog-post draft from the current experiment: posts/<project>/index.md, its figures beside it.

    python -m <package>.post      # (make post)

fastai's advice is to write about what you learn; this starts the post from what the pipeline recorded. The
metrics come from DVC itself (what `dvc metrics show` and `dvc metrics diff` print), the params from dvc.lock (what
the run really used: `make smoke` puts your own params.yaml back afterwards), the counts from data/prepared, and the
figures from what train and evaluate wrote.

The post is yours above its marker line and the script's below it: a rerun keeps everything above the marker byte
for byte (front matter and date included) and rewrites everything below it, so write above the line.
"""

import argparse
import csv
import json
import os
import re
import shutil
import sys
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

import yaml

from ..data import NOUNS
from ..kit.publish import public_value
from ..paths import PROJECT, Paths

MARKER = "<!-- make post: everything below is regenerated; write above this line -->"
PROMPT = (
    "*Replace this paragraph with your own words: why this problem, what you tried, what surprised you, what you "
    "would do next. Everything above the marker line below is yours and `make post` keeps it as it is; everything "
    "below it is rewritten from the current experiment each time you run `make post`.*"
)
NO_METRICS = "no metrics yet: run make train (or make smoke) first"
DIGITS = 5  # decimals, rounded as `dvc metrics show` rounds them: the post shows the numbers it shows
# Figures evaluate writes into eval/plots/images, with what they show; any other image there gets its file name.
CAPTIONS = {
    "confusion_matrix.png": "Confusion matrix: rows are the true labels, columns what the model said.",
    "top_losses.png": "The examples the model got most confidently wrong (prediction / actual / loss / probability).",
    "samples.png": "Images the model painted from pure noise.",
    "real.png": "Training images, for comparison.",
}
COVER = ("samples.png", "confusion_matrix.png", "training_curves.png")  # the social-card image, first one present
# Training params that tune the machine, not the model: left out of the post's table.
PLUMBING = {"num_workers", "mixed_precision", "channels_last", "grid_every", "grid_count", "grid_steps"}


class PostError(RuntimeError):
    """Something the post needs is missing; the message says what to do."""


def number(value) -> str:
    """A metric as `dvc metrics show` prints it: floats rounded to DIGITS decimals, the rest as they are."""
    if value is None:
        return "-"  # a metric one side of a diff lacks, as dvc shows it
    return str(round(value, DIGITS)) if isinstance(value, float) else str(value)


def flatten(data: dict, prefix: str = "") -> dict:
    """{"train": {"loss": 1}} → {"train.loss": 1}: the column names `dvc metrics show` uses."""
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_metrics(root: Path) -> tuple[dict, dict]:
    """({file: {metric: value}}, {file: {metric: {"old", "new", "diff"}}}) for the workspace against HEAD.

    Through dvc's Repo, the object `dvc metrics show --json` and `dvc metrics diff --json` print from: the files
    dvc.yaml declares, read and flattened the way those commands read them. (dvc.api.metrics_show merges every file
    into one dict, and the api has no diff.) The diff is empty without a previous commit or its metrics."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        repo = Repo(str(root))
    except NotDvcRepoError:
        raise PostError(f"{root.resolve()} is not a DVC project (no .dvc/ folder): run make setup first.") from None
    with repo:
        shown = repo.metrics.show()
        # all=True: unchanged metrics too, to tell "unchanged" from "nothing at HEAD" (dvc's diff omits both).
        no_history = getattr(repo.scm, "no_commits", True)  # True as well without git (dvc init --no-scm)
        diff = {} if no_history else repo.metrics.diff(a_rev="HEAD", all=True).get("diff", {})
    files = next(iter(shown.values()), {}).get("data", {})  # one revision: the workspace
    metrics = {name: flatten(read["data"]) for name, read in files.items() if read.get("data")}
    if not metrics:
        raise PostError(NO_METRICS)
    return metrics, diff


def run_params(paths: Paths) -> dict:
    """The params the current run used, section by section: every stage's params in dvc.lock, else params.yaml."""
    lock = paths.root / "dvc.lock"
    if not lock.exists():
        return yaml.safe_load(paths.params.read_text(encoding="utf-8")) if paths.params.exists() else {}
    params: dict = {}
    for stage in (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages", {}).values():
        for key, value in stage.get("params", {}).get("params.yaml", {}).items():
            *parents, last = key.split(".")  # dvc.lock writes `train.seed: 42` for a param named by its path
            section = params
            for parent in parents:
                section = section.setdefault(parent, {})
            if isinstance(value, dict):
                section.setdefault(last, {}).update(value)
            else:
                section[last] = value
    return params


def project_info(root: Path) -> dict:
    """Name, slug, description, tags and Space, from the answers file and pyproject.toml (edited later)."""
    answers_file = root / ".copier-answers.yml"
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) if answers_file.exists() else {}
    pyproject_file = root / "pyproject.toml"
    pyproject = tomllib.loads(pyproject_file.read_text(encoding="utf-8")) if pyproject_file.exists() else {}
    project = pyproject.get("project", {})
    space = pyproject.get("tool", {}).get("space", {})
    slug = safe_slug(str(project.get("name") or answers.get("project_slug") or root.resolve().name))
    return {
        "title": space.get("title") or answers.get("project_name") or slug,
        "slug": slug,
        "description": project.get("description") or answers.get("description", ""),
        "serves": space.get("serves", ""),
        "tags": list(space.get("tags", [])),
        "hf_space": os.environ.get("HF_SPACE") or answers.get("hf_space") or "",  # as make deploy: HF_SPACE wins
    }


def data_counts(prepared: Path) -> dict:
    """{split: {label: files}} from data/prepared/[<split>/]<label>/<file>; or the generative dataset.json."""
    info = prepared / "dataset.json"
    if info.exists():
        return json.loads(info.read_text(encoding="utf-8"))
    counts: dict[str, Counter] = {}
    for file in sorted(prepared.rglob("*")):
        parts = file.relative_to(prepared).parts
        if file.is_file() and len(parts) >= 2 and not file.name.startswith("."):
            split = parts[0] if len(parts) >= 3 else "all"
            counts.setdefault(split, Counter())[parts[-2]] += 1
    return counts


def per_class(confusion: Path) -> list[tuple[str, int, int, str]]:
    """(label, examples, wrong, most often taken for) per true label, from evaluate's confusion-matrix data."""
    pairs = [(row["actual"], row["predicted"]) for row in json.loads(confusion.read_text(encoding="utf-8"))]
    rows = []
    for label in sorted({actual for actual, _ in pairs}):
        said = Counter(predicted for actual, predicted in pairs if actual == label)
        wrong = Counter({k: v for k, v in said.items() if k != label})
        taken_for = ", ".join(f"{k} ({v})" for k, v in wrong.most_common(2)) or "-"
        rows.append((label, sum(said.values()), sum(wrong.values()), taken_for))
    return rows


def plot_curves(live: Path, dest: Path) -> bool:
    """Every curve DVCLive logged (dvclive/train/plots/metrics/**/*.tsv), one panel per metric, into `dest`."""
    tsvs = sorted((live / "plots/metrics").rglob("*.tsv"))
    if not tsvs:
        return False
    import matplotlib

    matplotlib.use("Agg")  # a file, never a window
    import matplotlib.pyplot as plt

    panels: dict[str, list] = {}
    for tsv in tsvs:
        with tsv.open(newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        name = "/".join(tsv.relative_to(live / "plots/metrics").with_suffix("").parts)  # train/loss, accuracy
        curve = ([int(r["step"]) for r in rows], [float(r[tsv.stem]) for r in rows])
        panels.setdefault(tsv.stem, []).append((name, curve))
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), squeeze=False)
    for ax, (metric, curves) in zip(axes[0], panels.items(), strict=True):
        for name, (steps, values) in curves:
            ax.plot(steps, values, marker=".", label=name)
        ax.set(title=metric, xlabel="step (epoch)")
        if len(curves) > 1:
            ax.legend()
    fig.tight_layout()
    fig.savefig(dest, dpi=100)
    plt.close(fig)
    return True


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def figures(paths: Paths, dest: Path) -> list[str]:
    """Draw the training curves and copy evaluate's figures into `dest`; their file names, curves first."""
    names = ["training_curves.png"] if plot_curves(paths.live, dest / "training_curves.png") else []
    for image in sorted((paths.eval / "plots/images").glob("*.png")):
        shutil.copyfile(image, dest / image.name)
        names.append(image.name)
    return names


def data_section(params: dict, counts: dict) -> list[str]:
    label, labels_noun, items = NOUNS  # what data.py calls a label and an example: class/classes/images, word/...
    data = params.get("data", {})
    folder = public_value("path", data.get("path"), Path("."))  # relative to the project, or not shown
    source = f"`{data.get('source', '?')}`" + (f" (`{folder}`)" if data.get("source") == "folder" else "")
    out = ["## The data", "", f"Source: {source} (`data.source` in params.yaml)."]
    if "images" in counts:  # the generative dataset.json: one folder of images
        colour = {1: " grayscale", 3: " colour"}.get(counts.get("channels"), "")
        size = f" at {data['image_size']} px" if data.get("image_size") else ""
        out += ["", f"{counts['images']}{colour} training images{size}."]
    elif counts:
        order = ["train", "valid", "test", "all"]
        splits = sorted(counts, key=lambda s: order.index(s) if s in order else len(order))
        labels = sorted(set().union(*counts.values()))
        shown = [] if splits == ["all"] else splits  # speech's prepared data is split into folders
        rows = [[name, *(counts[s][name] for s in shown), sum(counts[s][name] for s in splits)] for name in labels]
        total = sum(row[-1] for row in rows)
        out += ["", f"{total} {items} of {len(labels)} {labels_noun}:", "", table([label, *shown, items], rows)]
    return out + [""]


def model_section(params: dict, meta: dict) -> list[str]:
    """The architecture (or diffusion size preset), its size when model.json records it, and the train params."""
    train = params.get("train", {})
    model = f"`{train.get('arch') or train.get('size') or meta.get('arch', '?')}`"
    if meta.get("parameters"):
        model += f" ({meta['parameters'] / 1e6:.1f} M parameters)"
    if "pretrained" in train:
        model += " fine-tuned from ImageNet weights" if train["pretrained"] else " trained from scratch"
    else:
        model += " trained"
    rows = [
        [f"`train.{key}`", f"`{value if isinstance(value, str) else json.dumps(value)}`"]
        for key, value in train.items()
        if key not in PLUMBING
    ]
    return [
        "## The model",
        "",
        f"{model} for {train.get('epochs', '?')} epochs. The training settings of this run, from dvc.lock:",
        "",
        table(["param", "value"], rows),
        "",
    ]


def results_section(metrics: dict, diff: dict) -> list[str]:
    rows = [
        [f"`{file}`", name, number(value)] for file, values in metrics.items() for name, value in sorted(values.items())
    ]
    out = ["## Results", "", "As `dvc metrics show` prints them:", "", table(["file", "metric", "value"], rows), ""]
    changes = [(file, name, change) for file, values in diff.items() for name, change in sorted(values.items())]
    if all(change.get("old") is None for _, _, change in changes):
        return out + ["No metrics at the last commit to compare with: this is the first recorded result.", ""]
    changed = [
        [f"`{file}`", name, *(number(change.get(key, "-")) for key in ("old", "new", "diff"))]
        for file, name, change in changes
        if change.get("old") != change.get("new")  # what `dvc metrics diff` lists: the metrics that changed
    ]
    if not changed:
        return out + ["Every metric is as it was at the last commit.", ""]
    header = ["file", "metric", "HEAD", "now", "change"]
    return out + ["Against the last commit (`dvc metrics diff`):", "", table(header, changed), ""]


def from_scratch_section(path: Path) -> list[str]:
    """The hand-written training loop's metric beside fastai's, when notebooks/foundations.ipynb has been run (it
    writes paths.foundations); nothing before that."""
    if not path.exists():
        return []
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
        metric, hand, fastai, epochs = run["metric"], run["hand_written"], run["fastai"], run["epochs"]
        checks = run.get("checks", {})
        if not isinstance(metric, str):
            raise TypeError(f"the metric's name {metric!r} is not a string")
        if not all(isinstance(v, int | float) for v in (hand, fastai, epochs, *checks.values())):
            raise TypeError("a figure that is not a number")
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise PostError(
            f"{path} cannot be read ({type(error).__name__}: {error}): run notebooks/foundations.ipynb again, "
            "or delete the file to leave the From scratch section out."
        ) from error
    arch = f" `{run['arch']}`" if isinstance(run.get("arch"), str) else ""
    rows = [["hand-written in PyTorch", number(float(hand))], ["fastai", number(float(fastai))]]
    out = [
        "## From scratch",
        "",
        f"`notebooks/foundations.ipynb` rebuilt the pipeline's pieces in plain PyTorch and trained the same{arch} "
        f"for {epochs} epoch(s) with a training loop written out, beside fastai's with the same settings:",
        "",
        table(["training loop", metric], rows),
        "",
    ]
    if checks:
        listed = ", ".join(f"{name} {value:.1e}" for name, value in checks.items())
        out += [f"Each rebuilt piece against the pipeline's, largest difference: {listed}.", ""]
    return out


def body(paths: Paths, info: dict, names: list[str], metrics: dict, diff: dict, today: str) -> str:
    params = run_params(paths)
    meta_file = paths.models / "model.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    out = [
        f"*Generated by `make post` on {today} from the experiment in the workspace.*",
        "",
        "## The problem",
        "",
        info["description"].rstrip(".") + "." + (f" The demo: {info['serves']}." if info["serves"] else ""),
        "",
        *data_section(params, data_counts(paths.prepared)),
        *model_section(params, meta),
        *results_section(metrics, diff),
    ]
    confusion = paths.eval / "plots/sklearn/confusion_matrix.json"
    if confusion.exists():
        label = NOUNS[0]
        rows = [[name, n, wrong, f"{(n - wrong) / n:.4f}", taken] for name, n, wrong, taken in per_class(confusion)]
        header = [label, "examples", "wrong", "accuracy", "most often taken for"]
        out += [f"Errors per {label} (evaluated examples):", "", table(header, rows), ""]
    out += from_scratch_section(paths.foundations)
    for name in names:
        caption = "Training curves (DVCLive)." if name == "training_curves.png" else CAPTIONS.get(name, name)
        out += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    if info["hf_space"]:
        url = f"https://huggingface.co/spaces/{info['hf_space']}"
        out += ["## Try it", "", f"The demo runs on Hugging Face Spaces: [{info['hf_space']}]({url}).", ""]
    return "\n".join(out)


def front_matter(info: dict, cover: str | None, today: str) -> str:
    """YAML that Quarto, Hugo and Jekyll all read; written once, then left to the author."""
    fields = {
        "title": info["title"],
        "date": date.fromisoformat(today),  # a date, not a string: unquoted, as all three expect
        "description": info["description"],
        "categories": list(info["tags"]),  # two lists, not one: yaml would write an anchor and an alias
        "tags": list(info["tags"]),
        "draft": True,
    }
    if cover:
        fields["image"] = cover
    return (
        "---\n"
        "# A page bundle: Quarto and Hugo read this folder as it is. Jekyll: copy index.md to\n"
        f"# _posts/{today}-{info['slug']}.md, the figures to assets/{info['slug']}/, and point the links there.\n"
        + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
        + "---\n"
    )


def safe_slug(name: str) -> str:
    """A folder name made of the project's name alone: lowercase letters, digits and single dashes. A name such as
    `../../x` or `/etc` becomes `x` or `etc`: the post never lands outside the posts folder."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "post"


def write_post(paths: Paths = PROJECT, posts: Path | None = None, today: str | None = None) -> Path:
    """Write (or regenerate below the marker) posts/<slug>/index.md and its figures; returns the post's path."""
    today = today or date.today().isoformat()
    metrics, diff = read_metrics(paths.root)  # first: no metrics, no post
    info = project_info(paths.root)
    posts = posts or paths.root / "posts"
    dest = posts / info["slug"]
    post = dest / "index.md"
    head = None
    if post.exists():  # bytes, not text: the author's part stays exactly as saved (line endings, encoding)
        saved = post.read_bytes()
        if MARKER.encode() not in saved:
            raise PostError(f"{post} has no marker line {MARKER!r}: put it back below your text, or move the file.")
        head = saved[: saved.index(MARKER.encode())]
    dest.mkdir(parents=True, exist_ok=True)
    names = figures(paths, dest)
    if head is None:
        cover = next((name for name in COVER if name in names), None)
        head = (front_matter(info, cover, today) + "\n" + PROMPT + "\n\n").encode()
    post.write_bytes(head + (MARKER + "\n\n" + body(paths, info, names, metrics, diff, today)).encode())
    return post


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=Path, default=None, help="the folder of posts (default: posts/)")
    args = parser.parse_args(argv)
    try:
        post = write_post(PROJECT, args.posts)
    except PostError as error:
        sys.exit(f"post: {error}")
    print(post)


if __name__ == "__main__":
    main()
