"""Command line: ``python -m mock_kms demo`` and ``python -m mock_kms serve`` (also ``mock-kms``)."""

from __future__ import annotations

import argparse
import sys


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {port}")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mock-kms", description="An in-process test double of AWS KMS.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk through the classic KMS tutorial under the mock")
    serve = commands.add_parser("serve", help="serve the KMS API over HTTP (for the aws CLI and other SDKs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=4599, help="0-65535; 0 picks a free port")
    serve.add_argument(
        "--state",
        help="load state from this file at start (if it exists) and keep it on disk: every request "
        "answered with success is saved (fsync) before its answer is sent",
    )
    serve.add_argument(
        "--verify-signatures",
        action="store_true",
        help="check SigV4 signatures against the secret of the access key's principal "
        "(required to listen on a non-loopback address)",
    )
    serve.add_argument("--seed", help="a seed file (JSON or TOML) declaring keys, aliases and principals")
    serve.add_argument("--region", help="default region for requests that name none")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from mock_kms.demo import run_demo

        return run_demo()
    from mock_kms.server import serve_forever

    return serve_forever(
        host=args.host,
        port=args.port,
        state=args.state,
        seed=args.seed,
        region=args.region,
        verify_signatures=args.verify_signatures,
    )


if __name__ == "__main__":
    sys.exit(main())

