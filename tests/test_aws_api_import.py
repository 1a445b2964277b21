"""The registered hook's RESOURCE path never loads the AWS-API room (aws_api/), and aws_api loads
boto3 only when a reader is asked to build clients. Checked in a fresh interpreter."""

from __future__ import annotations

import pytest

from test_import_path import PACKAGE, modules_after


def test_the_registered_hook_import_path_does_not_load_aws_api():
    loaded = set(modules_after(f"import {PACKAGE}.hook.handlers")["all"])
    assert f"{PACKAGE}.hook.handlers" in loaded
    assert not {m for m in loaded if m == f"{PACKAGE}.aws_api" or m.startswith(f"{PACKAGE}.aws_api.")}


@pytest.mark.parametrize("module", ["configuration_source", "shapes", "live", "security_hub"])
def test_the_pure_modules_load_no_boto3_of_their_own(module):
    found = modules_after(f"import {PACKAGE}.aws_api.{module}")
    assert f"{PACKAGE}.aws_api.{module}" in found["all"]  # so the check above can fail
    added = set(found["all"]) - set(found["library"])
    assert not {m for m in added if m.split(".")[0] in ("boto3", "botocore", "moto")}
