"""Resolve a template's intrinsic functions as far as the template itself decides them.

Pure: plain data in, plain data out, no I/O. What can be computed is computed (pseudo
parameters, parameters with a value, ``Ref``, ``Fn::Sub`` in both forms, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::If`` on conditions that evaluate,
``Fn::ToJsonString``, ``Fn::Length``). What cannot be computed (``Fn::ImportValue``,
``Fn::GetAtt``, a parameter without a value, an SSM parameter type, a condition that does
not evaluate) is left in place as the intrinsic object it was, and listed in
:attr:`Resolution.unresolved`. An intrinsic object is never trusted by a checker, so an
unknown value can never become a trusted one: the checkers report it as unresolved.

Primitive values are recast to strings, as CloudFormation sends them to a hook, and YAML
dates (``Version: 2012-10-17``) become the text they were written as.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core.findings import pointer
from ..core.values import data, is_object
from ..core.partitions import partition_of_region
from ..core.plain import Frozen, Plain
from .marked import LineDict, LineList

NO_VALUE = object()  # AWS::NoValue: the key or list item disappears

_URL_SUFFIX = {"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov", "aws-iso-b": "sc2s.sgov.gov"}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SSM_TYPE = "AWS::SSM::Parameter::"


class _Unresolvable(Exception):
    """An intrinsic function whose value the template does not decide. ``reason`` names what
    the template names (a Ref target, a parameter, a condition): it is kept as data, escaped."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = data(reason, 600)


class Unresolved(NamedTuple):
    """One value left unresolved: where (a JSON pointer in the properties) and why."""

    path: str
    reason: str


class Context(Frozen):
    """What the template does not say about itself.

    ``account_id``/``region``/``stack_name``: the pseudo parameters' values, or ``None`` when
    unknown (then ``AWS::AccountId``/``AWS::Region``/``AWS::StackName`` stay unresolved).
    ``parameters``: given parameter values. ``use_parameter_defaults``: a parameter without a
    given value takes its ``Default`` (the CLI), or stays unresolved (stack-level hooks,
    where the real values are unknown). Not a NamedTuple: ``parameters`` is a fresh dict per
    context by default.
    """

    __slots__ = _fields = ("account_id", "region", "stack_name", "partition", "parameters", "use_parameter_defaults")
    account_id: str | None
    region: str | None
    stack_name: str | None
    partition: str | None
    parameters: Mapping[str, Any]
    use_parameter_defaults: bool

    def __init__(self, account_id: str | None = None, region: str | None = None, stack_name: str | None = None,
                 partition: str | None = None, parameters: Mapping[str, Any] | None = None,
                 use_parameter_defaults: bool = True) -> None:
        put = object.__setattr__
        put(self, "account_id", account_id)
        put(self, "region", region)
        put(self, "stack_name", stack_name)
        put(self, "partition", partition)
        put(self, "parameters", {} if parameters is None else parameters)
        put(self, "use_parameter_defaults", use_parameter_defaults)

    @property
    def effective_partition(self) -> str:
        if self.partition:
            return self.partition
        return partition_of_region(self.region) if self.region else "aws"


class Resolution(Plain):
    """A resolved value and what was left unresolved in it (mutable)."""

    __slots__ = _fields = ("value", "unresolved")
    value: Any
    unresolved: list[Unresolved]

    def __init__(self, value: Any, unresolved: list[Unresolved]) -> None:
        self.value = value
        self.unresolved = unresolved


class Resolver:
    """Resolves values of one template under one :class:`Context`."""

    def __init__(self, template: Mapping[str, Any], context: Context):
        self.template = template if is_object(template) else {}
        self.context = context
        self._parameters = self._parameter_values()
        self._conditions: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()
        self._resources = self.template.get("Resources") if is_object(self.template.get("Resources")) else {}
        self._reads: dict[str, None] | None = None

    # -- public ----------------------------------------------------------------------------
    def resolve(self, value: Any, reads: dict[str, None] | None = None) -> Resolution:
        """``value`` with everything the template decides resolved; the rest listed.
        ``reads``: filled with what :func:`names_read` finds in ``value``, in the same order,
        by the same walk that resolves it (the scan's basis of a verdict)."""
        unresolved: list[Unresolved] = []
        self._reads = reads
        try:
            resolved = self._value(value, (), unresolved)
        finally:
            self._reads = None
        return Resolution(None if resolved is NO_VALUE else resolved, unresolved)

    def condition(self, name: str) -> bool | None:
        """A named condition's value, or ``None`` when the template does not decide it."""
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.get("Conditions")
        if not isinstance(conditions, Mapping) or name not in conditions or name in self._evaluating:
            return None
        self._evaluating.add(name)
        try:
            result = self._boolean(conditions[name])
        except _Unresolvable:
            result = None
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = result
        return result

    # -- values ----------------------------------------------------------------------------
    def _value(self, value: Any, where: tuple, unresolved: list[Unresolved]) -> Any:
        # Exact types first: a template is mostly plain text, dicts and lists, and an ABC
        # check (``Mapping``) costs a Python-level __instancecheck__ per value.
        kind = type(value)
        if kind is str:
            if "{{resolve:" in value:
                unresolved.append(Unresolved(pointer(*where), "a dynamic reference is resolved only when the stack deploys"))
            return value
        if kind is dict or kind is LineDict or (kind not in _NOT_MAPPINGS and isinstance(value, Mapping)):
            reads = self._reads
            if _is_intrinsic(value):
                if reads is not None:
                    names_read(value, reads)  # the whole function as written, before its branch is taken
                try:
                    branch = self._chosen_branch(value)
                    if branch is not None:
                        return self._value(branch[0], where, unresolved)
                    return self._intrinsic(value)
                except _Unresolvable as error:
                    unresolved.append(Unresolved(pointer(*where), error.reason))
                    return _plain(value)
            out = {}
            for key, item in value.items():
                key = key if type(key) is str else str(key)
                if reads is not None and key in _READING_KEYS:
                    _key_reads(key, item, reads, inner=False)  # what is inside item: this walk, below
                if type(item) is str and "{{resolve:" not in item:  # most values: plain text, kept
                    out[key] = item
                    continue
                resolved = self._value(item, where + (key,), unresolved)
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            out_list = []
            for index, item in enumerate(value):
                if type(item) is str and "{{resolve:" not in item:
                    out_list.append(item)
                    continue
                resolved = self._value(item, where + (index,), unresolved)
                if resolved is not NO_VALUE:
                    out_list.append(resolved)
            return out_list
        if isinstance(value, str) and "{{resolve:" in value:
            unresolved.append(Unresolved(pointer(*where), "a dynamic reference is resolved only when the stack deploys"))
        return _scalar(value)

    def _chosen_branch(self, value: Mapping[str, Any]) -> tuple[Any] | None:
        """For ``Fn::If`` on a condition that evaluates: the chosen branch, resolved in place
        (so an unresolved value deep inside it is marked where it is, not on the whole)."""
        argument = value.get("Fn::If")
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            return None
        decided = self.condition(argument[0])
        if decided is None:
            raise _Unresolvable(f"condition {argument[0]} does not evaluate from the template alone")
        return (argument[1] if decided else argument[2],)

    def _full(self, value: Any) -> Any:
        """A value that must resolve completely (an argument of an intrinsic function)."""
        if isinstance(value, Mapping):
            if _is_intrinsic(value):
                return self._intrinsic(value)
            out = {}
            for key, item in value.items():
                resolved = self._full(item)
                if resolved is not NO_VALUE:
                    out[str(key)] = resolved
            return out
        if isinstance(value, list):
            return [r for r in (self._full(item) for item in value) if r is not NO_VALUE]
        return _scalar(value)

    def _text(self, value: Any, what: str) -> str:
        resolved = self._full(value)
        if not isinstance(resolved, str):
            raise _Unresolvable(f"{what} must be a string")
        return resolved

    def _intrinsic(self, value: Mapping[str, Any]) -> Any:
        [(name, argument)] = value.items()
        handler = _HANDLERS.get(name)
        if handler is None:
            raise _Unresolvable(_UNKNOWN_REASONS.get(name, f"{name} is not resolved from the template alone"))
        return handler(self, argument)

    # -- Ref and parameters ----------------------------------------------------------------
    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise _Unresolvable("Ref needs a name")
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self._parameters:
            return self._parameter(name)
        if name in self._resources:
            raise _Unresolvable(f"Ref {name} is a resource's physical ID, known only after it is created")
        raise _Unresolvable(f"Ref {name} names no parameter or resource of this template")

    def _pseudo(self, name: str) -> Any:
        context = self.context
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Partition":
            return context.effective_partition
        if name == "AWS::URLSuffix":
            return _URL_SUFFIX.get(context.effective_partition, "amazonaws.com")
        known = {"AWS::AccountId": context.account_id, "AWS::Region": context.region, "AWS::StackName": context.stack_name}
        if known.get(name):
            return known[name]
        hint = {"AWS::AccountId": " (give --account)", "AWS::Region": " (give --region)"}.get(name, "")
        raise _Unresolvable(f"{name} is not known here{hint}")

    def _parameter_values(self) -> dict[str, Any]:
        declared = self.template.get("Parameters")
        return dict(declared) if is_object(declared) else {}

    def _parameter(self, name: str) -> Any:
        declaration = self._parameters[name]
        declaration = declaration if isinstance(declaration, Mapping) else {}
        kind = str(declaration.get("Type", "String"))
        if kind.startswith(_SSM_TYPE):
            raise _Unresolvable(f"parameter {name} is read from SSM Parameter Store when the stack deploys")
        if name in self.context.parameters:
            value = self.context.parameters[name]
        elif self.context.use_parameter_defaults and "Default" in declaration:
            value = declaration["Default"]
        else:
            if self.context.use_parameter_defaults:
                raise _Unresolvable(f"parameter {name} has no value (give --parameter {name}=VALUE)")
            raise _Unresolvable(f"parameter {name}: its value is not in the template")
        if isinstance(value, Mapping) or value is None:
            raise _Unresolvable(f"parameter {name} has no literal value")
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            if isinstance(value, list):
                return [_scalar(v) for v in value]
            return [part.strip() for part in _scalar(value).split(",")]
        return _scalar(value)

    # -- string functions ------------------------------------------------------------------
    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            text, variables = argument
        elif isinstance(argument, str):
            text, variables = argument, {}
        else:
            raise _Unresolvable("Fn::Sub needs a string or [string, {variables}]")
        if not isinstance(text, str):
            raise _Unresolvable("Fn::Sub needs a string")

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                return _as_text(self._full(variables[name]), f"Fn::Sub variable {name}")
            if "." in name and not name.startswith("AWS::"):
                raise _Unresolvable(f"${{{name}}} is an attribute of a resource, known only after it is created")
            return _as_text(self._ref(name), f"${{{name}}}")

        return _SUB_VARIABLE.sub(replace, text)

    def _join(self, argument: Any) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _Unresolvable("Fn::Join needs [delimiter, [values]]")
        delimiter = self._text(argument[0], "the Fn::Join delimiter")
        items = self._full(argument[1])
        if not isinstance(items, list):
            raise _Unresolvable("Fn::Join needs a list of values")
        return delimiter.join(_as_text(item, "an Fn::Join value") for item in items)

    def _select(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _Unresolvable("Fn::Select needs [index, [values]]")
        index_text = self._full(argument[0])
        items = self._full(argument[1])
        if not (isinstance(index_text, str) and index_text.isdigit() and index_text.isascii()):
            raise _Unresolvable("Fn::Select needs a non-negative integer index")
        if not isinstance(items, list) or int(index_text) >= len(items):
            raise _Unresolvable("Fn::Select index is outside the list")
        return items[int(index_text)]

    def _split(self, argument: Any) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _Unresolvable("Fn::Split needs [delimiter, string]")
        delimiter = self._text(argument[0], "the Fn::Split delimiter")
        if not delimiter:
            raise _Unresolvable("Fn::Split needs a non-empty delimiter")
        return self._text(argument[1], "the Fn::Split source").split(delimiter)

    def _find_in_map(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            raise _Unresolvable("Fn::FindInMap needs [map, top key, second key]")
        names = [self._full(a) for a in argument[:3]]
        if not all(isinstance(n, str) for n in names):
            raise _Unresolvable("Fn::FindInMap keys must be strings")
        mappings = self.template.get("Mappings")
        found: Any = mappings if isinstance(mappings, Mapping) else {}
        for name in names:
            if not isinstance(found, Mapping) or name not in found:
                if len(argument) == 4 and isinstance(argument[3], Mapping) and "DefaultValue" in argument[3]:
                    return self._full(argument[3]["DefaultValue"])
                raise _Unresolvable(f"Fn::FindInMap: no entry {'/'.join(names)} in Mappings")
            found = found[name]
        return self._full(found)

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self._full(argument), separators=(",", ":"))

    def _length(self, argument: Any) -> str:
        items = self._full(argument)
        if not isinstance(items, list):
            raise _Unresolvable("Fn::Length needs a list")
        return str(len(items))

    # -- conditions ------------------------------------------------------------------------
    def _if(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            raise _Unresolvable("Fn::If needs [condition, value if true, value if false]")
        decided = self.condition(argument[0])
        if decided is None:
            raise _Unresolvable(f"condition {argument[0]} does not evaluate from the template alone")
        return self._full(argument[1] if decided else argument[2])

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, Mapping) and len(value) == 1:
            [(name, argument)] = value.items()
            if name == "Condition":
                decided = self.condition(argument) if isinstance(argument, str) else None
                if decided is None:
                    raise _Unresolvable(f"condition {argument} does not evaluate")
                return decided
            if name == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
                left, right = (self._full(a) for a in argument)
                return _canonical(left) == _canonical(right)
            if name == "Fn::Not" and isinstance(argument, list) and len(argument) == 1:
                return not self._boolean(argument[0])
            if name in ("Fn::And", "Fn::Or") and isinstance(argument, list) and argument:
                values = [self._boolean_or_none(a) for a in argument]
                if name == "Fn::And":
                    if False in values:
                        return False
                elif True in values:
                    return True
                if None in values:
                    raise _Unresolvable(f"{name} has a term that does not evaluate")
                return name == "Fn::And"
        raise _Unresolvable("not a condition function")

    def _boolean_or_none(self, value: Any) -> bool | None:
        try:
            return self._boolean(value)
        except _Unresolvable:
            return None


_HANDLERS = {
    "Ref": Resolver._ref,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::If": Resolver._if,
    "Fn::ToJsonString": Resolver._to_json_string,
    "Fn::Length": Resolver._length,
}


_UNKNOWN_REASONS = {
    "Fn::ImportValue": "Fn::ImportValue reads another stack's export, known only when the stack deploys",
    "Fn::GetAtt": "Fn::GetAtt is a resource attribute, known only after the resource is created",
    "Fn::GetAZs": "Fn::GetAZs depends on the deploying account",
    "Fn::Transform": "Fn::Transform runs a macro when the stack deploys",
    "Fn::KnownAfterApply": "the change set reports this value as known only after it executes",
}


_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
_READING_KEYS = frozenset({"Ref", "Fn::Sub", "Fn::If", "Condition"})


def names_read(value: Any, found: dict[str, None]) -> None:
    """Parameter and pseudo-parameter names a value reads as written (``Ref``, ``Fn::Sub``
    variables), and ``condition NAME`` for the conditions it reads (``Fn::If``, ``Condition``),
    added to ``found`` in the order written; both branches of an ``Fn::If`` count."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in _READING_KEYS:
                _key_reads(key, item, found)
            elif type(item) is not str:  # text under any other key reads nothing
                names_read(item, found)
    elif isinstance(value, list):
        for item in value:
            if type(item) is not str:
                names_read(item, found)


def _key_reads(key: str, item: Any, found: dict[str, None], inner: bool = True) -> None:
    """What the entry ``key: item`` of a mapping reads, ``key`` being one of ``_READING_KEYS``;
    with ``inner=False`` only what the key itself reads, not the values inside ``item`` (the
    resolver's walk goes on into ``item`` and finds those, in the same order: a walk of
    ``item`` here too would make each nested level walk everything below it, and recurse
    twice as deep as the resolver)."""
    if key == "Ref" and isinstance(item, str):
        found[item] = None
    elif key == "Fn::Sub":
        text = item[0] if isinstance(item, list) and item else item
        if isinstance(text, str):
            local = item[1] if isinstance(item, list) and len(item) > 1 and isinstance(item[1], Mapping) else {}
            for name in _SUB_NAME.findall(text):
                if name not in local and "." not in name:
                    found[name.strip()] = None
        if inner:
            names_read(item, found)
    elif key == "Fn::If" and isinstance(item, list) and item and isinstance(item[0], str):
        found[f"condition {item[0]}"] = None
        if inner:
            names_read(item[1:], found)
    elif key == "Condition" and isinstance(item, str):
        found[f"condition {item}"] = None
    elif inner:
        names_read(item, found)


# Types that are never a mapping: the resolver's ``Mapping`` test (abc's Python-level
# ``__instancecheck__``) is skipped for them (a template's true, 5 and null, and its lists).
_NOT_MAPPINGS = frozenset({list, LineList, bool, int, float, type(None)})


def _is_intrinsic(value: Mapping) -> bool:
    if len(value) != 1:
        return False
    [key] = value.keys()
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def _scalar(value: Any) -> Any:
    """Primitives as CloudFormation hands them to a hook: strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return str(value)  # drop the decoder's node subclass
    return value


def _plain(value: Any) -> Any:
    """A copy with plain dicts, lists and strings (no decoder node classes)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _scalar(value)


def _as_text(value: Any, what: str) -> str:
    if value is NO_VALUE or not isinstance(value, str):
        raise _Unresolvable(f"{what} is not a string")
    return value


def _canonical(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value
