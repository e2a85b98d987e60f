"""Framework Field Guide: runs paired PyTorch/TensorFlow snippets, renders a measured MkDocs site.

The pipeline, one module per stage in the order data flows:
discover -> run (+ harness and peaks, inside child processes) -> store -> compare
-> render (+ charts, questionnaire) -> site.
`build` strings the stages together; `cli` is the thin command-line layer.
"""

__version__ = "0.1.0"
