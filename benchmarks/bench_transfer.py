"""Transfer learning curves: ``python benchmarks/bench_transfer.py [options]``.

The same as ``embedsent bench transfer``, except that ``--docs-dir``
defaults to ``docs``, because this script regenerates the published figures;
run ``--help`` for the options. Progress is logged to stderr at INFO level.
Results go to ``benchmarks/results/transfer_curves.json`` (git-ignored), and
the plots and the "Transfer learning curves" section of ``docs/benchmarks.md``
are rewritten at the end of each run.
"""

import argparse
import logging
import shlex
import sys

from embedsent.curve_cli import add_arguments, run


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_transfer.py",
        description="Learning curves of transfer learning against baselines.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["python", "benchmarks/bench_transfer.py", *argv])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return run(args)
    except (ValueError, TypeError, FileNotFoundError) as error:
        print(f"bench_transfer.py: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
