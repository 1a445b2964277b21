"""The rule catalogue: one row per rule id the hook and ``hook-handler scan`` can report, and the
one way to make a finding. Each row is a :class:`Rule` named by a constant (``POLICY_MALFORMED``);
a checker builds its findings with ``POLICY_MALFORMED.finding(path=..., subject=..., message=...,
remediation=...)``, so a finding's severity and category are always the row's. SARIF, JUnit,
``hook-handler scan --list-rules`` and docs/rules.md read the same rows: each row's ``anchor`` is its
heading in docs/rules.md (``tests/test_rules_doc.py`` fails when a rule has no section there, a
section has no rule, or a severity or category differs; ``tests/test_rules.py`` checks the table).

Rule-level text names no particular account: the finding's own message says which account,
principal or value is at fault.
"""

from __future__ import annotations

from typing import NamedTuple

from .findings import Category, Finding, Severity

DOCS_PATH = "docs/rules.md"
ANNOTATION = "annotation"  # the category of the rows that name hook annotations, never findings


class Rule(NamedTuple):
    id: str
    severity: Severity
    category: str  # a Category value, or ANNOTATION for the rows that name hook annotations
    title: str  # one line: what is wrong
    description: str  # the full description: when it is reported and how to fix it

    def finding(self, *, path: str, subject: str, message: str, remediation: str) -> Finding:
        """A finding of this rule: its severity and category are the row's. ``path`` is a JSON
        pointer inside the resource properties; ``subject`` the value at fault (data, already cut)."""
        if self.category == ANNOTATION:
            raise ValueError(f"{self.id} names a hook annotation, not a finding")
        return Finding(rule_id=self.id, severity=self.severity, category=Category(self.category), path=path,
                       subject=subject, message=message, remediation=remediation)

    @property
    def anchor(self) -> str:
        """The GitHub heading anchor of the rule's section in docs/rules.md."""
        return self.id.lower()

    @property
    def help_uri(self) -> str:
        return f"{DOCS_PATH}#{self.anchor}"

    @property
    def security_severity(self) -> str:
        """GitHub code scanning's ``security-severity`` (CVSS-like 0.0-10.0)."""
        return _SECURITY_SEVERITY[self.severity]


_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFORMATIONAL: "0.0",
}

V, INV, U = Category.VIOLATION.value, Category.INVALID.value, Category.UNRESOLVED.value
C, H, M, INFO = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.INFORMATIONAL

POLICY_PUBLIC_PRINCIPAL = Rule("ECR-POLICY-PUBLIC-PRINCIPAL", C, V, "An ECR policy grants access to anyone",
    "An Allow statement names \"*\" (anyone, anonymous callers included) and no condition pins the "
    "callers into the trusted set. Fix: add a StringEquals aws:PrincipalOrgID condition with your "
    "organization, or name trusted accounts as principals.")
POLICY_UNTRUSTED_ACCOUNT = Rule("ECR-POLICY-UNTRUSTED-ACCOUNT", H, V, "An ECR policy grants access to an untrusted account",
    "An Allow statement names an account (an account ID, its root ARN, or a role, user or assumed-role "
    "ARN in it) that is not in the trusted set. An account principal is every identity of that account. "
    "Fix: grant only trusted accounts, or add the account to TrustedAccountIds (or its organization) if "
    "it is yours.")
POLICY_UNTRUSTED_PRINCIPAL = Rule("ECR-POLICY-UNTRUSTED-PRINCIPAL", H, V, "An ECR policy grants access to a principal outside the trusted set",
    "An Allow statement names a Federated identity provider, a CanonicalUser or a unique principal ID, "
    "none of which can be shown to be inside the trusted set. Fix: grant roles of trusted accounts instead.")
POLICY_NOTPRINCIPAL_ALLOW = Rule("ECR-POLICY-NOTPRINCIPAL-ALLOW", C, V, "An ECR policy allows everyone except the listed principals",
    "An Allow statement with NotPrincipal grants everyone except the listed principals, anonymous callers "
    "included. Never compliant. Fix: use Principal with the trusted principals.")
POLICY_UNSCOPED_SERVICE = Rule("ECR-POLICY-UNSCOPED-SERVICE", M, V, "An ECR policy grants a service without saying on whose behalf",
    "An Allow statement names a service principal without an aws:SourceAccount, aws:SourceArn, "
    "aws:SourceOrgID or aws:SourceOrgPaths condition, so any customer of that service can use the grant "
    "(confused deputy). Fix: add such a condition with trusted values, or list the service in "
    "TrustedServicePrincipals.")
POLICY_INVALID_PRINCIPAL = Rule("ECR-POLICY-INVALID-PRINCIPAL", H, INV, "An ECR policy names a principal the hook cannot map to an account",
    "A principal IAM does not accept or that cannot be mapped to an account: a placeholder, a partial "
    "wildcard, a bare ARN string as Principal, an unknown principal type. Fix: name a 12-digit account ID, "
    "an IAM/STS ARN with a literal account, \"*\" with a pinning condition, or a service principal.")
POLICY_MALFORMED = Rule("ECR-POLICY-MALFORMED", H, INV, "An ECR policy cannot be read exactly",
    "The policy is not one JSON object of Allow/Deny statements: text that is not JSON, a duplicate key, a "
    "Statement that is neither an object nor a list, an unknown Effect, a statement with both or neither "
    "of Principal/NotPrincipal or Action/NotAction. Fix: make the policy one JSON object whose Statement "
    "lists Allow/Deny statements.")
POLICY_TOO_LONG = Rule("ECR-POLICY-TOO-LONG", H, INV, "An ECR policy is longer than ECR accepts",
    "The policy text is longer than ECR's limit of 10,240 characters, so the deployment would fail anyway. "
    "Fix: merge statements, drop unused Sids, shorten the policy.")
POLICY_UNRESOLVED = Rule("ECR-POLICY-UNRESOLVED", H, U, "An ECR policy value is not known before deployment",
    "The policy, a statement, a principal or a condition value is a dynamic reference or an intrinsic "
    "function that cannot be resolved. Fix: give the policy literal values.")
PTC_UNTRUSTED_UPSTREAM = Rule("ECR-PTC-UNTRUSTED-UPSTREAM", H, V, "A pull-through cache rule caches from an untrusted ECR registry",
    "The rule caches images from the ECR registry of an account that is not trusted (or of an account in "
    "another partition). Fix: cache only from trusted accounts' registries, or trust the account if it is "
    "yours.")
PTC_UPSTREAM_NOT_ALLOWED = Rule("ECR-PTC-UPSTREAM-NOT-ALLOWED", M, V, "A pull-through cache rule uses an upstream that is not allowed",
    "AllowedUpstreamRegistryUrls is set and the non-ECR upstream registry is not in it. Fix: cache from an "
    "allowed upstream, or add it to AllowedUpstreamRegistryUrls.")
PTC_MALFORMED = Rule("ECR-PTC-MALFORMED", H, INV, "A pull-through cache rule's upstream cannot be read",
    "UpstreamRegistryUrl is missing or not a registry host, or names an ECR registry whose account cannot "
    "be read. Fix: UpstreamRegistryUrl <12-digit account>.dkr.ecr.<region>.amazonaws.com.")
PTC_UNRESOLVED = Rule("ECR-PTC-UNRESOLVED", H, U, "A pull-through cache rule's upstream is not known before deployment",
    "UpstreamRegistryUrl is a dynamic reference or an unresolved intrinsic function. Fix: give it a "
    "literal value.")
REPLICATION_UNTRUSTED_DESTINATION = Rule("ECR-REPLICATION-UNTRUSTED-DESTINATION", H, V, "ECR replicates images to an untrusted registry",
    "A replication destination RegistryId is not a trusted account: every image of the matching "
    "repositories is copied out of the perimeter by the ECR service-linked role, which no SCP stops. "
    "Fix: replicate only to trusted accounts, or trust the account if it is yours.")
REPLICATION_REGION_NOT_ALLOWED = Rule("ECR-REPLICATION-REGION-NOT-ALLOWED", M, V, "ECR replicates images to a Region that is not allowed",
    "AllowedReplicationRegions is set and the destination Region is not in it. Fix: replicate to an "
    "allowed Region, or add it to AllowedReplicationRegions.")
REPLICATION_INVALID_REGISTRY_ID = Rule("ECR-REPLICATION-INVALID-REGISTRY-ID", H, INV, "A replication destination's RegistryId is not an account ID",
    "RegistryId is not exactly 12 ASCII digits (a number, a placeholder, Unicode digits, a trailing "
    "newline). Fix: the destination's 12-digit account ID as a string.")
REPLICATION_INVALID_REGION = Rule("ECR-REPLICATION-INVALID-REGION", M, INV, "A replication destination's Region is not a Region code",
    "Region is not a Region code. Fix: a Region code such as eu-west-1.")
REPLICATION_UNRESOLVED_VALUE = Rule("ECR-REPLICATION-UNRESOLVED-VALUE", H, U, "A replication destination is not known before deployment",
    "RegistryId or Region is a dynamic reference or an unresolved intrinsic function. Fix: a literal value.")
REPLICATION_MALFORMED = Rule("ECR-REPLICATION-MALFORMED", H, INV, "A replication configuration does not have the schema's shape",
    "ReplicationConfiguration, Rules, a rule or a destination does not have the schema's shape (e.g. Rules "
    "is not a list, Destinations is empty). Fix: follow the AWS::ECR::ReplicationConfiguration schema.")
TEMPLATE_UNREADABLE = Rule("ECR-TEMPLATE-UNREADABLE", H, INV, "A template cannot be read",
    "hook-handler scan: a file that looks like a CloudFormation template (it has Resources or "
    "AWSTemplateFormatVersion) cannot be parsed, so none of its resources is checked. The scan reports it "
    "with the parser's reason and position, scans every other file, and exits 2. Fix: make the file valid "
    "YAML or JSON (cfn-lint reports the same error).")
TEMPLATE_UNRESOLVED_TRANSFORM = Rule("ECR-TEMPLATE-UNRESOLVED-TRANSFORM", H, U, "A template's transform cannot be expanded before deployment",
    "hook-handler scan: the template declares a transform the scan cannot expand (a macro, AWS::Include, "
    "or an AWS::LanguageExtensions construct whose values the template does not decide), so its ECR "
    "resources are not known until CloudFormation processes it. Fails unless --allow-unresolved. Fix: scan "
    "the processed template (aws cloudformation get-template --template-stage Processed), or give the "
    "values with --parameter.")
TEMPLATE_MALFORMED_RESOURCE = Rule("ECR-TEMPLATE-MALFORMED-RESOURCE", H, INV, "A template's resource cannot be taken apart",
    "hook-handler scan: an entry of the Resources section is not an object, or its Type is missing or not "
    "literal text (!Ref, !Sub), so neither the scan nor CloudFormation can tell what it makes (CloudFormation "
    "rejects the template); the STACK target fails it too. Fix: give the resource an object "
    "body with a literal Type.")
AUDIT_NOT_AUDITED = Rule("ECR-AUDIT-NOT-AUDITED", H, INV, "A part of the live configuration was not audited",
    "hook-handler audit: an account, a Region or one read of it (a role that cannot be assumed, a Region not "
    "enabled, an access-denied or failing call) could not be read, so what it holds is not known. It is never "
    "reported as compliant, never exempted, and the audit exits 3 (incomplete). Fix: deploy the read role "
    "(deploy/audit-read-role.yaml) in the account, enable or drop the Region, or allow the call the message names.")
PERIMETER_UNDECIDED = Rule("ECR-PERIMETER-UNDECIDED", H, INV, "The live ECR configuration could not be read",
    "A Security Hub finding of the detective control or the audit (aws_api/): an ECR setting could be "
    "neither read from the call's CloudTrail record (its parameters cut or absent) nor from the live "
    "configuration (access denied, throttled, not as documented), so it is not known to be compliant. "
    "Fix: give the reading role ecr:Describe* and ecr:Get*Policy on the registry, then check again.")
PERIMETER = Rule("ECR-PERIMETER", INFO, ANNOTATION, "The target is inside the perimeter",
    "The hook's PASSED annotation of a compliant target (no finding).")
PERIMETER_STALE_TRUST = Rule("ECR-PERIMETER-STALE-TRUST", M, ANNOTATION, "The trusted set came from a stale cached membership",
    "An informational hook annotation: the trusted set came from a cached AWS Organizations membership "
    "older than CacheTtlSeconds because Organizations could not be read; the verdict used it. Fix: check "
    "that the hook can call AWS Organizations (docs/organizations.md).")
PERIMETER_NOT_EXPANDED = Rule("ECR-PERIMETER-NOT-EXPANDED", M, ANNOTATION, "A part of the template is left to the RESOURCE target",
    "A SKIPPED annotation of the STACK and CHANGE_SET targets: the template holds a part the hook cannot "
    "expand (a macro, AWS::Include, Fn::ForEach, Fn::Transform), so the resources it makes are judged by "
    "the RESOURCE target, which sees them expanded; the answer never says the stack is inside the "
    "perimeter. Fix: keep the RESOURCE target enabled with STACK and CHANGE_SET (docs/operations.md).")

RULES: tuple[Rule, ...] = (
    POLICY_PUBLIC_PRINCIPAL,
    POLICY_UNTRUSTED_ACCOUNT,
    POLICY_UNTRUSTED_PRINCIPAL,
    POLICY_NOTPRINCIPAL_ALLOW,
    POLICY_UNSCOPED_SERVICE,
    POLICY_INVALID_PRINCIPAL,
    POLICY_MALFORMED,
    POLICY_TOO_LONG,
    POLICY_UNRESOLVED,
    PTC_UNTRUSTED_UPSTREAM,
    PTC_UPSTREAM_NOT_ALLOWED,
    PTC_MALFORMED,
    PTC_UNRESOLVED,
    REPLICATION_UNTRUSTED_DESTINATION,
    REPLICATION_REGION_NOT_ALLOWED,
    REPLICATION_INVALID_REGISTRY_ID,
    REPLICATION_INVALID_REGION,
    REPLICATION_UNRESOLVED_VALUE,
    REPLICATION_MALFORMED,
    TEMPLATE_UNREADABLE,
    TEMPLATE_UNRESOLVED_TRANSFORM,
    TEMPLATE_MALFORMED_RESOURCE,
    AUDIT_NOT_AUDITED,
    PERIMETER_UNDECIDED,
    PERIMETER,
    PERIMETER_STALE_TRUST,
    PERIMETER_NOT_EXPANDED,
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule | None:
    return BY_ID.get(rule_id)


# Where a reader is told how to change what a rule reports: published AWS documentation, so a hook
# annotation's ``remediationLink`` opens on any machine (docs/rules.md travels with the repository,
# not with the hook). A policy rule links the policy page of the resource type it was found on.
_AWS = "https://docs.aws.amazon.com"
_ECR_GUIDE = f"{_AWS}/AmazonECR/latest/userguide"
_POLICY_LINKS = {
    "AWS::ECR::Repository": f"{_ECR_GUIDE}/repository-policy-examples.html",
    "AWS::ECR::RegistryPolicy": f"{_ECR_GUIDE}/registry-permissions-create-replication.html",
    "AWS::ECR::RepositoryCreationTemplate": f"{_ECR_GUIDE}/repository-creation-templates-create.html",
    "AWS::ECR::PublicRepository": f"{_AWS}/AmazonECR/latest/public/public-repository-policy-examples.html",
}
_POLICY_LINK = f"{_AWS}/IAM/latest/UserGuide/reference_policies_condition-keys.html"
_FAMILY_LINKS = {  # by the rule id's second word: ECR-<family>-...
    "REPLICATION": f"{_ECR_GUIDE}/registry-settings-configure.html",
    "PTC": f"{_ECR_GUIDE}/pull-through-cache-creating-rule.html",
    "TEMPLATE": f"{_AWS}/AWSCloudFormation/latest/UserGuide/template-macros.html",
}
_ROW_LINKS = {
    PERIMETER_STALE_TRUST.id: f"{_AWS}/organizations/latest/APIReference/API_ListAccounts.html",
    PERIMETER_NOT_EXPANDED.id: f"{_AWS}/cloudformation-cli/latest/hooks-userguide/hooks-concepts.html",
    PERIMETER_UNDECIDED.id: f"{_ECR_GUIDE}/security_iam_id-based-policy-examples.html",
    AUDIT_NOT_AUDITED.id: f"{_AWS}/STS/latest/APIReference/API_AssumeRole.html",  # the read role in each account
}


def remediation_link(rule_id: str, resource_type: str = "") -> str | None:
    """The published page that says how to fix what ``rule_id`` reports on a ``resource_type``
    (a hook annotation's ``remediationLink``), or ``None`` for a rule that reports nothing to fix
    (``ECR-PERIMETER``, the passing annotation)."""
    family = rule_id.split("-")[1] if rule_id.count("-") >= 2 else ""
    if family == "POLICY":
        return _POLICY_LINKS.get(resource_type, _POLICY_LINK)
    return _FAMILY_LINKS.get(family) or _ROW_LINKS.get(rule_id)
