"""Readable run names, as MLflow gives runs created without one ("bright-owl-417")."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber",
    "bold",
    "brave",
    "bright",
    "calm",
    "clever",
    "crisp",
    "daring",
    "eager",
    "fleet",
    "gentle",
    "glad",
    "keen",
    "lucky",
    "merry",
    "nimble",
    "proud",
    "quick",
    "quiet",
    "rare",
    "shy",
    "silent",
    "smooth",
    "steady",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wise",
)
_NOUNS = (
    "ant",
    "bass",
    "bear",
    "bee",
    "crab",
    "crane",
    "deer",
    "dove",
    "eel",
    "elk",
    "finch",
    "fox",
    "frog",
    "gull",
    "hare",
    "hawk",
    "koi",
    "lark",
    "lynx",
    "mole",
    "moth",
    "newt",
    "owl",
    "ram",
    "seal",
    "slug",
    "snail",
    "squid",
    "toad",
    "wren",
)


def generate_run_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 999)}"
