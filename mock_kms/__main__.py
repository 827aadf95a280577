"""Command line: ``python -m mock_kms demo`` and ``python -m mock_kms serve`` (also ``mock-kms``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mock-kms", description="An in-process test double of AWS KMS.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk through the classic KMS tutorial under the mock")
    serve = commands.add_parser("serve", help="serve the KMS API over HTTP (for the aws CLI and other SDKs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4599)
    serve.add_argument("--state", help="load state from this file at start and save it on shutdown")
    serve.add_argument("--seed", help="a seed file (JSON or TOML) declaring keys, aliases and principals")
    serve.add_argument("--region", help="default region for requests that name none")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from mock_kms.demo import run_demo

        return run_demo()
    from mock_kms.server import serve_forever

    return serve_forever(host=args.host, port=args.port, state=args.state, seed=args.seed, region=args.region)


if __name__ == "__main__":
    sys.exit(main())
