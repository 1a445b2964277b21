"""Record classes that are not dataclasses: what the few records that cannot be a
``typing.NamedTuple`` (mutable ones, and frozen ones with a field left out of ``==`` and ``hash``
or a cached lookup) are built on.

Why not ``dataclasses``: the records are on the import path of ``hook-handler scan`` and of the
Lambda hook, and creating a dataclass costs about 1.2 ms (it ``exec``s its generated methods),
``import dataclasses`` brings ``inspect``, ``ast`` and ``tokenize``, and a frozen dataclass's
``__init__`` costs about 3x a plain one: together about 7.5 % of a 1,000-file scan. Frozen records
are ``typing.NamedTuple`` classes where being a tuple changes nothing; the others subclass
:class:`Plain` (mutable) or :class:`Frozen`, write their own ``__init__`` taking every field of
``_fields`` by name and in order, and get what a dataclass gave them: ``==`` between instances of
the same class over the fields of ``_compared`` (default: all), ``repr``, ``_replace`` (for
``dataclasses.replace``) and pickling; a :class:`Frozen` record is also hashable and refuses
assignment.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

_P = TypeVar("_P", bound="Plain")


class Plain:
    """A mutable record: compared like a dataclass (same class, same field values), never hashed."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()  # every field, in the order ``__init__`` takes them
    _compared: ClassVar[tuple[str, ...] | None] = None  # the fields ``==`` (and ``hash``) read; None: all

    def _key(self) -> tuple[Any, ...]:
        names = self._fields if self._compared is None else self._compared
        return tuple([getattr(self, name) for name in names])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Plain)
            return self._key() == other._key()
        return NotImplemented

    # No __hash__: a class defining __eq__ alone gets __hash__ = None (unhashable), as a mutable dataclass.

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def _replace(self: _P, **changes: Any) -> _P:
        """A copy with ``changes`` (``dataclasses.replace``): an unknown field is a ``TypeError``."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        make: Any = type(self)
        result: _P = make(**values)
        return result

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), tuple([getattr(self, name) for name in self._fields])


class Frozen(Plain):
    """An immutable record: hashable over the compared fields; assignment raises ``AttributeError``.
    ``__init__`` sets its fields with ``object.__setattr__``."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")
