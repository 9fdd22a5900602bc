"""Working copies: side by side, configuration replaced, state and terraform's files kept,
the override file in or out, and an environment that ignores the caller's terraform setup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.terraform import OVERRIDE_NAME, Workspace
from compiler.terraform.modules import SOURCE_OVERRIDE, ModuleSourceError
from compiler.terraform.providers import target_platform
from compiler.terraform.workspace import CLI_CONFIG_NAME, terraform_env

PINNED = {
    "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}
}


def stack(folder: Path, name: str, document: object = PINNED, **extra: str) -> Path:
    path = folder / "generated" / "stacks" / name
    path.mkdir(parents=True, exist_ok=True)
    (path / "cdk.tf.json").write_text(json.dumps(document))
    for file, text in extra.items():
        (path / file).write_text(text)
    return path


def test_copies_sit_side_by_side_so_remote_state_paths_resolve(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    pool = workspace.checkout("pool-eu", stack(tmp_path, "pool-eu"))
    tenant = workspace.checkout("tenant-acme", stack(tmp_path, "tenant-acme"))
    assert tenant.path.parent == pool.path.parent == (tmp_path / "work" / "stacks").resolve()
    assert (tenant.path / "../pool-eu/terraform.tfstate").resolve() == pool.state_file
    assert workspace.stacks() == ["pool-eu", "tenant-acme"]


def test_a_new_checkout_replaces_configuration_and_keeps_what_terraform_made(
    tmp_path: Path,
) -> None:
    workspace = Workspace(tmp_path / "work")
    source = stack(tmp_path, "pool-eu", **{"extra.tf.json": "{}"})
    copy = workspace.checkout("pool-eu", source)
    kept = [
        "terraform.tfstate",
        "terraform.tfstate.backup",
        ".terraform.lock.hcl",
        "paybill.tfplan",
    ]
    for name in kept:
        (copy.path / name).write_text("made by terraform")
    (copy.path / ".terraform").mkdir()
    (source / "extra.tf.json").unlink()
    (source / "cdk.tf.json").write_text('{"changed": true}')

    again = workspace.checkout("pool-eu", source)
    assert again.path == copy.path
    assert (copy.path / "cdk.tf.json").read_text() == '{"changed": true}'
    assert not (copy.path / "extra.tf.json").exists()
    assert all((copy.path / name).read_text() == "made by terraform" for name in kept)
    assert (copy.path / ".terraform").is_dir()


def test_the_override_file_is_copied_in_and_removed_when_not_given(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    override = tmp_path / "emulator.tf.json"
    override.write_text('{"provider": {}}')
    copy = workspace.checkout("pool-eu", stack(tmp_path, "pool-eu"), override)
    assert (copy.path / OVERRIDE_NAME).read_text() == '{"provider": {}}'
    assert OVERRIDE_NAME.endswith("_override.tf.json")  # terraform merges it last
    workspace.checkout("pool-eu", stack(tmp_path, "pool-eu"))
    assert not (copy.path / OVERRIDE_NAME).exists()
    assert not (tmp_path / "generated" / "stacks" / "pool-eu" / OVERRIDE_NAME).exists()


def test_terraform_never_runs_inside_the_stack_folders(tmp_path: Path) -> None:
    source = stack(tmp_path, "pool-eu")
    with pytest.raises(ValueError, match="must be outside"):
        Workspace(tmp_path / "generated" / "stacks").checkout("pool-eu", source)
    with pytest.raises(FileNotFoundError, match="no terraform configuration"):
        Workspace(tmp_path / "work").checkout("empty", tmp_path)


def test_an_existing_copy_is_found_again_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    made = workspace.checkout("pool-eu", stack(tmp_path, "pool-eu"))
    assert workspace.copy("pool-eu") == made
    with pytest.raises(FileNotFoundError, match="no working copy of tenant-x"):
        workspace.copy("tenant-x")


def test_each_copy_has_its_own_cli_configuration_with_a_plugin_cache_without_a_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYBILL_TF_PLUGIN_MIRROR", str(tmp_path / "no-mirror"))
    cache = tmp_path / "cache"
    copy = Workspace(tmp_path / "work", plugin_cache=cache).checkout(
        "pool-eu", stack(tmp_path, "pool-eu")
    )
    config = copy.path / CLI_CONFIG_NAME
    assert copy.env["TF_CLI_CONFIG_FILE"] == str(config)
    assert config.read_text() == f'plugin_cache_dir = "{cache}"\n'
    assert copy.plugin_cache == cache
    assert cache.is_dir()


def test_a_mirror_holding_the_pins_is_used_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io/hashicorp/aws/5.100.0" / target_platform()).mkdir(parents=True)
    monkeypatch.setenv("PAYBILL_TF_PLUGIN_MIRROR", str(mirror))
    copy = Workspace(tmp_path / "work").checkout("pool-eu", stack(tmp_path, "pool-eu"))
    assert copy.plugin_cache is None
    text = (copy.path / CLI_CONFIG_NAME).read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text


def test_the_environment_ignores_the_callers_terraform_setup(tmp_path: Path) -> None:
    caller = {
        "PATH": "/bin",
        "TF_CLI_CONFIG_FILE": "/root/.terraformrc",
        "TF_CLI_ARGS": "-refresh=false",
        "TF_CLI_ARGS_plan": "-target=x",
        "TF_DATA_DIR": "/elsewhere",
        "TF_WORKSPACE": "other",
        "TF_PLUGIN_CACHE_DIR": "/cache",
        "TF_VAR_app_image": "registry.example/app@sha256:0",
        "TF_INPUT": "1",
    }
    env = terraform_env(tmp_path / "rc", caller)
    assert env == {
        "PATH": "/bin",
        "TF_VAR_app_image": "registry.example/app@sha256:0",
        "TF_CLI_CONFIG_FILE": str(tmp_path / "rc"),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
    }


def root_stack(folder: Path, name: str, module: str, call: str = "tenant") -> Path:
    """A root stack calling `module` as generated does, the module beside it."""
    document = {
        **PINNED,
        "module": {call: {"source": f"../../modules/{module}", "stack": name}},
    }
    modules = folder / "generated" / "modules" / module
    modules.mkdir(parents=True, exist_ok=True)
    (modules / "cdk.tf.json").write_text(json.dumps({"variable": {"stack": {}}}))
    (modules / ".terraform.lock.hcl").write_text("# the module's lock file\n")
    (modules / "stack-template.json").write_text("{}")
    return stack(folder, name, document)


def test_modules_are_shared_where_the_stacks_look_for_them(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    one = workspace.checkout("tenant-a", root_stack(tmp_path, "tenant-a", "aws-pooled"))
    two = workspace.checkout("tenant-b", root_stack(tmp_path, "tenant-b", "aws-pooled"))
    module = (one.path / "../../modules/aws-pooled").resolve()
    assert module == (two.path / "../../modules/aws-pooled").resolve()
    assert module == (tmp_path / "work" / "modules" / "aws-pooled").resolve()
    # Only what terraform reads as configuration; the lock file goes to the root folder.
    assert sorted(p.name for p in module.iterdir()) == ["cdk.tf.json"]
    assert (one.path / ".terraform.lock.hcl").read_text() == "# the module's lock file\n"
    assert not (one.path / "paybill-modules").exists()


def test_a_module_from_anywhere_else_is_refused(tmp_path: Path) -> None:
    document = {"module": {"tenant": {"source": "../../../../etc"}}}
    with pytest.raises(ModuleSourceError, match=r"module tenant is at '../../../../etc'"):
        Workspace(tmp_path / "work").checkout("tenant-a", stack(tmp_path, "tenant-a", document))
    source = root_stack(tmp_path, "tenant-b", "aws-missing")
    (tmp_path / "generated/modules/aws-missing/cdk.tf.json").unlink()
    with pytest.raises(FileNotFoundError, match="module aws-missing of tenant-b is not in"):
        Workspace(tmp_path / "work").checkout("tenant-b", source)


def test_a_private_module_is_this_copys_alone_until_the_next_checkout(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "work")
    source = root_stack(tmp_path, "tenant-a", "aws-pooled")
    shared = workspace.checkout("tenant-b", root_stack(tmp_path, "tenant-b", "aws-pooled"))
    lifted = tmp_path / "generated/modules/aws-pooled/paybill_unprotect_override.tf.json"
    lifted.write_text('{"resource": {}}')  # an override in the module: private by itself
    copy = workspace.checkout("tenant-a", source)
    lifted.unlink()
    assert json.loads((copy.path / SOURCE_OVERRIDE).read_text()) == {
        "module": {"tenant": {"source": "./paybill-modules/aws-pooled"}}
    }
    assert sorted(p.name for p in (copy.path / "paybill-modules/aws-pooled").iterdir()) == [
        "cdk.tf.json",
        "paybill_unprotect_override.tf.json",
    ]
    shared_module = (shared.path / "../../modules/aws-pooled").resolve()
    assert sorted(p.name for p in shared_module.iterdir()) == ["cdk.tf.json"]
    private = workspace.checkout("tenant-a", source, private_modules=True)
    assert (private.path / SOURCE_OVERRIDE).is_file()
    workspace.checkout("tenant-a", source)
    assert not (copy.path / SOURCE_OVERRIDE).exists()
    assert not (copy.path / "paybill-modules").exists()
