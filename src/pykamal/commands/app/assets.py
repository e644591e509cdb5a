"""Asset bridging: the new version's assets extracted, synced with the old ones, cleaned up."""

from __future__ import annotations

from pathlib import PurePosixPath

from pykamal.commands.app.base import _asset_path_config, asset_extracted_directory, asset_volume_directory
from pykamal.commands.args import (
    docker,
    make_directory,
)
from pykamal.commands.base import (
    Command,
    Quoted,
    Raw,
    chain,
    cmd,
    combine,
)
from pykamal.config.model import Config, Role

# --- assets ----------------------------------------------------------------------------------------


def extract_assets(config: Config, role: Role) -> Command:
    """Copy the image's asset directory out to ``assets/extracted/<role>-<version>`` on the host."""
    asset = _asset_path_config(config, role)
    if asset is None:
        raise ValueError(f"role {role.name} has no asset_path")
    container = f"{role.container_prefix}-assets"
    target = asset_extracted_directory(config, role)
    return combine(
        make_directory(target),
        docker("container", "rm", container, Raw("2> /dev/null"), Raw("|| true")),
        docker("container", "create", "--name", container, config.absolute_image),
        docker("container", "cp", "-L", f"{container}:{asset[0]}/.", target),
        docker("container", "rm", container),
    )


def _copy_contents(source: str, destination: str, *, continue_on_error: bool = False) -> Command:
    return cmd("cp", "-rnT", source, destination, Raw("|| true") if continue_on_error else None)


def sync_asset_volumes(config: Config, role: Role, old_version: str | None = None) -> Command:
    """Fill the new version's asset volume; share assets both ways with the old version's volume."""
    new_extracted = asset_extracted_directory(config, role)
    new_volume = asset_volume_directory(config, role)
    commands = [make_directory(new_volume), _copy_contents(new_extracted, new_volume)]
    if old_version:
        old_extracted = asset_extracted_directory(config, role, old_version)
        old_volume = asset_volume_directory(config, role, old_version)
        commands.append(_copy_contents(new_extracted, old_volume, continue_on_error=True))
        commands.append(_copy_contents(old_extracted, new_volume, continue_on_error=True))
    return chain(*commands)


def _remove_older_siblings(role: Role, path: str) -> Command:
    p = PurePosixPath(path)
    return cmd(
        "find",
        str(p.parent),
        "-maxdepth",
        "1",
        "-name",
        Quoted(f"{role.name}-*", single=True),
        Raw("!"),
        "-name",
        p.name,
        "-exec",
        "rm",
        "-rf",
        Quoted("{}"),
        "+",
    )


def clean_up_assets(config: Config, role: Role) -> Command:
    """Remove asset directories of every other version of the role."""
    return chain(
        _remove_older_siblings(role, asset_extracted_directory(config, role)),
        _remove_older_siblings(role, asset_volume_directory(config, role)),
    )


# --- asset bridging --------------------------------------------------------------------------------


def prepare_assets(config: Config, role: Role, old_version: str | None) -> Command:
    """Extract the new image's assets and share them with the old version's volume."""
    return combine(extract_assets(config, role), sync_asset_volumes(config, role, old_version))
