"""Framework-free helpers both sides of debugging-errors use: capture an exception as text and
read facts off the message, so that the flags are computed by the same code on both sides."""

import re
import sys
import sysconfig
import traceback
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Keras bolds the key line with terminal escapes
PLACES = {
    sysconfig.get_paths()["purelib"]: "<site-packages>",
    str(Path(__file__).resolve().parent): "<snippet>",
    str(Path(__file__).absolute().parent): "<snippet>",
    sys.prefix: "<venv>",
}


def _portable(text: str) -> str:
    """The text without terminal colour codes or this machine's paths."""
    text = ANSI.sub("", text)
    for path, name in PLACES.items():
        text = text.replace(path, name)
    return text


def capture(call) -> dict[str, object]:
    """Call `call()`, which must raise; return what a user sees of the exception."""
    try:
        call()
    except Exception as error:  # the mistake on purpose
        frames = traceback.extract_tb(error.__traceback__)
        last = frames[-1]
        kind = type(error)
        name = kind.__qualname__
        if kind.__module__ != "builtins":
            name = f"{kind.__module__}.{name}"
        return {
            "error": f"{name}: {_portable(str(error))}".strip(),
            "raised_in": f"{_portable(last.filename)}, in {last.name}",
            "frames": len(frames),  # from the caller's `try` to the `raise`
        }
    raise AssertionError("the shape mistake did not raise")


def facts(message: str, layer: str) -> dict[str, int]:
    """What the message says, as 1/0: the batch's shape (32, 64), the size the layer expects
    (128), the layer (its name in the model) and the user's own line."""
    return {
        "names_input_shape": int(bool(re.search(r"(?<!\d)32\s*(?:x|X|,)\s*64(?!\d)", message))),
        "names_expected_size": int(bool(re.search(r"(?<!\d)128(?!\d)", message))),
        "names_layer": int(bool(re.search(rf"\b{layer}\b", message))),
        # The message itself shows a line of the snippet (the file that made the mistake).
        "names_user_line": int("<snippet>/" in message),
    }


def flags(eager: dict[str, object], compiled: dict[str, object], layer: str) -> dict[str, float]:
    """The metrics both sides report, computed from the captured messages."""
    before, after = facts(eager["error"], layer), facts(compiled["error"], layer)
    values = {f"eager_{k}": v for k, v in before.items()}
    values |= {f"compiled_{k}": v for k, v in after.items()}
    # As informative: every fact the eager message gives, the compiled one gives too.
    values["compiled_as_informative"] = int(all(after[k] >= v for k, v in before.items()))
    values["eager_frames"] = eager["frames"]
    values["compiled_frames"] = compiled["frames"]
    return values
