"""The hook's grammar for its settings, as regular expressions: in schema.json's typeConfiguration
(so SetTypeConfiguration, and any validation against the schema, refuses what the hook would refuse)
and in the deploy templates' parameter patterns (so a stack update refuses it before it reaches the
hook). Either way a malformed value can no longer fail every stack of every targeted account.

The expressions are built here, from one description of each setting, and the tests prove them
against ``settings.parse_settings`` itself:
- schema.json: exactly the hook's grammar, neither looser nor stricter: the comma-separated form
  with the whitespace Python's ``str.strip`` removes, and the JSON-array form with JSON's escapes
  (``\\u0031`` is a ``1`` to ``json.loads``), for every list setting; ``CacheTtlSeconds`` up to 86400;
  ``TrustDeployingAccount`` in any letter case. Written for both Python's ``re`` and ECMA-262
  (JSON Schema): only classes, ``\\uXXXX`` escapes, groups, quantifiers and look-aheads; every
  pattern ends in ``$(?![\\s\\S])`` so Python's ``$`` cannot accept a trailing newline.
  ``Exemptions`` is JSON with dates, which no regular expression decides: its pattern is only what
  the hook needs first (empty, or a JSON text that is an array), and the hook decides the rest.
- templates: the comma-separated form only, with spaces, ASCII, and no ``"``, ``\\`` or control
  character (the value is pasted into a JSON string by ``Fn::Sub``); everything such a pattern
  accepts, pasted as the template pastes it, is accepted by the hook.

    python tests/test_deploy_grammar.py --write   # rewrite the patterns in schema.json and the templates
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import string
import sys
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dataperimeter_ecr_replicationguard.settings import ConfigurationError, parse_settings
from dataperimeter_ecr_replicationguard.template.resolve import Context, Resolver

ROOT = pathlib.Path(__file__).resolve().parent.parent
END = r"$(?![\s\S])"

WHITESPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())  # what str.strip() removes
DIGITS = string.digits
LOWER = string.ascii_lowercase
LD = LOWER + DIGITS
KELVIN = "\u212a"  # str.lower() makes it "k": the hook lower-cases upstream URLs
ANY_CASE = LOWER + string.ascii_uppercase + KELVIN


def _class(chars: str) -> str:
    """A character class for these characters: ranges, ASCII letters and digits literal, the rest \\uXXXX."""
    points = sorted(set(map(ord, chars)))
    ranges, start = [], None
    for i, point in enumerate(points):
        if start is None:
            start = point
        if i + 1 == len(points) or points[i + 1] != point + 1:
            ranges.append((start, point))
            start = None

    def one(point: int) -> str:
        char = chr(point)
        if char.isascii() and (char.isalnum() or char in "/:@=_, "):
            return char
        return {"-": "\\-", ".": ".", "+": "+"}.get(char, f"\\u{point:04x}")

    if len(points) == 1:  # one character: no class
        char = chr(points[0])
        return char if char.isascii() and (char.isalnum() or char in "/:@=_,- ") else {
            ".": "\\.", "+": "\\+"}.get(char, f"\\u{points[0]:04x}")
    parts = [one(a) if a == b else one(a) + one(b) if b == a + 1 else f"{one(a)}-{one(b)}" for a, b in ranges]
    return "[" + "".join(parts) + "]"


def _hex(digit: str) -> str:
    return f"[{digit}{digit.upper()}]" if digit in "abcdef" else digit


def json_char(chars: str) -> str:
    """One character of ``chars`` inside a JSON string, as json.loads reads it: literal (not a
    control character, quote or backslash), a short escape, or \\uXXXX in either case."""
    literal = "".join(c for c in chars if ord(c) >= 0x20 and c not in '"\\')
    short = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", '"': '"', "\\": "\\\\", "/": "/"}
    alternatives = [_class(literal)] if literal else []
    alternatives += [f"\\\\{short[c]}" for c in sorted(set(chars)) if c in short]
    by_prefix: dict[str, set[str]] = {}
    for char in set(chars):
        code = f"{ord(char):04x}"
        by_prefix.setdefault(code[:3], set()).update({code[3], code[3].upper()})
    escapes = ["".join(_hex(d) for d in prefix) + _class("".join(last))
               for prefix, last in sorted(by_prefix.items())]
    alternatives.append("\\\\u(?:" + "|".join(escapes) + ")")
    return "(?:" + "|".join(alternatives) + ")"


def plain_char(chars: str) -> str:
    return _class(chars)


def word(c: Callable[[str], str], text: str) -> str:
    return "".join(c(char) for char in text)


# -- one description per setting: the entry, given how one character is written -------------------


def account(c):
    return c(DIGITS) + "{12}"


def organization(c):
    return word(c, "o-") + c(LD) + "{10,32}"


def ou_path(c):
    return (organization(c) + c("/") + word(c, "r-") + c(LD) + "{4,32}"
            + "(?:" + c("/") + word(c, "ou-") + c(LD) + "{4,32}" + c("-") + c(LD) + "{8,32})*" + c("/") + "?")


def region(c):
    chars = LD + "-"
    return ("(?=(?:" + c(chars) + "){1,25}(?!" + c(chars) + "))"
            + c(LOWER) + "{2,4}(?:" + c("-") + c(LD) + "+)+" + c("-") + c(DIGITS) + "{1,2}")


def service_principal(c):
    return (c(LD) + c(LD + ".-") + "*" + word(c, ".amazonaws.com") + "(?:" + word(c, ".cn") + ")?")


def upstream(c, path_char):
    letters = c(ANY_CASE)
    label = "(?:" + c(ANY_CASE + DIGITS) + "(?:" + c(ANY_CASE + DIGITS + "-") + "*" + c(ANY_CASE + DIGITS) + ")?)"
    scheme = letters + c(ANY_CASE + DIGITS + "+.-") + "*" + word(c, "://")
    return ("(?:" + scheme + ")?" + label + "(?:" + c(".") + label + ")+" + "(?:" + c(":") + c(DIGITS) + "{1,5})?"
            + c(".") + "*" + "(?:" + c("/") + path_char + "*)?")


JSON_ANY = r'(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})'

LISTS: dict[str, Callable] = {
    "TrustedAccountIds": account,
    "TrustedOrganizationIds": organization,
    "TrustedOrganizationalUnitPaths": ou_path,
    "AllowedReplicationRegions": region,
    "TrustedServicePrincipals": service_principal,
    "AllowedUpstreamRegistryUrls": lambda c: upstream(c, "[^,]" if c is plain_char else JSON_ANY),
}


def list_pattern(entry: Callable) -> str:
    ws, jws = _class(WHITESPACE), "[ \\t\\n\\r]*"
    item = f"{ws}*(?:{entry(plain_char)})?{ws}*"
    json_item = f'"{json_char(WHITESPACE)}*(?:{entry(json_char)})?{json_char(WHITESPACE)}*"'
    array = f"{ws}*\\[{jws}(?:{json_item}(?:{jws},{jws}{json_item})*)?{jws}\\]{ws}*"
    return f"^(?:{item}(?:,{item})*|{array}){END}"


SNAPSHOT_LOCATION = "s3://[a-z0-9][\\-.0-9a-z]{1,61}[a-z0-9]/[!'()*\\-./0-9A-Z_a-z]{1,1024}"
TTL = "(?:[0-9]{1,4}|0?(?:[0-7][0-9]{4}|8[0-5][0-9]{3}|86[0-3][0-9]{2}|86400))"


def schema_patterns() -> dict[str, str]:
    ws = _class(WHITESPACE)
    patterns = {name: list_pattern(entry) for name, entry in LISTS.items()}
    patterns["CacheTtlSeconds"] = f"^{ws}*{TTL}{ws}*{END}"
    patterns["TrustDeployingAccount"] = f"^{ws}*(?:[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]){ws}*{END}"
    patterns["OrganizationsRoleArn"] = ("^(?:arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/(?:[A-Za-z0-9_+=,.@-]+/)*"
                                        "[A-Za-z0-9_+=,.@-]{1,64})?" + END)
    patterns["Exemptions"] = f"^(?:{ws}*|[ \\t\\n\\r]*\\[[\\s\\S]*\\][ \\t\\n\\r]*){END}"
    patterns["SnapshotLocation"] = "^(?:" + SNAPSHOT_LOCATION + ")?" + END
    patterns["SnapshotRegion"] = "^(?:" + region(plain_char) + ")?" + END
    patterns["SnapshotMaxAgeSeconds"] = patterns["CacheTtlSeconds"]
    return patterns


def parameter_patterns() -> dict[str, str]:
    """Template parameters: comma-separated, spaces, ASCII, nothing that breaks a JSON string."""
    def ascii_char(chars: str) -> str:
        return _class("".join(ch for ch in chars if ch.isascii()))

    entries = dict(LISTS, AllowedUpstreamRegistryUrls=lambda c: upstream(c, '[^,"\\\\\\u0000-\\u001f]'))
    patterns = {}
    for name, entry in entries.items():
        item = f" *(?:{entry(ascii_char)})? *"
        patterns[name] = f"^{item}(?:,{item})*$"
    patterns["CacheTtlSeconds"] = f"^{TTL}$"
    patterns["OrganizationsRoleArn"] = schema_patterns()["OrganizationsRoleArn"].removesuffix(END) + "$"
    for name in ("SnapshotLocation", "SnapshotRegion"):
        patterns[name] = schema_patterns()[name].removesuffix(END) + "$"
    patterns["SnapshotMaxAgeSeconds"] = f"^{TTL}$"
    return patterns


# -- the tests ---------------------------------------------------------------------------------------


SCHEMA = json.loads((ROOT / "schema.json").read_text())
PROPERTIES = SCHEMA["typeConfiguration"]["properties"]


def hook_accepts(name: str, value) -> bool:
    try:
        parse_settings({name: value})
    except ConfigurationError:
        return False
    return True


def schema_accepts(name: str, value: str) -> bool:
    """As JSON Schema (and the jsonschema library) applies ``pattern``: re.search."""
    prop = PROPERTIES[name]
    if "enum" in prop and value not in prop["enum"]:
        return False
    return "pattern" not in prop or re.search(prop["pattern"], value) is not None


def test_schema_json_carries_the_patterns():
    for name, pattern in schema_patterns().items():
        assert PROPERTIES[name].get("pattern") == pattern, f"run: python tests/test_deploy_grammar.py --write ({name})"
    assert {name for name, prop in PROPERTIES.items() if "pattern" not in prop and "enum" not in prop} == set()


@pytest.mark.parametrize("path", ["deploy/hook-registration.yaml", "deploy/org-stackset.yaml"])
def test_the_templates_carry_the_parameter_patterns(path):
    from test_deploy import load

    parameters = load(path)["Parameters"]
    for name, pattern in parameter_patterns().items():
        assert parameters[name]["AllowedPattern"] == pattern, f"run: python tests/test_deploy_grammar.py --write ({name})"


S = "\u3000"   # a whitespace str.strip() removes
EDGES = {
    "TrustedAccountIds": ["", "111122223333", " 111122223333 , 444455556666 ,", ",,", "12345", "1111222233334",
                          "11112222333a", "\u0661" * 12, '["111122223333"]', '[ "111122223333" , " 444455556666 " ]',
                          '["\\u0031\\u00311122223333"]', '["\\t111122223333\\n"]', '[""]', "[]", "[111122223333]",
                          '["111122223333",]', "[", f"{S}111122223333{S}", "111122223333\n", "\x1c111122223333\x1f",
                          '"111122223333"', "111122223333;444455556666"],
    "TrustedOrganizationIds": ["o-a1b2c3d4e5", "o-", "o-a1b2c3d4e", "o-" + "a" * 32, "o-" + "a" * 33, "o-A1B2C3D4E5",
                               "o-*", '["o-a1b2c3d4e5"]', '["\\u006f-a1b2c3d4e5"]'],
    "TrustedOrganizationalUnitPaths": ["o-a1b2c3d4e5/r-ab12/", "o-a1b2c3d4e5/r-ab12", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111",
                                       "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/", "o-a1b2c3d4e5/r-ab12//",
                                       "o-a1b2c3d4e5/r-ab12/ou-ab12-1111111/", "o-a1b2c3d4e5/*",
                                       '["o-a1b2c3d4e5\\/r-ab12\\/"]', '["o-a1b2c3d4e5\\u002Fr-ab12"]'],
    "AllowedReplicationRegions": ["eu-west-1", "us-gov-west-1", "eu-west-12", "eu-west-123", "EU-west-1", "euwest1",
                                  "abcd-" + "e" * 17 + "-1", "abcd-" + "e" * 18 + "-1", "eu--1", "eu-west-1,us-east-1"],
    "TrustedServicePrincipals": ["codebuild.amazonaws.com", "a.amazonaws.com.cn", ".amazonaws.com", "-x.amazonaws.com",
                                 "lambda.amazonaws.com.cnx", "Lambda.amazonaws.com", "amazonaws.com"],
    "AllowedUpstreamRegistryUrls": ["public.ecr.aws", "HTTPS://Registry-1.Docker.IO/v2/", "quay.io:443", "quay.io.",
                                    "quay.io:443.", "quay.io.:443", "localhost", "u@quay.io", "quay.io:123456",
                                    "\u212aube.io", "http:///quay.io", "a.b://quay.io", "quay.io/a b [c] \"d\"",
                                    "-quay.io", "quay-.io", '["quay.io/a,b"]', '["quay.io,b"]', "git+ssh://quay.io"],
    "CacheTtlSeconds": ["0", "300", "86400", "86401", "99999", "086400", "0086400", "000000", "100000", " 60 ", "",
                        "-1", "6e1", "\u0661\u0662"],
    "TrustDeployingAccount": ["true", "false", "TRUE", " False ", "yes", "", "1"],
    "OrganizationsRoleArn": ["", "arn:aws:iam::123456789012:role/Read", "arn:aws-us-gov:iam::123456789012:role/a/b/Read",
                             "arn:aws:iam::123456789012:role/" + "r" * 64, "arn:aws:iam::123456789012:role/" + "r" * 65,
                             "arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:user/Read",
                             "arn:aws:iam::123456789012:role/Read\n", " arn:aws:iam::123456789012:role/Read"],
    "SnapshotLocation": ["", "s3://bucket/key", "s3://my.bucket-1/org/snapshot.json", "s3://ab/key", "s3://" + "b" * 63 + "/k",
                         "s3://" + "b" * 64 + "/k", "s3://Bucket/key", "s3://bucket/", "s3://bucket", "s3://-bucket/k",
                         "s3://bucket-/k", "s3://bucket/a b", "s3://bucket/" + "k" * 1024, "s3://bucket/" + "k" * 1025,
                         "s3://bucket/key\n", " s3://bucket/key", "https://bucket/key", "s3://bucket/k\u00e9",
                         "s3://bucket/(a)!*'.-_/x"],
    "SnapshotRegion": ["", "eu-west-1", "us-gov-west-1", "EU-west-1", " eu-west-1", "eu-west-1,us-east-1", "eu-west-1\n"],
    "SnapshotMaxAgeSeconds": ["0", "7200", "86400", "86401", " 60 ", "", "-1"],
}


@pytest.mark.parametrize("name,value", [(n, v) for n, values in EDGES.items() for v in values])
def test_the_schema_accepts_exactly_what_the_hook_accepts(name, value):
    assert schema_accepts(name, value) == hook_accepts(name, value), (name, value)


@pytest.mark.parametrize("value", ["", "  ", "[]", ' [{"StackNames": ["a"], "Reason": "r", "Expires": "2099-01-01"}] '])
def test_exemptions_the_schema_accepts_the_hook_reads(value):
    assert schema_accepts("Exemptions", value) and hook_accepts("Exemptions", value)


@pytest.mark.parametrize("value", ["not json", "{}", '"[]"', "\u3000[]", "null"])
def test_exemptions_the_schema_refuses_the_hook_refuses(value):
    assert not schema_accepts("Exemptions", value) and not hook_accepts("Exemptions", value)


ALPHABETS = {
    "TrustedAccountIds": "0123 ,[]\"\\u\t1\u3000a",
    "TrustedOrganizationIds": "o-a1 ,[]\"\\u06f",
    "TrustedOrganizationalUnitPaths": "o-r/ua1b ,[]\"\\",
    "AllowedReplicationRegions": "eu-w1s2 ,",
    "TrustedServicePrincipals": "a.mzonws-c1 ,",
    "AllowedUpstreamRegistryUrls": "aQ.:/-1 ,[]\"\\u\u212a@",
    "CacheTtlSeconds": "0123456789 \u0661",
    "TrustDeployingAccount": "tRuEfAlsx \t",
    "SnapshotLocation": "s3:/bk.-A'(é \n",
    "SnapshotRegion": "eu-w1s2 ,\n",
}


@pytest.mark.parametrize("name", sorted(ALPHABETS))
@hypothesis_settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_values_the_schema_and_the_hook_agree_on(name, data):
    value = data.draw(st.text(alphabet=ALPHABETS[name], max_size=40))
    assert schema_accepts(name, value) == hook_accepts(name, value), (name, value)


@functools.lru_cache(maxsize=1)
def registration_template() -> dict:
    from test_deploy import load

    return load("deploy/hook-registration.yaml")


def pasted(name: str, value: str) -> dict:
    """The Properties of the configuration hook-registration.yaml builds with this parameter value."""
    template = registration_template()
    context = Context(account_id="111122223333", region="eu-west-1", stack_name="ecr-perimeter-guard",
                      parameters={"PackageBucket": "b", "PackageKey": "k", name: value}, use_parameter_defaults=True)
    resolution = Resolver(template, context).resolve(template["Resources"]["HookTypeConfig"]["Properties"]["Configuration"])
    assert not resolution.unresolved, resolution.unresolved
    return json.loads(resolution.value)["CloudFormationConfiguration"]["HookConfiguration"]["Properties"]


VALID_ENTRIES = {
    "TrustedAccountIds": ["111122223333", "000000000000"],
    "TrustedOrganizationIds": ["o-a1b2c3d4e5", "o-" + "z" * 32],
    "TrustedOrganizationalUnitPaths": ["o-a1b2c3d4e5/r-ab12/", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111",
                                       "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-cd34-22222222/"],
    "AllowedReplicationRegions": ["eu-west-1", "us-gov-west-1", "ap-southeast-12"],
    "TrustedServicePrincipals": ["codebuild.amazonaws.com", "a-b.c.amazonaws.com.cn"],
    "AllowedUpstreamRegistryUrls": ["public.ecr.aws", "HTTPS://Registry-1.Docker.IO/v2/x", "quay.io:443.",
                                    "git+ssh://a.b/c,d", "\u212aube.io"],
}


@pytest.mark.parametrize("name", sorted(VALID_ENTRIES))
def test_lists_built_from_valid_and_mutated_entries_the_schema_and_the_hook_agree_on(name):
    """Lists of real entries, some mutated (a character dropped, added or changed), padded with
    whitespace, comma-separated or as JSON arrays with characters escaped (\\uXXXX, \\/): most are
    valid, so agreement is tested where it matters, not only on refusals."""
    import random

    rng = random.Random(name)

    def mutate(entry: str) -> str:
        chars = list(entry)
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(chars))
            operation = rng.choice("dic")
            if operation == "d":
                del chars[i]
            elif operation == "i":
                chars.insert(i, rng.choice('0a-/.:Z,"\\ '))
            else:
                chars[i] = rng.choice("09az-/._")
        return "".join(chars)

    def escaped(entry: str) -> str:
        out = ""
        for char in entry:
            roll = rng.random()
            if roll < 0.15:
                out += ("\\u%04x" if roll < 0.07 else "\\u%04X") % ord(char)
            elif char == "/" and roll < 0.3:
                out += "\\/"
            else:
                out += json.dumps(char)[1:-1]
        return out

    accepted = 0
    for _ in range(600):
        entries = [rng.choice(VALID_ENTRIES[name]) for _ in range(rng.randint(0, 3))]
        entries = [mutate(e) if rng.random() < 0.4 else e for e in entries]
        entries = [rng.choice(["", " ", "\t", "\u3000", "\x1c"]) + e + rng.choice(["", " ", "\n"]) for e in entries]
        if rng.random() < 0.5:
            value = rng.choice([", ", ","]).join(entries)
        else:
            value = "[" + rng.choice([",", " , "]).join(f'"{escaped(e)}"' for e in entries) + "]"
        hook = hook_accepts(name, value)
        accepted += hook
        assert schema_accepts(name, value) == hook, (name, value)
    assert 100 < accepted < 550, accepted  # both sides of the grammar were exercised


@pytest.mark.parametrize("name", sorted(ALPHABETS))
@hypothesis_settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_what_a_template_parameter_accepts_the_hook_accepts(name, data):
    """Every value a parameter pattern lets through, pasted into the configuration as
    hook-registration.yaml pastes it, is read by the hook."""
    pattern = parameter_patterns().get(name)
    if pattern is None:
        return
    value = data.draw(st.from_regex(pattern, fullmatch=True).filter(lambda v: len(v) < 200))
    parse_settings(pasted(name, value))


@pytest.mark.parametrize("name,value", [(n, v) for n, values in EDGES.items() for v in values])
def test_edge_values_a_template_parameter_accepts_the_hook_accepts(name, value):
    pattern = parameter_patterns().get(name)
    if pattern is None or not re.fullmatch(pattern, value):
        return
    parse_settings(pasted(name, value))


def test_the_issue_examples_are_refused_by_schema_and_parameters():
    for name, value in [("TrustedAccountIds", "12345"), ("TrustedOrganizationIds", "o-"), ("CacheTtlSeconds", "99999")]:
        assert not schema_accepts(name, value) and not re.fullmatch(parameter_patterns()[name], value), (name, value)


# -- writing the patterns ----------------------------------------------------------------------------


def write() -> None:
    path = ROOT / "schema.json"
    schema = json.loads(path.read_text())
    for name, pattern in schema_patterns().items():
        prop = schema["typeConfiguration"]["properties"][name]
        prop.pop("enum", None)
        rebuilt = {}
        for key, value in prop.items():
            rebuilt[key] = value
            if key == "type":
                rebuilt["pattern"] = pattern
        rebuilt["pattern"] = pattern
        schema["typeConfiguration"]["properties"][name] = rebuilt
    path.write_text(json.dumps(schema, indent=4, ensure_ascii=False) + "\n")
    for template in ("deploy/hook-registration.yaml", "deploy/org-stackset.yaml"):
        text = (ROOT / template).read_text()
        for name, pattern in parameter_patterns().items():
            quoted = json.dumps(pattern)  # a YAML double-quoted scalar takes JSON's escapes
            text, count = re.subn(rf"(\n  {name}:\n(?:    .*\n)*?    AllowedPattern: ).*\n",
                                  lambda m, quoted=quoted: m.group(1) + quoted + "\n", text)
            assert count == 1, (template, name)
        (ROOT / template).write_text(text)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    write()


def test_the_exemptions_parameter_takes_only_an_escaped_json_array():
    """Its full grammar is the hook's to decide (dates, rule ids); the parameter refuses what can never
    be a list, and what would break the JSON string it is pasted into."""
    from test_deploy import load

    exemptions = [{"StackNames": ["legacy-*"], "Reason": 'SEC-1 "DR"', "Expires": "2099-01-01"}]
    for path in ("deploy/hook-registration.yaml", "deploy/org-stackset.yaml"):
        pattern = load(path)["Parameters"]["Exemptions"]["AllowedPattern"]
        for good in ("", "[]", json.dumps(json.dumps(exemptions))[1:-1]):
            assert re.fullmatch(pattern, good), good
            assert hook_accepts("Exemptions", pasted("Exemptions", good)["Exemptions"]), good
        for bad in ("not json", "{}", '\\"x\\"', json.dumps(exemptions), "[\n]", "[]x", "[\\"):
            assert not re.fullmatch(pattern, bad), bad
