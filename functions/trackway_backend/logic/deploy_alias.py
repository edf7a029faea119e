"""Which alias is deployed (and is "the champion" to the approval gates): a registered-model tag may say."""

from __future__ import annotations

from collections.abc import Mapping

DEPLOY_ALIAS_TAG = "trackway.deploy_alias"
DEFAULT_DEPLOY_ALIAS = "champion"


def deploy_alias(model_tags: Mapping[str, str]) -> str:
    return model_tags.get(DEPLOY_ALIAS_TAG, "").strip() or DEFAULT_DEPLOY_ALIAS
