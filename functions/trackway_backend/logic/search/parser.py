"""Filter strings and order_by clauses parsed against a Grammar."""

from __future__ import annotations

from typing import Any

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.grammar import (
    DATASET_KEYS,
    NULL_COMPARATORS,
    SET_COMPARATORS,
    Clause,
    Grammar,
    OrderKey,
    Token,
    split_identifier,
    tokenize,
    unquote,
)


def parse_filter(text: str | None, grammar: Grammar) -> list[Clause]:
    if not text or not text.strip():
        return []
    tokens = tokenize(text)
    if any(token.keyword == "OR" for token in tokens):
        raise InvalidParameter(f"Invalid clause(s) in filter string: 'OR'. Only AND is supported: '{text}'")
    clauses: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        depth += {"(": 1, ")": -1}.get(token.text, 0) if token.kind == "op" else 0
        if token.keyword == "AND" and depth == 0:
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [_clause(clause, grammar, text) for clause in clauses]


def _clause(tokens: list[Token], grammar: Grammar, text: str) -> Clause:
    if not tokens:
        raise InvalidParameter(f"Invalid filter string '{text}': empty clause")
    at = next(
        (
            i
            for i, token in enumerate(tokens)
            if (token.kind == "op" and token.text not in ".(),")
            or token.keyword in ("LIKE", "ILIKE", "IN", "NOT", "IS")
        ),
        None,
    )
    if at is None or at == 0:
        raise InvalidParameter(f"Invalid filter string '{text}': expected '<entity>.<key> <comparator> <value>'")
    entity_name, key = split_identifier(tokens[:at])
    entity = grammar.entity(entity_name)
    if entity == "attribute":
        key = grammar.attribute(key)
    elif entity == "dataset" and key not in DATASET_KEYS:
        raise InvalidParameter(f"Invalid dataset key '{key}'. Valid keys are {list(DATASET_KEYS)}")
    comparator, rest = _comparator(tokens[at:], text)
    allowed = (
        grammar.comparators[entity]
        if entity != "attribute"
        else (
            grammar.comparators["numeric_attribute"]
            if key in grammar.numeric_attributes
            else grammar.comparators["string_attribute"]
        )
    )
    if comparator in SET_COMPARATORS and entity == "attribute" and key not in grammar.set_attributes:
        allowed = allowed - SET_COMPARATORS
    if comparator not in allowed:
        raise InvalidParameter(f"Invalid comparator '{comparator}' not one of '{sorted(allowed)}' for {entity} '{key}'")
    if comparator in NULL_COMPARATORS:
        if rest:
            raise InvalidParameter(f"Invalid filter string '{text}': '{comparator}' takes no value")
        return Clause(entity, key, comparator)
    return Clause(entity, key, comparator, _value(rest, grammar.is_numeric(entity, key), comparator, text))


def _comparator(tokens: list[Token], text: str) -> tuple[str, list[Token]]:
    words = [token.keyword for token in tokens[:3]]
    if words[:3] == ["IS", "NOT", "NULL"]:
        return "IS NOT NULL", tokens[3:]
    if words[:2] == ["IS", "NULL"]:
        return "IS NULL", tokens[2:]
    if words[:2] == ["NOT", "IN"]:
        return "NOT IN", tokens[2:]
    first = tokens[0]
    if first.keyword in ("LIKE", "ILIKE", "IN"):
        return first.keyword, tokens[1:]  # type: ignore[return-value]
    if first.kind == "op" and first.text not in ".(),":
        return ("!=" if first.text == "<>" else first.text), tokens[1:]
    raise InvalidParameter(f"Invalid comparator in filter string '{text}'")


def _value(tokens: list[Token], numeric: bool, comparator: str, text: str) -> Any:
    if comparator in SET_COMPARATORS:
        if len(tokens) < 2 or tokens[0].text != "(" or tokens[-1].text != ")":
            raise InvalidParameter(f"While parsing a list in the query, expected a parenthesized list: '{text}'")
        items = [token for token in tokens[1:-1] if token.text != ","]
        if not items or any(token.kind != "string" for token in items):
            raise InvalidParameter(f"Only non-empty lists of quoted strings are supported: '{text}'")
        return frozenset(unquote(token) for token in items)
    if len(tokens) != 1:
        raise InvalidParameter(f"Invalid filter string '{text}': expected a single value")
    token = tokens[0]
    if numeric:
        if token.kind != "number":
            raise InvalidParameter(f"Expected numeric value type for metric or numeric attribute: '{token.text}'")
        return float(token.text)
    if token.kind != "string":
        raise InvalidParameter(
            f"Value '{token.text}' must be quoted with single or double quotes for string comparisons"
        )
    return unquote(token)


def parse_order_by(items: list[str], grammar: Grammar, numeric_only_keys: bool = True) -> list[OrderKey]:
    keys = []
    for item in items:
        tokens = tokenize(item)
        ascending = True
        if tokens and tokens[-1].kind == "word" and tokens[-1].text.upper() in ("ASC", "DESC"):
            ascending = tokens.pop().text.upper() == "ASC"
        try:
            entity_name, key = split_identifier(tokens)
        except InvalidParameter:
            raise InvalidParameter(f"Invalid order_by clause '{item}'") from None
        entity = grammar.entity(entity_name)
        if entity == "attribute":
            key = grammar.attribute(key)
        keys.append(OrderKey(entity, key, ascending))
    return keys
