#!/usr/bin/env python3
"""Serves the demo SPA on a loopback port (default 127.0.0.1:5173, the `demo-spa` client's
registered origin): its files, `index.html` for `/callback`, and `config.js` naming the
Gatehouse URL (GATEHOUSE_URL, default http://127.0.0.1:8080). Standard library only."""

import http.server
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
GATEHOUSE = os.environ.get("GATEHOUSE_URL", "http://127.0.0.1:8080").rstrip("/")
FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/callback": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
# The SPA talks to Gatehouse only; it runs no script but its own.
CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self'; connect-src {GATEHOUSE}; "
    "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        path = self.path.split("?", 1)[0]
        if path == "/config.js":
            body = f"window.GATEHOUSE_URL = {GATEHOUSE!r};\n".encode()
            kind = "text/javascript; charset=utf-8"
        elif path in FILES:
            name, kind = FILES[path]
            body = (HERE / name).read_bytes()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5173
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
