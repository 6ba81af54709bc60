"""The machinery the stages lean on, so that they read as the course: you need not read this folder to train a model.

- fit.py: the context around train.py's fit call, made of the next four
- resume.py: the training state after every epoch, and picking it up again after an interruption
- distributed.py: several processes (NPROC=N) through Hugging Face Accelerate
- speed.py: mixed precision and channels_last on a CUDA GPU
- progress.py: progress bars on a terminal, plain lines in a log
- schema.py: reading params.yaml into checked, typed sections (params.py declares the keys)
- weights.py: the train stage's checkpoint, in safetensors
- sources.py, download.py: checking a data folder; downloading and verifying a dataset archive
- deps.py: dvc.yaml's deps kept in step with what each stage imports (make train runs it)
- publish.py: which params export may publish (no credentials, no local paths)
- moved.py: the old `python -m <package>.<module>` names of the modules that moved here, to serve/ or to tools/
- archs.py, preprocessing.py (classifiers): timm model names checked offline; what export records of the DataBlock
  for serving, and the check that serving redoes it
"""
