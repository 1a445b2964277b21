#!/usr/bin/env python3
"""Run the stock `cfn test` hook contract suite offline: no Docker, no AWS account.

`cfn test` reaches the handler through the Lambda Invoke API (normally `sam local start-lambda`,
which needs Docker) and first asks STS for credentials and the account ID. This script:

1. serves the Lambda Invoke REST call on 127.0.0.1 (an ephemeral port) and answers it by calling
   `handlers.hook` (function `TypeFunction`) or `handlers.test_entrypoint` (`TestEntrypoint`)
   in-process, exactly as the Lambda runtime would;
2. stands in for the two STS look-ups the suite makes (`get_temporary_credentials` and
   `get_account` in `rpdk.core.contract.hook_client`) with fixed, fake values;
3. runs the unmodified `cfn test` in this process, with `inputs/` and the type configuration.

    python tools/offline_cfn_test.py [--typeconfig inputs/typeconfig.json] [--port N]
                                     [--record calls.json] [-- PYTEST ARGS]

`--record` writes every invocation the suite made (function, invocation point, target, status,
error code, whether a message came back) so a test can check that every target schema.json
declares was really exercised. A handler that raises is answered as Lambda answers an unhandled
error (`X-Amz-Function-Error: Unhandled`), so the suite fails on it instead of hanging.

Exit status: 0 when every contract test passed, non-zero otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACCOUNT = "111111111111"
FUNCTIONS = {"TypeFunction": "hook", "TestEntrypoint": "test_entrypoint"}


class LambdaInvoke(BaseHTTPRequestHandler):
    """POST /2015-03-31/functions/<name>/invocations -> the handler's JSON response."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server naming
        from dataperimeter_ecr_replicationguard.hook import handlers

        parts = self.path.strip("/").split("/")
        name = parts[2] if len(parts) == 4 and parts[1] == "functions" else ""
        if name not in FUNCTIONS:
            self._answer(404, {"Type": "User", "message": f"Function not found: {name}"},
                         {"X-Amzn-ErrorType": "ResourceNotFoundException"})
            return
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        try:
            response = getattr(handlers, FUNCTIONS[name])(event, None)
        except Exception as error:  # noqa: BLE001 - reported to the suite as Lambda reports it
            self.server.calls.append(_call(name, event, {"status": "UNHANDLED", "message": repr(error)}))
            self._answer(200, {"errorType": type(error).__name__, "errorMessage": str(error)},
                         {"X-Amz-Function-Error": "Unhandled"})
            return
        self.server.calls.append(_call(name, event, response))
        self._answer(200, response)

    def _answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for header, value in (headers or {}).items():
            self.send_header(header, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args) -> None:  # keep the suite's output readable
        pass


def _call(function: str, event: dict, response: object) -> dict:
    """One invocation as recorded for --record: what was asked, what came back."""
    request = event.get("requestData") if isinstance(event.get("requestData"), dict) else {}
    answer = response if isinstance(response, dict) else {}
    return {
        "function": function,
        "invocationPoint": event.get("actionInvocationPoint"),
        "targetName": request.get("targetName"),
        "status": answer.get("hookStatus", answer.get("status")),
        "errorCode": answer.get("errorCode"),
        "hasMessage": bool(answer.get("message")),
        "message": answer.get("message"),
    }


def serve(port: int = 0) -> ThreadingHTTPServer:
    """The Lambda Invoke API on loopback only; port 0 picks a free one."""
    server = ThreadingHTTPServer(("127.0.0.1", port), LambdaInvoke)
    server.calls = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(typeconfig: pathlib.Path, pytest_args: list[str], record: pathlib.Path | None = None, port: int = 0) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from rpdk.core import cli
    from rpdk.core.contract import hook_client

    hook_client.get_temporary_credentials = lambda *_a, **_k: {
        "accessKeyId": "AKIDOFFLINE", "secretAccessKey": "offline", "sessionToken": "offline"}
    hook_client.get_account = lambda *_a, **_k: ACCOUNT
    os.environ.update(AWS_ACCESS_KEY_ID="AKIDOFFLINE", AWS_SECRET_ACCESS_KEY="offline", AWS_DEFAULT_REGION="us-east-1")
    os.chdir(ROOT)
    server = serve(port)
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        args = ["test", "--endpoint", endpoint, "--region", "us-east-1", "--typeconfig", str(typeconfig),
                "--enforce-timeout", "60"]
        try:
            cli.main(args_in=args + (["--", *pytest_args] if pytest_args else []))
        except SystemExit as stop:
            return int(stop.code or 0)
        return 0
    finally:
        server.shutdown()
        server.server_close()
        if record is not None:
            record.write_text(json.dumps(server.calls, indent=1))


def main(argv: list[str]) -> int:
    own, rest = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typeconfig", type=pathlib.Path, default=ROOT / "inputs" / "typeconfig.json")
    parser.add_argument("--port", type=int, default=0, help="loopback port to serve on (default: a free one)")
    parser.add_argument("--record", type=pathlib.Path, help="write the invocations the suite made as JSON")
    args = parser.parse_args(own)
    return run(args.typeconfig.resolve(), rest, args.record.resolve() if args.record else None, args.port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
