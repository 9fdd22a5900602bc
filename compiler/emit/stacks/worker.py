"""A synthesis worker: reads pickled stack records on stdin, writes their `cdk.tf.json` bytes,
pickled in the same order, on stdout. Started by `compiler.emit.stacks.synth` only."""

from __future__ import annotations

import pickle
import sys

from compiler.emit.stacks.synth import build


def main() -> int:
    stacks = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps([build(inputs) for inputs in stacks]))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
