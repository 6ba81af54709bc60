"""Your capstone's code. At this level, what you change to make the model better, in the course's words:

- prepare.py, train.py, evaluate.py, export.py: the pipeline's stages (dvc.yaml), each `python -m <package>.<stage>`
- data.py: the data and its DataBlock; model.py: the learner; params.py: the keys of params.yaml; paths.py: files

Below it, what works without being read: serve/ (what the demo ships), kit/ (what the stages lean on) and tools/
(what `make` runs besides the pipeline).
"""

import warnings

from .kit import moved

# fastai's layers.py calls torch.jit.script, which torch deprecates: not ours to fix, and it would print on every
# stage, demo start and CLI call. Set here, before any module of the package imports fastai.
warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)

moved.install()  # `python -m <package>.deploy` and the other names from before kit/, serve/ and tools/ still run
