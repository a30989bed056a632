"""Value classes for the hooks' path, declared as dataclasses are, without the dataclasses
module: importing it (with inspect, ast and dis) and making a dataclass (an exec of each of
its methods) cost a git hook with nothing to ask half of its run above Python's own start
(issue 22, measured in instructions under callgrind: 112 million for the 23 classes a hook
loaded, against 89 million for all of `python -c pass`).

`@record` (`@record(frozen=True)`) gives a class what git lift uses of @dataclass: `__init__`
from the annotated fields in order (defaults, `field(default_factory=...)`,
`__post_init__`), `__repr__` (`field(repr=False)` leaves one out), `__eq__` between instances
of the same class, and for a frozen class `__hash__` and attributes that cannot be set. A
method the class defines itself is kept. mypy reads it as a dataclass (PEP 681's
dataclass_transform). `dataclasses.replace`, `fields` and `asdict` work on a record too: its
`__dataclass_fields__` is made, by the dataclasses module, the first time one asks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

C = TypeVar("C")
R = TypeVar("R")
_MISSING: Any = object()


class FrozenError(AttributeError):
    """An attribute of a frozen record was set (dataclasses' FrozenInstanceError)."""


class _Field:
    __slots__ = ("default", "factory", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, repr: bool) -> None:
        self.default, self.factory, self.repr = default, factory, repr


def field(
    *, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None, repr: bool = True
) -> Any:
    """As dataclasses.field, for the options records use."""
    return _Field(default, default_factory, repr)


# (name, default, factory, shown in repr), in __init__'s order
_Spec = tuple[tuple[str, Any, Callable[[], Any] | None, bool], ...]


def _spec(cls: type) -> _Spec:
    own = []
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect: not loaded)
    for name, annotation in annotations.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, _MISSING)
        shown, factory = True, None
        if isinstance(value, _Field):
            value, factory, shown = value.default, value.factory, value.repr
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)  # the class attribute is the default, as dataclass's
        if type(value).__module__ == "dataclasses":  # dataclasses.field: not understood here
            raise TypeError(f"{cls.__name__}.{name}: use git_lift.records.field in a record")
        if isinstance(value, list | dict | set):
            raise ValueError(f"{cls.__name__}.{name}: a mutable default, use default_factory")
        own.append((name, value, factory, shown))
    inherited = [f for base in reversed(cls.__mro__[1:]) for f in getattr(base, "__record__", ())]
    fields = tuple({f[0]: f for f in [*inherited, *own]}.values())
    defaulted = False
    for name, default, factory, _ in fields:
        if defaulted and default is _MISSING and factory is None:
            raise TypeError(f"{cls.__name__}.{name}: a field without a default follows one with")
        defaulted |= default is not _MISSING or factory is not None
    return fields


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = type(self).__record__
    if len(args) > len(spec):
        raise TypeError(f"{type(self).__name__}() takes {len(spec)} arguments, {len(args)} given")
    given = dict(zip((f[0] for f in spec), args, strict=False))
    for name in kwargs:
        if name in given:
            raise TypeError(f"{type(self).__name__}() got {name!r} twice")
    given.update(kwargs)
    for name, default, factory, _ in spec:
        if name in given:
            value = given.pop(name)
        elif factory is not None:
            value = factory()
        elif default is not _MISSING:
            value = default
        else:
            raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
        object.__setattr__(self, name, value)
    if given:
        raise TypeError(f"{type(self).__name__}() got unexpected arguments {sorted(given)}")
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f[0]) for f in self.__record__)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f[0]}={getattr(self, f[0])!r}" for f in self.__record__ if f[3])
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> Any:  # NotImplemented: Python asks the other side
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_set(self: Any, name: str, value: object) -> None:
    raise FrozenError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _frozen_del(self: Any, name: str) -> None:
    raise FrozenError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


class _DataclassFields:
    """`__dataclass_fields__` on first use: dataclasses' own fields of a twin class."""

    def __get__(self, instance: object, owner: type) -> dict[str, Any]:
        import dataclasses

        made = owner.__dict__.get("__made_fields__")
        if made is None:
            namespace: dict[str, Any] = {"__annotations__": {}}
            for name, default, factory, shown in owner.__record__:  # type: ignore[attr-defined]
                namespace["__annotations__"][name] = "object"
                if factory is not None:
                    namespace[name] = dataclasses.field(default_factory=factory, repr=shown)
                else:
                    default = dataclasses.MISSING if default is _MISSING else default
                    namespace[name] = dataclasses.field(default=default, repr=shown)
            twin: Any = dataclasses.dataclass(type(owner.__name__, (), namespace))
            made = twin.__dataclass_fields__
            owner.__made_fields__ = made  # type: ignore[attr-defined]
        return made  # type: ignore[no-any-return]


def _make(cls: C, frozen: bool) -> C:
    assert isinstance(cls, type)
    own = cls.__dict__
    spec = _spec(cls)
    methods: dict[str, Any] = {
        "__record__": spec,
        "__match_args__": tuple(f[0] for f in spec),
        "__dataclass_fields__": _DataclassFields(),
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
    }
    if frozen:
        methods |= {"__setattr__": _frozen_set, "__delattr__": _frozen_del}
    for name, method in methods.items():
        if name not in own or name == "__record__":
            setattr(cls, name, method)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:  # as dataclass(eq=True): frozen hashes its fields, others none
        cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
    return cls


@overload
def record(cls: type[R], /) -> type[R]: ...
@overload
def record(*, frozen: bool = False) -> Callable[[type[R]], type[R]]: ...
@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, /, *, frozen: bool = False) -> Any:
    """The class as a record (see the module); `frozen`: its attributes cannot be set."""
    if cls is None:
        return lambda cls: _make(cls, frozen)
    return _make(cls, frozen)


if TYPE_CHECKING:  # mypy checks the changes against the fields, as for a dataclass
    from dataclasses import replace as replace
else:

    def replace(obj, /, **changes):
        """A copy of a record with some fields changed (dataclasses.replace, without it)."""
        return type(obj)(**{**{f[0]: getattr(obj, f[0]) for f in obj.__record__}, **changes})
