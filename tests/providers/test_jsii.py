"""Rebuilding a provider schema from a jsii assembly, on a small assembly written here in the
shape the bindings' generator writes (the real ones are 120-190 MB), and comparing it."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.providers.compare import compare
from compiler.providers.jsii import AssemblyError, extract

DOCS = "https://registry.terraform.io/providers/hashicorp/demo/1.2.0/docs"
RESOLVABLE = {"fqn": "cdktn.IResolvable"}


def link(kind: str, type_: str) -> str:
    page = f"{DOCS}/{kind}/{type_.removeprefix('demo_')}" if kind else DOCS
    return f"Represents a {{@link {page} {type_}}}."


def prop(name: str, tf: str, type_: dict[str, Any], optional: bool = True, block: bool = False):  # type: ignore[no-untyped-def]
    docs = {"summary": f"Docs at Terraform Registry: {{@link {DOCS}/resources/x#{tf} X#{tf}}}."}
    if block:
        docs = {"summary": f"{tf} block.", "remarks": docs["summary"]}
    out = {"name": name, "type": type_, "docs": docs}
    if optional:
        out["optional"] = True
    return out


def construct(base: str, summary: str, config: str) -> dict[str, Any]:
    return {
        "kind": "class",
        "base": f"cdktn.{base}",
        "docs": {"summary": summary},
        "initializer": {"parameters": [{"name": "config", "type": {"fqn": config}}]},
    }


def struct(*properties: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "interface", "datatype": True, "properties": list(properties)}


ASSEMBLY = {
    "types": {
        "demo.Provider": construct("TerraformProvider", link("", "demo"), "demo.ProviderConfig"),
        "demo.ProviderConfig": struct(
            prop("region", "region", {"primitive": "string"}, optional=False),
            prop("alias", "alias", {"primitive": "string"}),
        ),
        "demo.Thing": construct("TerraformResource", link("resources", "demo_thing"), "demo.C"),
        "demo.C": struct(
            prop("name", "name", {"primitive": "string"}, optional=False),
            prop("countAttribute", "count", {"primitive": "number"}),
            prop(
                "enabled",
                "enabled",
                {"union": {"types": [{"primitive": "boolean"}, RESOLVABLE]}},
            ),
            prop(
                "tags",
                "tags",
                {"collection": {"kind": "map", "elementtype": {"primitive": "string"}}},
            ),
            prop("spec", "spec", {"primitive": "any"}),
            prop("settings", "settings", {"fqn": "demo.Settings"}, optional=False, block=True),
            prop(
                "rule",
                "rule",
                {
                    "union": {
                        "types": [
                            {"collection": {"kind": "array", "elementtype": {"fqn": "demo.Rule"}}},
                            RESOLVABLE,
                        ]
                    }
                },
                block=True,
            ),
            prop("origin", "origin", {"fqn": "demo.Rule"}),
        ),
        "demo.Settings": struct(prop("tier", "tier", {"primitive": "string"}, optional=False)),
        "demo.Rule": struct(
            prop(
                "ports",
                "ports",
                {"collection": {"kind": "array", "elementtype": {"primitive": "number"}}},
            )
        ),
        "demo.DataOld": construct(
            "TerraformDataSource",
            link("data-sources", "demo_old").replace("1.2.0", "0.9.0"),
            "demo.C",
        ),
    }
}

EXPECTED_THING = {
    "attributes": {
        "count": {"optional": True, "type": "number"},
        "enabled": {"optional": True, "type": "bool"},
        "name": {"required": True, "type": "string"},
        "origin": {"optional": True, "type": ["object", {"ports": ["list", "number"]}]},
        "spec": {"optional": True, "type": "dynamic"},
        "tags": {"optional": True, "type": ["map", "string"]},
    },
    "block_types": {
        "rule": {
            "nesting_mode": "list",
            "block": {"attributes": {"ports": {"optional": True, "type": ["list", "number"]}}},
        },
        "settings": {
            "nesting_mode": "list",
            "min_items": 1,
            "max_items": 1,
            "block": {"attributes": {"tier": {"required": True, "type": "string"}}},
        },
    },
}


def test_names_types_blocks_and_the_provider_come_from_the_assembly() -> None:
    found = extract(ASSEMBLY, "1.2.0")
    assert (found.source, found.version) == ("registry.terraform.io/hashicorp/demo", "1.2.0")
    assert found.provider == {"attributes": {"region": {"required": True, "type": "string"}}}
    assert found.resources == {"demo_thing": EXPECTED_THING}
    assert found.data_sources == {}
    assert found.left_out == ["data demo_old (its page is of 0.9.0)"]
    assert found.guessed_names == []


def test_mixed_versions_without_an_expected_one_are_refused() -> None:
    with pytest.raises(
        AssemblyError, match=r"demo\.Provider links to .* 1\.2\.0, others to .* 0\.9\.0"
    ):
        extract(ASSEMBLY)


def test_a_name_without_a_link_is_taken_from_camel_case_and_listed() -> None:
    types = dict(ASSEMBLY["types"])
    types["demo.Settings"] = struct(
        {"name": "maxTier", "type": {"primitive": "string"}, "docs": {}, "optional": True}
    )
    found = extract({"types": types}, "1.2.0")
    block = found.resources["demo_thing"]["block_types"]["settings"]["block"]
    assert block == {"attributes": {"max_tier": {"optional": True, "type": "string"}}}
    assert found.guessed_names == ["demo.Settings.maxTier"]


def test_the_comparison_counts_each_kind_of_difference() -> None:
    rebuilt = extract(ASSEMBLY, "1.2.0").document("demo 1")["provider_schemas"]
    mine = rebuilt["registry.terraform.io/hashicorp/demo"]
    real = {
        "provider": {"block": {"attributes": {"region": {"optional": True, "type": "string"}}}},
        "resource_schemas": {
            "demo_thing": {
                "block": {
                    "attributes": {
                        **EXPECTED_THING["attributes"],
                        "arn": {"computed": True, "type": "string"},
                        "enabled": {"optional": True, "type": "string"},
                        "zone": {"optional": True, "type": "string"},
                        "tags": {"optional": True, "type": ["map", "string"]},
                        "origin": {
                            "optional": True,
                            "type": ["object", {"ports": ["set", "number"]}],
                        },
                        "rule": {"optional": True, "type": ["list", "string"]},
                    },
                    "block_types": {
                        "settings": {
                            **EXPECTED_THING["block_types"]["settings"],
                            "nesting_mode": "single",
                        }
                    },
                }
            },
            "demo_gone": {"block": {}},
        },
        "data_source_schemas": {},
    }
    result = compare(real, mine)
    assert result.types_missing == ["resource_schemas.demo_gone"]
    assert result.names_missing == ["demo_thing.zone"]
    assert result.required_mismatches == ["provider.region"]
    assert result.type_mismatches == ["demo_thing.enabled: string vs bool"]
    assert result.kind_mismatches == ["demo_thing.rule"]
    assert result.single_mismatches == []
    assert result.names == 11  # region; 8 arguments and 1 block of demo_thing; tier
