"""A `file` POS connection reads only from its organization's folder, `<root>/<organization_id>/`,
checked after resolving symlinks each time the file is read; a failed sync names the path as the
organization gave it, never the server's directories."""
from __future__ import annotations

import os

from inventory import bootstrap
from api.test_pos_sync import CSV, by_sku, connect, export, pos_folder, run


def test_an_organization_cannot_sync_another_organizations_export(api, other_api, services):
    mine = api.location()
    export(api, "a-export.csv", CSV)
    (pos_folder(api).parent / "a-export.csv").write_text(CSV)  # a copy left where all used to read
    connect(api, mine["id"], kind="file", settings={"path": "a-export.csv"})
    assert run(api, services, mine["id"])["status"] == "succeeded"
    assert set(by_sku(api)) == {"BD-35", "NEW-1", "MG-10"}

    theirs = other_api.location()
    connect(other_api, theirs["id"], kind="file", settings={"path": "a-export.csv"})
    result = run(other_api, services, theirs["id"])
    assert result["status"] == "failed" and "a-export.csv" in result["error"], result
    assert by_sku(other_api) == {}

    climbing = other_api.request("PUT", f"/api/v1/locations/{theirs['id']}/pos-connection",
                                 {"kind": "file", "settings": {"path": f"../{api.organization_id}/a-export.csv"}})
    assert climbing.status == 422 and climbing.field_names() == ["settings.path"]
    root = str(bootstrap.services().settings.pos_file_root.resolve())
    assert root not in climbing.text  # no server directory shown


def test_a_symlink_put_in_place_after_the_connection_was_saved_is_refused_when_read(api, other_api, services):
    secret = pos_folder(api) / "a-export.csv"
    secret.write_text(CSV)
    theirs = other_api.location()
    export(other_api, "pos.csv", "sku,room_type,quantity\nOWN-1,vault,2\n")
    connect(other_api, theirs["id"], kind="file", settings={"path": "pos.csv"})
    assert run(other_api, services, theirs["id"])["status"] == "succeeded"

    own = pos_folder(other_api) / "pos.csv"
    own.unlink()
    own.symlink_to(secret)  # swapped in after the PUT accepted the path
    result = run(other_api, services, theirs["id"])
    assert result["status"] == "failed" and "outside the organization's POS folder" in result["error"]
    assert set(by_sku(other_api)) == {"OWN-1"} and by_sku(other_api)["OWN-1"]["quantity"] == 2

    folder_link = pos_folder(other_api) / "shared"
    folder_link.symlink_to(secret.parent, target_is_directory=True)
    through_folder = other_api.request("PUT", f"/api/v1/locations/{theirs['id']}/pos-connection",
                                       {"kind": "file", "settings": {"path": "shared/a-export.csv"}})
    assert through_folder.status == 422 and through_folder.field_names() == ["settings.path"]


def test_a_symlink_within_the_organizations_folder_is_followed(api, location, services):
    export(api, "2026-11-25.csv", CSV)
    (pos_folder(api) / "latest.csv").symlink_to("2026-11-25.csv")
    connect(api, location["id"], kind="file", settings={"path": "latest.csv"})
    assert run(api, services, location["id"])["status"] == "succeeded"
    assert by_sku(api)["BD-35"]["quantity"] == 40


def test_a_failed_sync_names_the_path_within_the_organizations_folder(api, location, services):
    root = str(bootstrap.services().settings.pos_file_root.resolve())
    (pos_folder(api) / "exports").mkdir()
    for path, reason in [("exports/nope.csv", "No such file or directory: 'exports/nope.csv'"),
                         ("exports", "exports is not a regular file")]:
        connect(api, location["id"], kind="file", settings={"path": path})
        result = run(api, services, location["id"])
        assert result["status"] == "failed" and reason in result["error"], result
        assert root not in result["error"] and os.sep + api.organization_id not in result["error"]


def test_an_organization_folder_that_is_a_symlink_is_not_read(api, other_api, location, services):
    export(other_api, "pos.csv", CSV)
    folder = pos_folder(api)
    folder.rmdir()
    folder.symlink_to(pos_folder(other_api), target_is_directory=True)  # A's folder is B's
    refused = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                          {"kind": "file", "settings": {"path": "pos.csv"}})
    assert refused.status == 422 and refused.field_names() == ["settings.path"]
