"""The capstone's package: one module per pipeline stage, plus the pieces they share (see README.md)."""

import warnings

# fastai's layers.py calls torch.jit.script, which torch deprecates: not ours to fix, and it would print on every
# stage, demo start and CLI call. Set here, before any module of the package imports fastai.
warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
