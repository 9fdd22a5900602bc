"""Provider pins read from a stack, and mirror detection in both of terraform's layouts."""

from __future__ import annotations

import json
from pathlib import Path

from compiler.terraform import Provider, find_mirror, required_providers
from compiler.terraform.providers import target_platform

AWS = Provider("registry.terraform.io/hashicorp/aws", "5.100.0")


def test_exact_pins_are_read_from_every_json_file_of_a_stack(tmp_path: Path) -> None:
    (tmp_path / "cdk.tf.json").write_text(
        json.dumps(
            {
                "terraform": {
                    "required_providers": {
                        "aws": {"source": "hashicorp/aws", "version": "5.100.0"},
                        "random": {"source": "hashicorp/random", "version": "~> 3.0"},
                    }
                }
            }
        )
    )
    (tmp_path / "other.tf.json").write_text(
        json.dumps(
            {
                "terraform": [
                    {
                        "required_providers": {
                            "x": {"source": "example.com/acme/x", "version": "= 1.2.3"}
                        }
                    }
                ]
            }
        )
    )
    assert required_providers(tmp_path) == (
        Provider("example.com/acme/x", "1.2.3"),
        AWS,
    )


def test_a_mirror_counts_only_when_it_holds_every_pin(tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    (unpacked / AWS.source / AWS.version / target_platform()).mkdir(parents=True)
    packed = tmp_path / "packed"
    (packed / AWS.source).mkdir(parents=True)
    (packed / AWS.source / f"terraform-provider-aws_5.100.0_{target_platform()}.zip").touch()
    other = Provider("registry.terraform.io/hashicorp/random", "3.6.0")
    assert find_mirror([AWS], [tmp_path / "none", unpacked]) == unpacked
    assert find_mirror([AWS], [packed]) == packed
    assert find_mirror([AWS, other], [unpacked, packed]) is None
    assert find_mirror([], [unpacked]) is None
