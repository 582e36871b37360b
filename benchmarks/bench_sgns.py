"""SGNS speed benchmark: ``python benchmarks/bench_sgns.py [options]``.

The same as ``embedsent bench sgns``; run ``--help`` for the options.
"""

import sys

from embedsent.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "sgns", *sys.argv[1:]]))
