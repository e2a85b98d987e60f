"""Framework Field Guide: runs paired PyTorch/TensorFlow snippets, renders a measured MkDocs site.

Data flows one way, and the file names follow it (`commands.build` reads top to bottom):

    discover      snippets/ -> validated Features (each snippet read once: code, lines, helpers)
    run           stale snippets -> one child process each (`launch` starts it, `child/` runs
                  inside it) -> RunResults, saved by the store; `peaks` brackets the run
    store         results/ on disk -> a Snapshot of every machine's results, read once
    compare       results -> summaries, ratios with CIs and verdicts, equivalence, claims
    render        Features + one machine's results + the rules -> {path: bytes}; `sync` writes
                  (+ `charts`, `questionnaire/` for the "Which framework?" page, templates/)
    site          docs/ -> site/ with MkDocs, in process, strict

Underneath, every stage may use: `text` (number formatting, safe Markdown, line counts),
`schema` (the typed fields both YAML files are validated with), `model` (the dataclasses the
stages pass), `errors` and `environment`. On top: `commands` (one function per command),
`report` (the terminal summary) and `cli` (options only). tests/test_layout.py holds the layers.
"""

__version__ = "0.1.0"
