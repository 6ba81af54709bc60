"""Serving: exactly what the Hugging Face Space ships beside app.py, and what `make predict` runs.

- predict.py: the exported model (models/) loaded and run on inputs
- inputs.py, steps.py (classifiers): an upload made into the model's input batch as the validation DataLoader made
  it: each DataBlock transform redone by its numpy twin (add yours there when data.py gets a new one)
- features.py (speech): the log-mel spectrogram, one function for training and serving
- sampler.py (generative art): DDIM sampling, for the training grids, evaluation and the demo

It reads models/ and nothing of the training pipeline: change it when you change what a model is fed.
"""
