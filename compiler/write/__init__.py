"""Stage 6: the only code that touches the output folder.

* `folder` opens the output folder for a compile: `guard` refuses an `--out` that would put
  the spec, a repository or another tool's files at risk, before anything is read from it;
  `lock` keeps a second compile from writing beside the first.
* `tree` takes each file as the compile builds it, compares it with the disk and stages it
  (`staging`) when it differs; `journal` then moves the staged files into place so that a
  crash leaves the old output or the new one, and finishes or rolls back what a killed
  compile left.
* `previous` reads what the last compile wrote (its records), `disk` what is on disk now;
  `cache` is what the last compile knew, for the next one to skip what did not change.

The writer never decides content: it receives finished artifacts.
"""

from compiler.write.disk import Disk
from compiler.write.folder import filesystem_problem, output_folder
from compiler.write.lock import DEFAULT_TIMEOUT_SECONDS, timeout_from_environment
from compiler.write.previous import Previous, read_previous
from compiler.write.tree import Difference, Writer, present_files

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "Difference",
    "Disk",
    "Previous",
    "Writer",
    "filesystem_problem",
    "output_folder",
    "present_files",
    "read_previous",
    "timeout_from_environment",
]
