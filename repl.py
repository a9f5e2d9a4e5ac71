"""`python repl.py [--db URL] [--schema FILE] [--dialect D] [--as-of T]`: the same as `rare repl`."""

import sys

from rare_dsl.cli import main

if __name__ == "__main__":
    sys.exit(main(["repl", *sys.argv[1:]]))
