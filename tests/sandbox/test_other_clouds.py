"""The sandbox emulates AWS alone: `paybill sandbox up` and `status` name every stack of
another cloud in the compiled output (it cannot apply them), and say nothing of the kind
for an output on AWS alone. `status` runs without starting anything, so the CLI is tested
through it (it exits 3: the sandbox is not up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.cli import main
from compiler.sandbox.clouds import not_emulated, stack_clouds
from tests.support.handmade_output import stack_document, write_output

AWS = stack_document("aws", {"aws_s3_bucket": {"logs": {"bucket": "logs"}}})


def mixed(folder: Path) -> Path:
    return write_output(
        folder,
        {
            "pool-shared": AWS,
            "pool-eu-azure": stack_document("azure", {}),
            "tenant-contoso": stack_document("gcp", {}),
            "tenant-initech": AWS,
            "tenant-oracle": stack_document("oci", {}),
            "tenant-ibm": stack_document("ibm", {}),
        },
    )


def test_each_stack_is_on_the_cloud_of_its_pinned_provider(tmp_path: Path) -> None:
    generated = mixed(tmp_path / "generated")
    assert stack_clouds(generated) == {
        "pool-eu-azure": ["azure"],
        "pool-shared": ["aws"],
        "tenant-contoso": ["gcp"],
        "tenant-ibm": ["ibm"],
        "tenant-initech": ["aws"],
        "tenant-oracle": ["oci"],
    }
    assert not_emulated(generated) == {
        "pool-eu-azure": "azure",
        "tenant-contoso": "gcp",
        "tenant-ibm": "ibm",
        "tenant-oracle": "oci",
    }


def test_status_names_the_stacks_it_cannot_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = mixed(tmp_path / "generated")
    code = main(["sandbox", "status", str(tmp_path / "sandbox"), "--generated", str(generated)])
    out = capsys.readouterr().out
    assert code == 3  # not up
    assert out.splitlines()[:2] == [
        f"the sandbox emulates AWS only: 4 stack(s) of {generated} cannot be applied here: "
        "pool-eu-azure (azure), tenant-contoso (gcp), tenant-ibm (ibm), tenant-oracle (oci)",
        "  paybill plan lists each as 'schema-checked only' where its provider is not "
        "installed (exit 3); paybill apply stops at the first wave holding one (its other "
        "nodes finish): apply the rest with --only NODE",
    ]


def test_an_output_on_aws_alone_gets_no_such_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = write_output(tmp_path / "generated", {"pool-shared": AWS})
    assert main(["sandbox", "status", str(tmp_path / "sandbox"), "--generated", str(generated)])
    assert "emulates AWS only" not in capsys.readouterr().out
    # Nor does a folder that holds no output yet.
    assert main(["sandbox", "status", str(tmp_path / "sandbox"), "--generated", "nowhere"])
    assert "emulates AWS only" not in capsys.readouterr().out
