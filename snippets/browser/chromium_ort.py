"""Runs an ONNX model in a web page: onnxruntime-web's WebAssembly backend, in headless Chromium.

Shared by both sides of the browser feature; it imports neither framework. A local HTTP
server (a thread of this process, on 127.0.0.1 only) serves the page, onnxruntime-web's files,
the model and the image; Chromium loads the page and is driven over its DevTools pipe, one
`infer()` call per inference. Chromium writes only beneath `workdir` (its profile, HOME).
"""

import atexit
import contextlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

# The page-side code: the same on both sides of the feature.
PAGE = """<!doctype html>
<script src="/ort/ort.wasm.min.js"></script>
<script>
window.ready = (async () => {
  ort.env.wasm.numThreads = 1;  // what a page that is not cross-origin isolated gets
  ort.env.wasm.wasmPaths = "/ort/";
  const model = new Uint8Array(await (await fetch("/model.onnx")).arrayBuffer());
  const image = new Float32Array(await (await fetch("/image.f32")).arrayBuffer());
  window.session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"] });
  window.feeds = { [session.inputNames[0]]: new ort.Tensor("float32", image, SHAPE) };
  return true;
})();
window.infer = async () => {
  const logits = (await session.run(feeds))[session.outputNames[0]];
  return { dims: logits.dims, data: Array.from(logits.data) };
};
</script>
"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # Chromium's own sandbox cannot start as root or under no_new_privs
    "--disable-gpu",  # the WebAssembly backend only
    "--disable-crash-reporter",
    "--disable-extensions",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-pipe",  # DevTools protocol on fds 3 (commands) and 4 (replies)
]


def find_onnxruntime_web() -> Path:
    """The onnxruntime-web package's dist folder: on NODE_PATH, or in a node_modules folder
    above this file (where Node.js itself would look from here)."""
    candidates = [Path(p) for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    here = Path(__file__).resolve().parent
    candidates += [folder / "node_modules" for folder in [here, *here.parents]]
    for node_modules in candidates:
        dist = node_modules / "onnxruntime-web" / "dist"
        if (dist / "ort.wasm.min.js").is_file():
            return dist
    raise RuntimeError(
        "onnxruntime-web is not installed: run scripts/setup (it runs `npm ci` in the project root)"
    )


def _server(files):
    """An HTTP server on 127.0.0.1 that serves exactly `files` ({url path: (bytes, type)})."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            found = files.get(self.path.split("?")[0])
            if found is None:
                self.send_error(404)
                return
            body, content_type = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ChromiumOrtSession:
    """One headless Chromium page holding one onnxruntime-web InferenceSession (wasm)."""

    def __init__(self, model_path, image, workdir, timeout_s=120.0):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            raise RuntimeError("Chromium is not on PATH: scripts/setup installs Debian's")
        dist = find_onnxruntime_web()
        page = PAGE.replace("SHAPE", json.dumps(list(image.shape)))
        files = {
            "/": (page.encode(), "text/html"),
            "/model.onnx": (Path(model_path).read_bytes(), "application/octet-stream"),
            "/image.f32": (
                np.ascontiguousarray(image, np.float32).tobytes(),
                "application/octet-stream",
            ),
        }
        for name in [
            "ort.wasm.min.js",
            "ort-wasm-simd-threaded.mjs",
            "ort-wasm-simd-threaded.wasm",
        ]:
            kind = "application/wasm" if name.endswith(".wasm") else "text/javascript"
            files[f"/ort/{name}"] = ((dist / name).read_bytes(), kind)
        self.server = _server(files)
        url = f"http://127.0.0.1:{self.server.server_address[1]}/"

        workdir = Path(workdir)
        commands_in, self._commands = os.pipe()
        self._replies, replies_out = os.pipe()
        # Chromium expects the pipe on fds 3 and 4; the shell moves them there.
        redirect = f'exec "$0" "$@" 3<&{commands_in} 4>&{replies_out}'
        self.process = subprocess.Popen(
            [
                "/bin/sh",
                "-c",
                redirect,
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={workdir / 'chromium-profile'}",
                "about:blank",
            ],
            pass_fds=(commands_in, replies_out),
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "chromium.log").open("w"),
            env={**os.environ, "HOME": str(workdir)},
        )
        os.close(commands_in)
        os.close(replies_out)
        atexit.register(self.close)
        self._buffer, self._next_id, self._session = b"", 0, None

        target = self._send("Target.createTarget", {"url": url})["targetId"]
        attached = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]
        deadline = time.monotonic() + timeout_s
        while self._evaluate("typeof window.ready") != "object":  # the page is still loading
            if time.monotonic() > deadline:
                raise RuntimeError("the page did not load; see chromium.log in the workdir")
            time.sleep(0.05)
        self._evaluate("window.ready")

    def _send(self, method, params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:  # replies and events, each ending with a NUL byte
            while b"\0" not in self._buffer:
                chunk = os.read(self._replies, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed its DevTools pipe; see chromium.log")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _evaluate(self, expression):
        params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        result = self._send("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result["result"].get("value")

    def run(self):
        reply = self._evaluate("infer()")
        return np.asarray(reply["data"], dtype=np.float32).reshape(reply["dims"])

    def close(self):
        if self.process.poll() is None:
            try:
                self._session = None
                self._send("Browser.close", {})
                self.process.wait(timeout=10)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for fd in (self._commands, self._replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._commands = self._replies = -1
        self.server.shutdown()
        self.server.server_close()
