"""The trusted set (core/trust.py): an immutable value the checkers only read."""

from __future__ import annotations

import pytest

from dataperimeter_ecr_replicationguard.core.trust import Trust

TRUST = Trust(accounts=frozenset({"111111111111", "222222222222"}), organization_ids=frozenset({"o-a1b2c3d4e5"}),
              ou_paths=frozenset({"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}), partition="aws")


def test_an_account_is_trusted_only_when_listed():
    assert TRUST.trusts_account("111111111111")
    assert not TRUST.trusts_account("333333333333")
    assert not TRUST.trusts_account("11111111111")  # a prefix is not the account
    assert not Trust().trusts_account("111111111111")  # the empty set trusts nobody


def test_no_allowed_regions_means_every_region_else_only_those():
    assert TRUST.region_allowed("ap-southeast-2")
    limited = TRUST._replace(allowed_replication_regions=frozenset({"eu-west-1"}))
    assert limited.region_allowed("eu-west-1") and not limited.region_allowed("eu-west-2")


@pytest.mark.parametrize("trust, text", [
    (Trust(), "0 accounts"),
    (Trust(accounts=frozenset({"111111111111"})), "1 account"),
    (TRUST, "2 accounts, 1 organization, 1 OU path"),
    (Trust(ou_paths=frozenset({"o-a/r-b/", "o-a/r-c/"})), "0 accounts, 2 OU paths"),
])
def test_describe_counts_what_is_trusted(trust, text):
    assert trust.describe() == text


def test_notes_do_not_make_another_trusted_set_and_the_value_is_immutable():
    noted = TRUST._replace(notes=("the organization membership could not be refreshed",))
    assert noted == TRUST and hash(noted) == hash(TRUST)  # the same trust, whatever is said about it
    assert noted.notes and not TRUST.notes
    with pytest.raises(AttributeError):
        TRUST.accounts = frozenset()
