"""The ``pymecompress`` command."""

from __future__ import annotations

import argparse
import sys

from .registry import list_codecs


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import main

    return main(step=args.step)


def _cmd_codecs(args: argparse.Namespace) -> int:
    rows = [("id", "kind", "lossless", "dtypes", "parameters")]
    for c in list_codecs():
        rows.append((c["id"], c["kind"], "yes" if c["lossless"] else "no", ",".join(c["dtypes"]),
                     ",".join(c["parameters"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pymecompress",
                                     description="Noise-bounded compression for photon-limited images.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="compress the bundled real camera sample and report ratio, speed, error")
    demo.add_argument("--step", type=float, default=1.0, help="quantization step in noise sigmas (default 1)")
    demo.set_defaults(func=_cmd_demo)
    codecs = sub.add_parser("codecs", help="list the codecs and what they are for")
    codecs.set_defaults(func=_cmd_codecs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError) as err:
        print(f"pymecompress {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
