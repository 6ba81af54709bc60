"""What `make` runs besides the pipeline: you need not read this folder to train a model.

- post.py: `make post`, a blog-post draft from the current experiment
- collect.py, own.py: `make collect`, your own data into data/own/
- clean.py (image): the notebook's ImageClassifierCleaner decisions, applied without deleting anything
- bundle.py: `make bundle`, exactly what the Hugging Face Space serves, in dist/space/
- deploy.py: `make deploy`, the bundle uploaded to your Space
"""
