"""Typed button data: one small frozen dataclass per kind of button, encoded once.

    @dataclass(frozen=True)
    class Rating(ButtonData, prefix="rate"):
        answer: int
        helpful: int

    Rating(17, 1).pack()             # "rate:17:1", what the button carries
    Rating.unpack("rate:17:1")       # Rating(answer=17, helpful=1); None if malformed

Fields are ``str`` or ``int``; the last one takes the rest of the data, so it may hold
``:`` (``sub:project:lora``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self, get_type_hints


class ButtonData:
    """Base of every kind of button data (subclasses are frozen dataclasses)."""

    prefix: ClassVar[str]
    optional: ClassVar[bool] = False
    """The reply says all it has to without this button (👍/👎, "more on …"), so it may be
    left out where the reply is shown in passing."""
    confirms: ClassVar[bool] = False
    """The button has consequences (deleting everything): typed, only its number, its
    whole label or a plain yes or no chooses it."""

    def __init_subclass__(
        cls,
        *,
        prefix: str = "",
        optional: bool = False,
        confirms: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if prefix:
            if ":" in prefix:
                raise ValueError(f"button prefix {prefix!r} must not contain ':'")
            cls.prefix = prefix
        cls.optional, cls.confirms = optional, confirms

    def pack(self) -> str:
        """The data the button carries."""
        values = (str(getattr(self, name)) for name, _ in _fields(type(self)))
        return ":".join([self.prefix, *values])

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """The button data ``data`` encodes, or ``None`` if it is not of this kind."""
        prefix, _, rest = data.partition(":")
        fields = _fields(cls)
        if prefix != cls.prefix or (not fields and rest):
            return None
        parts = rest.split(":", len(fields) - 1) if fields else []
        if len(parts) != len(fields):
            return None
        values: dict[str, object] = {}
        for (name, kind), part in zip(fields, parts, strict=True):
            if kind is int:
                if not part.isdecimal() or len(part) > 18:
                    return None
                values[name] = int(part)
            else:
                values[name] = part
        return cls(**values)


_FIELDS: dict[type[ButtonData], tuple[tuple[str, type], ...]] = {}


def _fields(kind: type[ButtonData]) -> tuple[tuple[str, type], ...]:
    """(name, type) of each field of ``kind``, read once."""
    if kind not in _FIELDS:
        hints = get_type_hints(kind)
        fields = dataclasses.fields(kind)  # type: ignore[arg-type]
        _FIELDS[kind] = tuple((field.name, hints[field.name]) for field in fields)
    return _FIELDS[kind]
