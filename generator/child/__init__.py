"""The child side of every process boundary: code that runs INSIDE a measuring subprocess.

`harness` measures one snippet, `peaks` the machine's peaks, `adapters` drive each framework,
and `records` are the typed request and report that cross the boundary. These modules import
only the standard library, NumPy and the framework under test, never the rest of `generator`:
anything more would be timed as part of the import. The parent side is `generator.launch`.
"""
