"""A generic JSON codec for the canonical records: dataclasses of dataclasses, to plain JSON values
and back from their type hints, so no record needs code of its own to be cached, parked or written
into a rule file's `tests:` section."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Dataclasses, mappings, sequences, Decimal and dates as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def from_jsonable(kind: Any, data: Any) -> Any:
    """The value of type `kind` that `to_jsonable` turned into `data`."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        return None if data is None else from_jsonable(options[0], data)
    if origin is typing.Literal:
        return data
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        return kind(**{name: from_jsonable(hints[name], data[name]) for name in names if name in data})
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        _, item = typing.get_args(kind)
        return {str(key): from_jsonable(item, value) for key, value in data.items()}
    if origin in (list, tuple):
        args = typing.get_args(kind)
        items = [from_jsonable(args[0], value) for value in data]
        return tuple(items) if origin is tuple else items
    if kind is Decimal:
        return Decimal(str(data))
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind in (int, str, float, bool):
        return kind(data)
    return data
