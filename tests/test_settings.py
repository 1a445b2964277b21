"""The type configuration is read once, strictly: every malformed entry is an error naming it."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.settings import ConfigurationError, Settings, parse_settings

ORG = "o-a1b2c3d4e5"
OU_PATH = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"


def test_no_configuration_gives_the_schema_defaults():
    assert parse_settings(None) == parse_settings({}) == Settings()
    assert Settings().trust_deploying_account is True


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("111111111111,222222222222", {"111111111111", "222222222222"}),
        (" 111111111111 , 222222222222 ,", {"111111111111", "222222222222"}),
        ('["111111111111", "222222222222"]', {"111111111111", "222222222222"}),
        (["111111111111", "222222222222"], {"111111111111", "222222222222"}),
        ("", set()),
    ],
    ids=["comma-separated", "spaces and trailing comma", "JSON array text", "JSON array", "empty"],
)
def test_account_lists(raw, expected):
    assert parse_settings({"TrustedAccountIds": raw}).trusted_account_ids == expected


@pytest.mark.parametrize(
    "key, raw, named",
    [
        ("TrustedAccountIds", "111111111111,22222222222", "'22222222222'"),
        ("TrustedAccountIds", "1111111111111", "'1111111111111'"),
        ("TrustedAccountIds", "\u0661" * 12, "'\u0661"),
        ("TrustedAccountIds", "[111111111111]", "every entry must be a string"),
        ("TrustedAccountIds", "[not json", "not a valid JSON array"),
        ("TrustedAccountIds", 111111111111, "expected a comma-separated string"),
        ("TrustedOrganizationIds", "o-*", "'o-*'"),
        ("TrustedOrganizationIds", "o-ABCDEFGHIJ", "'o-ABCDEFGHIJ'"),
        ("TrustedOrganizationalUnitPaths", "o-a1b2c3d4e5/*", "'o-a1b2c3d4e5/*'"),
        ("TrustedOrganizationalUnitPaths", "ou-ab12-11111111", "'ou-ab12-11111111'"),
        ("TrustDeployingAccount", "yes", "TrustDeployingAccount"),
        ("AllowedReplicationRegions", "eu-west-1,mars", "'mars'"),
    ],
)
def test_malformed_entries_are_errors_naming_setting_and_entry(key, raw, named):
    with pytest.raises(ConfigurationError) as error:
        parse_settings({key: raw})
    assert key in str(error.value)
    assert named in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigurationError) as error:
        parse_settings({"TrustedAccountIds": "1", "TrustedOrganizationIds": "o-*"})
    assert len(error.value.problems) == 2


@pytest.mark.parametrize("raw, expected", [("true", True), ("false", False), ("FALSE", False), (False, False), (True, True)])
def test_booleans_arrive_as_strings(raw, expected):
    assert parse_settings({"TrustDeployingAccount": raw}).trust_deploying_account is expected


def test_organizations_and_ou_paths():
    settings = parse_settings(
        {"TrustedOrganizationIds": ORG, "TrustedOrganizationalUnitPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111"}
    )
    assert settings.trusted_organization_ids == {ORG}
    assert settings.trusted_ou_paths == {OU_PATH}  # normalised with the trailing slash


def test_not_an_object():
    with pytest.raises(ConfigurationError):
        parse_settings(["TrustedAccountIds"])  # type: ignore[arg-type]
