"""Your capstone's code. At this level, what you change to make the model better, in the course's words:

- prepare.py, train.py, evaluate.py, export.py: the pipeline's stages (dvc.yaml), each `python -m <package>.<stage>`
- data.py: the data and its DataBlock; model.py: the learner; params.py: the keys of params.yaml; paths.py: files

Below it, what works without being read: serve/ (what the demo ships), kit/ (what the stages lean on) and tools/
(what `make` runs besides the pipeline).
"""

import contextlib
import importlib
import warnings

# fastai's layers.py calls torch.jit.script, which torch deprecates: not ours to fix, and it would print on every
# stage, demo start and CLI call. Set here, before any module of the package imports fastai.
warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
# torch's own notice when an older dvclive has installed pynvml beside it: not ours to fix either.
warnings.filterwarnings("ignore", message="The pynvml package is deprecated", category=FutureWarning)

# `python -m <package>.deploy` and the other names from before kit/, serve/ and tools/ still run (kit/moved.py). By
# name, not an import statement: the Space bundle follows import statements, and ships serve/ without kit/.
with contextlib.suppress(ModuleNotFoundError):
    importlib.import_module(f"{__name__}.kit.moved").install()
