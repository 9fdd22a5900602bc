"""A synthesis worker: reads pickled shape jobs on stdin, writes each shape's module and
template, pickled in the same order, on stdout. Started by `compiler.emit.stacks.synth` only."""

from __future__ import annotations

import pickle
import sys

from compiler.emit.stacks.synth import build


def main() -> int:
    jobs = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps([build(job) for job in jobs]))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
