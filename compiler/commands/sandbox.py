"""`paybill sandbox up|down|status DIR`: a local AWS emulator and PostgreSQL to try the whole
loop — compile, plan, apply, drift — on one machine.

`up` starts both on 127.0.0.1 (or finds them running) and writes `DIR/sandbox.env`; after
`. DIR/sandbox.env` the ordinary commands plan and apply against them:

    PAYBILL_TF_OVERRIDE   the AWS provider pointed at the emulator (never in generated/)
    PAYBILL_DSN_FILE      every SQL target -> a database of the local PostgreSQL, created
                          when first needed
    PAYBILL_WORKDIR       the stacks' working copies and local Terraform state
    PAYBILL_ACL_DIR       where ACL files are published
    TF_VAR_*              the values the stacks ask for (a container image, the API backend)
    AWS_*                 the emulator's endpoint and its dummy keys, for AWS clients

The sandbox emulates AWS alone: `up` and `status` name the stacks of `--generated` (default
`generated`) that are on another cloud, which it cannot apply.

`down` stops both by their PIDs (the emulator forgets everything; the working copies' state
then describes nothing, so it is removed too). Exit codes: 0, 3 when something is missing.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
from pathlib import Path

from compiler.errors import EnvironmentProblem
from compiler.sandbox.clouds import notice
from compiler.sandbox.emulator import (
    ACCESS_KEY,
    SECRET_KEY,
    Emulator,
    running_emulator,
    start_emulator,
)
from compiler.sandbox.postgres import running_postgres, start_postgres

ENV_FILE = "sandbox.env"
OVERRIDE_FILE = "emulator_override.tf.json"
DSN_FILE = "dsn.txt"
# What the stacks ask for, with values that work on the emulator.
VARIABLES = {
    "TF_VAR_app_image": "registry.example/app@sha256:" + "0" * 64,
    "TF_VAR_api_backend_url": "http://127.0.0.1:9/api",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[1] if __doc__ else None
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument("dir", type=Path, metavar="DIR", help="the sandbox's folder")
    parser.add_argument(
        "--generated",
        type=Path,
        default=Path("generated"),
        help="the compiled output to be tried in the sandbox (default: generated): its "
        "stacks of clouds other than AWS are named, as the sandbox cannot apply them",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if args.action != "down":
        for line in notice(args.generated):
            print(line)
    if args.action == "up":
        return up(folder)
    if args.action == "down":
        return down(folder)
    return status(folder)


def up(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    emulator = running_emulator(folder / "emulator") or _start_emulator(folder / "emulator")
    postgres = running_postgres(folder / "postgres") or start_postgres(folder / "postgres")
    override = emulator.write_override(folder / OVERRIDE_FILE)
    dsn = postgres.dsn("{target}")
    (folder / DSN_FILE).write_text(
        "# Every SQL target -> a database of the sandbox's PostgreSQL, created when needed.\n"
        f"*={dsn}\n"
    )
    exports = {
        "PAYBILL_TF_OVERRIDE": str(override),
        "PAYBILL_DSN_FILE": str(folder / DSN_FILE),
        "PAYBILL_WORKDIR": str(folder / "work"),
        "PAYBILL_ACL_DIR": str(folder / "acl"),
        **VARIABLES,
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    lines = [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    (folder / ENV_FILE).write_text(
        "# Written by `paybill sandbox up`: load with `. "
        + str(folder / ENV_FILE)
        + "`\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"emulator: {emulator.endpoint} (pid {emulator.pid})")
    print(f"postgres: 127.0.0.1:{postgres.port} (pid {postgres.pid})")
    print(f"now: . {folder / ENV_FILE}")
    return 0


def _start_emulator(folder: Path) -> Emulator:
    folder.mkdir(parents=True, exist_ok=True)
    return start_emulator(folder)


def down(folder: Path) -> int:
    stopped = []
    emulator = running_emulator(folder / "emulator")
    if emulator is not None:
        emulator.stop()
        stopped.append("emulator")
    postgres = running_postgres(folder / "postgres")
    if postgres is not None:
        postgres.stop(remove_data=True)
        stopped.append("postgres")
    # The emulator forgot every resource: state kept for it would describe nothing.
    for name in ("work", "acl"):
        shutil.rmtree(folder / name, ignore_errors=True)
    (folder / ENV_FILE).unlink(missing_ok=True)
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return 0


def status(folder: Path) -> int:
    emulator = running_emulator(folder / "emulator")
    postgres = running_postgres(folder / "postgres")
    print(f"emulator: {emulator.endpoint if emulator else 'not running'}")
    print(f"postgres: {f'127.0.0.1:{postgres.port}' if postgres else 'not running'}")
    if emulator is None or postgres is None:
        raise EnvironmentProblem(
            f"the sandbox in {folder} is not up: run paybill sandbox up {folder}"
        )
    return 0
