"""The course's edits, made to a rendered project as a learner following fastai's lessons makes them.

Each edit works end to end (`make smoke`: prepare, train, evaluate, export; then serving, whose answers must be
`learn.predict`'s on the exported examples), or stops with a message that names what to change, never a traceback.
Edits that do not interfere share one rendered project and one short training run.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import yaml

from .conftest import PYTHON, git, make, render

PACKAGE = "my_capstone"

# In the project, after make smoke: serving (ONNX Runtime, numpy preprocessing) against fastai's learn.predict.
SERVED_AS_PREDICTED = """
import json
from pathlib import Path

import numpy as np

from my_capstone import params as P
from my_capstone.model import trained_learner
from my_capstone.serve.predict import Classifier

learn = trained_learner(P.load(overrides=P.smoke_overrides()))
classifier = Classifier(Path("models"))
examples = sorted(Path("models/examples").iterdir())
served = classifier.probabilities(examples)
vocab = list(learn.dls.vocab)
expected = np.stack([learn.predict(example)[2].numpy()[[vocab.index(label) for label in classifier.labels]]
                     for example in examples])
print(json.dumps({"difference": float(np.abs(served - expected).max()), "examples": len(examples)}))
"""


EVERY_STAGE = {"prepare", "train", "evaluate", "export"}
# The edits are checked end to end, not for accuracy: a short run on a small sample keeps the suite fast.
FEW_IMAGES = {"data.sample_per_class": 24}
AUGMENT = "batch_tfms=aug_transforms() if train.augment else None,"


def with_mixup(train: Path) -> None:
    """fastai's MixUp callback, passed to the fit call beside the pipeline's own."""
    edit(
        train,
        "from fastai.torch_core import set_seed",
        "from fastai.callback.mixup import MixUp\nfrom fastai.torch_core import set_seed",
    )
    edit(
        train,
        "learn.fit_one_cycle(cfg.epochs, cfg.lr, cbs=fit.cbs)",
        "learn.fit_one_cycle(cfg.epochs, cfg.lr, cbs=[*fit.cbs, MixUp()])",
    )


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there: the template changed otherwise) with `new` in a project file."""
    text = path.read_text()
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def smoke_settings(project: Path, **settings) -> None:
    """Change params.yaml's `smoke:` section: the short training run every edit below shares."""
    params = project / "params.yaml"
    data = yaml.safe_load(params.read_text())
    lines = params.read_text().split("\nsmoke:\n")[0]
    smoke = {**data["smoke"], **settings}
    params.write_text(lines + "\nsmoke:\n" + "".join(f"  {key}: {json.dumps(value)}\n" for key, value in smoke.items()))


def env(project: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project / "src")}


def run(project: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=project, env=env(project), capture_output=True, text=True)


def python(project: Path, code: str) -> str:
    result = run(project, PYTHON, "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


def metrics(project: Path) -> dict[str, float]:
    shown = json.loads(python(project, "import dvc.api, json; print(json.dumps(dvc.api.metrics_show()))"))
    return {re.split(r"[.:]", key)[-1]: value for key, value in flat(shown).items()}


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def committed(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", message)


def fresh(template, tmp_path: Path, variant: str) -> Path:
    project = render(template, tmp_path / variant, variant)
    git(project, "init", "-q")
    committed(project, "Rendered from the template")
    return project


def assert_serves_as_learn_predict(project: Path) -> None:
    meta = json.loads((project / "models/model.json").read_text())
    assert 0 <= meta["preprocessing"]["max_abs_difference"] <= 1e-3, meta["preprocessing"]
    checked = json.loads(python(project, SERVED_AS_PREDICTED).splitlines()[-1])
    assert checked["examples"] >= 3 and checked["difference"] <= 1e-4, checked


def assert_module_is_a_dep_dvc_watches(project: Path, module: str, smoked: str, stages: set[str]) -> None:
    """make smoke added the module to the stages that import it (and only them), said so, and DVC now sees its
    edits."""
    dep = f"src/{PACKAGE}/{module}.py"
    assert f"now depends on {dep}" in smoked, smoked[-3000:]
    listed = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert {name for name, stage in listed.items() if dep in stage["deps"]} == stages, listed
    with (project / dep).open("a") as f:
        f.write("# changed\n")
    status = run(project, PYTHON, "-m", "dvc", "status")
    assert dep in status.stdout, status.stdout


def test_image_datablock_recipes_loss_callback_metric_arch_and_a_module_of_your_own(template, tmp_path):
    project = fresh(template, tmp_path, "image_classifier")
    package = project / "src" / PACKAGE
    data, model, train = (package / f"{name}.py" for name in ("data", "model", "train"))
    originals = {path: path.read_text() for path in (data, model, train)}

    # fastbook chapter 2's RandomResizedCrop, aug_transforms(mult=2), with settings in a module of your own;
    # label smoothing, MixUp and an extra metric (chapter 7; lesson 3).
    (package / "augment.py").write_text('"""My augmentation settings."""\n\nMIN_SCALE = 0.5\n')
    edit(data, "    Resize,\n", "    RandomResizedCrop,\n    Resize,\n")
    edit(data, "from .kit.progress import", "from .augment import MIN_SCALE\nfrom .kit.progress import")
    rrc = "item_tfms=RandomResizedCrop(train.image_size, min_scale=MIN_SCALE),"
    edit(data, "item_tfms=Resize(train.image_size),", rrc)
    edit(data, AUGMENT, "batch_tfms=aug_transforms(mult=2),")
    edit(model, "from fastai.vision.all import", "from fastai.vision.all import F1Score, LabelSmoothingCrossEntropy,")
    edit(model, "metrics=[accuracy, error_rate],", 'metrics=[accuracy, error_rate, F1Score(average="macro")],')
    edit(
        model,
        "        normalize=False,\n",
        "        normalize=False,\n        loss_func=LabelSmoothingCrossEntropy(),\n",
    )
    with_mixup(train)
    smoke_settings(project, **{"train.epochs": 2, **FEW_IMAGES})
    committed(project, "RandomResizedCrop, aug_transforms(mult=2), label smoothing, MixUp, F1, augment.py")
    smoked = make(project, "smoke")

    meta = json.loads((project / "models/model.json").read_text())
    steps = meta["preprocessing"]
    assert [s["name"] for s in steps["item"]] == ["RandomResizedCrop", "ToTensor"], steps
    # aug_transforms' flips and lighting: identity on validation, training only (left out)
    assert [s["name"] for s in steps["batch"]] == ["IntToFloatTensor", "AffineCoordTfm"], steps
    assert_serves_as_learn_predict(project)
    shown = metrics(project)
    assert "f1_score" in shown, shown  # in the curves and in evaluate's metrics
    assert_module_is_a_dep_dvc_watches(project, "augment", smoked, EVERY_STAGE)  # all of them run data.py

    # A transform of your own with no serving twin: export stops, naming it and where its twin goes.
    edit(data, rrc, "item_tfms=[Resize(train.image_size), Invert()],")
    data.write_text(
        data.read_text()
        + "\n\nclass Invert(Transform):\n    order = 10\n\n    def encodes(self, x: PILImage) -> PILImage:\n"
        + "        return PILImage(ImageOps.invert(x))\n"
    )
    edit(
        data,
        "import torch\n",
        "import torch\nfrom fastai.vision.all import PILImage, Transform\nfrom PIL import ImageOps\n",
    )
    params = (project / "params.yaml").read_text()
    with_smoke = yaml.safe_load(params)
    for key, value in with_smoke.pop("smoke").items():
        section, name = key.split(".")
        with_smoke[section][name] = value
    (project / "params.yaml").write_text(yaml.safe_dump(with_smoke))
    try:  # export alone, on the trained checkpoint, with the smoke settings: where make smoke would stop
        refused = run(project, PYTHON, "-m", f"{PACKAGE}.export")
    finally:
        (project / "params.yaml").write_text(params)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0, said
    assert "Invert" in said and f"src/{PACKAGE}/serve/inputs.py" in said and "Traceback" not in said, said

    # Presizing (fastbook chapters 5 and 7: a large Resize per item, a random crop per batch) on another timm
    # architecture, after the first edits are undone.
    for path, text in originals.items():
        path.write_text(text)
    edit(data, "item_tfms=Resize(train.image_size),", "item_tfms=Resize(train.image_size * 2),")
    edit(data, AUGMENT, "batch_tfms=aug_transforms(size=train.image_size, min_scale=0.75),")
    smoke_settings(project, **{"train.arch": "convnext_tiny", "train.epochs": 1, **FEW_IMAGES})
    committed(project, "presizing, convnext_tiny")
    make(project, "smoke")
    meta = json.loads((project / "models/model.json").read_text())
    assert meta["arch"] == "convnext_tiny"
    batch = [step["name"] for step in meta["preprocessing"]["batch"]]
    assert batch == ["IntToFloatTensor", "AffineCoordTfm", "RandomResizedCropGPU"], batch
    assert_serves_as_learn_predict(project)


def test_speech_mels_loss_callback_metric_and_a_module_of_your_own(template, tmp_path):
    project = fresh(template, tmp_path, "speech_recognition")
    package = project / "src" / PACKAGE
    (package / "words.py").write_text('"""My own settings."""\n\nNOTE = "keyword spotting"\n')
    edit(
        package / "data.py",
        "from .params import Params\n",
        "from .params import Params\nfrom .words import NOTE  # noqa: F401\n",
    )
    model = package / "model.py"
    edit(model, "from fastai.vision.all import", "from fastai.vision.all import F1Score, LabelSmoothingCrossEntropy,")
    smoothing = 'metrics=[accuracy, F1Score(average="macro")],\n        loss_func=LabelSmoothingCrossEntropy(),'
    edit(model, "metrics=[accuracy],", smoothing)
    train = package / "train.py"
    with_mixup(train)
    smoke_settings(project, **{"train.n_mels": 32, "train.epochs": 2, "data.sample_per_word": 16})
    committed(project, "32 mels, label smoothing, MixUp, F1, words.py")
    smoked = make(project, "smoke")
    meta = json.loads((project / "models/model.json").read_text())
    assert meta["features"]["n_mels"] == 32 and meta["input_size"][1] == 32, meta
    assert_serves_as_learn_predict(project)
    assert "f1_score" in metrics(project)
    assert_module_is_a_dep_dvc_watches(project, "words", smoked, EVERY_STAGE)


def test_generative_another_unet_size_and_a_module_of_your_own(template, tmp_path):
    project = fresh(template, tmp_path, "generative_art")
    package = project / "src" / PACKAGE
    widths = package / "widths.py"
    widths.write_text('"""My UNet widths."""\n\nWIDE = (48, 96, 96)\n')
    model = package / "model.py"
    edit(model, "from .serve.sampler import", "from .widths import WIDE\nfrom .serve.sampler import")
    wide = (
        '    "wide": dict(\n        block_out_channels=WIDE,\n        layers_per_block=1,\n'
        '        down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),\n'
        '        up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),\n    ),\n'
    )
    edit(model, "PRESETS = {\n", "PRESETS = {\n" + wide)
    smoke_settings(project, **{"train.size": "wide", "train.epochs": 1, "data.sample_count": 48})
    committed(project, "a wide UNet, widths.py")
    # 48 channels cannot be split into GroupNorm's 32 groups: the train stage says so, naming the preset.
    refused = subprocess.run(["make", "smoke", f"PYTHON={PYTHON}"], cwd=project, capture_output=True, text=True)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in said, said[-3000:]
    assert "model.PRESETS['wide'] does not make a UNet" in said and "multiple of norm_num_groups" in said, said
    widths.write_text('"""My UNet widths."""\n\nWIDE = (64, 96, 96)\n')
    committed(project, "widths GroupNorm can split")
    smoked = make(project, "smoke")
    meta = json.loads((project / "models/model.json").read_text())
    assert meta["size_preset"] == "wide"
    painted = python(
        project,
        "from my_capstone.serve.predict import Painter\n"
        "p = Painter('models')\nprint(p.unet.config.block_out_channels, len(p.paint(count=2, steps=2)))",
    )
    assert re.search(r"\[?\(?64, 96, 96\)?\]? 2$", painted.strip()), painted
    # The first run added it, to the stages that build the UNet (prepare does not).
    assert_module_is_a_dep_dvc_watches(project, "widths", said + smoked, {"train", "evaluate", "export"})
