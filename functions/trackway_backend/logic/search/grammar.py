"""Tokenizer and parser of MLflow filter strings and order_by clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trackway_backend.errors import InvalidParameter

NUMERIC_COMPARATORS = frozenset({">", ">=", "=", "!=", "<", "<="})
STRING_COMPARATORS = frozenset({"=", "!=", "LIKE", "ILIKE"})
NULL_COMPARATORS = frozenset({"IS NULL", "IS NOT NULL"})
SET_COMPARATORS = frozenset({"IN", "NOT IN"})
DATASET_KEYS = ("name", "digest", "context")  # in the order of a run summary's dataset keys

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<backtick>`[^`]*`)
      | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<op>>=|<=|!=|<>|=|>|<|\(|\)|,|\.)
      | (?P<word>[A-Za-z_][\w\-]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def keyword(self) -> str | None:
        return self.text.upper() if self.kind == "word" and self.text.upper() in _KEYWORDS else None


@dataclass(frozen=True)
class Clause:
    entity: str
    key: str
    comparator: str
    value: Any = None


@dataclass(frozen=True)
class OrderKey:
    entity: str
    key: str
    ascending: bool = True


@dataclass
class Grammar:
    """What one search API accepts: entity aliases, comparators per entity, and typed attributes."""

    entities: dict[str, str]
    comparators: dict[str, frozenset[str]]
    numeric_attributes: frozenset[str] = frozenset()
    string_attributes: frozenset[str] = frozenset()
    attribute_aliases: dict[str, str] = field(default_factory=dict)
    set_attributes: frozenset[str] = frozenset()
    default_entity: str = "attribute"
    numeric_entities: frozenset[str] = frozenset({"metric"})

    def entity(self, name: str | None) -> str:
        if name is None:
            return self.default_entity
        entity = self.entities.get(name.lower())
        if entity is None:
            raise InvalidParameter(f"Invalid entity type '{name}'. Valid values are {sorted(set(self.entities))}")
        return entity

    def attribute(self, key: str) -> str:
        name = self.attribute_aliases.get(key, key)
        if name not in self.numeric_attributes | self.string_attributes:
            valid = sorted(self.numeric_attributes | self.string_attributes)
            raise InvalidParameter(f"Invalid attribute key '{key}' specified. Valid keys are '{valid}'")
        return name

    def is_numeric(self, entity: str, key: str) -> bool:
        return entity in self.numeric_entities or (entity == "attribute" and key in self.numeric_attributes)


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise InvalidParameter(f"Invalid filter string '{text}': unexpected input at '{text[position:]}'")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


def unquote(token: Token) -> str:
    if token.kind == "backtick":
        return token.text[1:-1]
    if token.kind == "string":
        quote = token.text[0]
        return token.text[1:-1].replace(quote * 2, quote)
    return token.text


def split_identifier(tokens: list[Token]) -> tuple[str | None, str]:
    """`metrics.acc`, ``tags.`a b` ``, `start_time`, `"run name"` → (entity or None, key)."""
    if not tokens:
        raise InvalidParameter("Invalid filter: a clause has no identifier")
    if len(tokens) >= 3 and tokens[0].kind == "word" and tokens[1].text == ".":
        return tokens[0].text, "".join(unquote(token) for token in tokens[2:])
    if len(tokens) == 1 and tokens[0].kind in ("word", "backtick", "string"):
        return None, unquote(tokens[0])
    raise InvalidParameter(f"Invalid identifier '{''.join(token.text for token in tokens)}'")
