"""settings.settings_of remembers a parsed type configuration (the warm path reads it once),
gives the same Settings as parse_settings, and never remembers a configuration that fails."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.settings import ConfigurationError, parse_settings, settings_of

CONFIG = {"TrustedAccountIds": "222222222222, 333333333333", "TrustDeployingAccount": "false",
          "AllowedReplicationRegions": "eu-west-1"}


def test_same_settings_as_parse_settings_and_read_once():
    first = settings_of(dict(CONFIG))
    assert first == parse_settings(dict(CONFIG))
    assert settings_of(dict(reversed(list(CONFIG.items())))) is first


def test_a_different_configuration_gives_different_settings():
    other = settings_of({**CONFIG, "TrustedAccountIds": "444444444444"})
    assert other.trusted_account_ids == frozenset({"444444444444"})


def test_an_invalid_configuration_fails_every_time():
    bad = {"TrustedAccountIds": "12345"}
    for _ in range(2):
        with pytest.raises(ConfigurationError):
            settings_of(dict(bad))


def test_none_and_unhashable_values_still_parse():
    assert settings_of(None) == parse_settings(None)
    raw = {"TrustedAccountIds": ["222222222222"]}
    assert settings_of(raw) == parse_settings(raw)
