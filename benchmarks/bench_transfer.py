"""Transfer learning curves: ``python benchmarks/bench_transfer.py [options]``.

The same as ``embedsent bench transfer``, except that ``--docs-dir``
defaults to ``docs``, because this script regenerates the published figures;
run ``--help`` for the options. Progress is logged to stderr at INFO level.
A run whose options differ from the published run's leaves ``docs`` alone
unless ``--docs-dir`` is given, so a trial run never replaces the published
figures.
Results go to ``benchmarks/results/transfer_curves.json`` (git-ignored), and
the plots and the "Transfer learning curves" section of ``docs/benchmarks.md``
are rewritten at the end of each run.
"""

import argparse
import logging
import shlex
import sys

from embedsent.curve_cli import add_arguments, run

logger = logging.getLogger("bench_transfer")

# Options that change neither the runs nor where they are stored.
_REPORT_OPTIONS = frozenset({"docs_dir", "no_progress", "report_only"})


def _changed_options(parser: argparse.ArgumentParser, args) -> list[str]:
    """Return the flags of ``args`` that differ from the published run's."""
    defaults = vars(parser.parse_args([]))
    return [
        "--" + name.replace("_", "-")
        for name, value in defaults.items()
        if name not in _REPORT_OPTIONS and getattr(args, name) != value
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        prog="bench_transfer.py",
        description="Learning curves of transfer learning against baselines.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    changed = _changed_options(parser, args)
    docs_given = any(arg.split("=")[0] == "--docs-dir" for arg in argv)
    args.command_line = shlex.join(["python", "benchmarks/bench_transfer.py", *argv])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if changed and not docs_given:
        logger.warning(
            "not writing %s: this run changes %s from the published run; pass "
            "--docs-dir %s to write it there anyway",
            args.docs_dir,
            ", ".join(changed),
            args.docs_dir,
        )
        args.docs_dir = None
    try:
        return run(args)
    except (ValueError, TypeError, FileNotFoundError) as error:
        print(f"bench_transfer.py: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
