"""Tags: TagResource, UntagResource and ListTagsForResource, on state machines and activities."""

from __future__ import annotations

from typing import Any

from sojourn import arns
from sojourn import errors as E
from sojourn.backend.common import Context, tags
from sojourn.store.base import Tx

__all__ = ["MAX_TAGS", "Tags"]

MAX_TAGS = 50


class Tags:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def _check_taggable(self, tx: Tx, arn: str) -> None:
        """The tagging actions answer ResourceNotFound for any missing resource
        (their model's only "not found")."""
        kind, _names = arns.parse(arn)
        found: object = None
        if kind == "stateMachine":
            found = tx.machine(arn)
        elif kind == "activity":
            found = tx.activity(arn)
        if found is None:
            raise E.ResourceNotFound(f"Resource not found: '{arn}'")

    def tag_resource(self, *, resourceArn: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        pairs = _tags(tags)
        with self.ctx.store.transaction() as tx:
            self._check_taggable(tx, resourceArn)
            if len({t["key"] for t in tx.tags(resourceArn)} | {key for key, _ in pairs}) > MAX_TAGS:
                raise E.TooManyTags(f"Too many tags on '{resourceArn}' (at most {MAX_TAGS})")
            for key, value in pairs:
                tx.set_tag(resourceArn, key, value)
        return {}

    def untag_resource(self, *, resourceArn: str, tagKeys: list[str]) -> dict[str, Any]:
        _tags([{"key": key} for key in tagKeys])
        with self.ctx.store.transaction() as tx:
            self._check_taggable(tx, resourceArn)
            for key in tagKeys:
                tx.delete_tag(resourceArn, key)
        return {}

    def list_tags_for_resource(self, *, resourceArn: str) -> dict[str, Any]:
        with self.ctx.store.transaction(write=False) as tx:
            self._check_taggable(tx, resourceArn)
            return {"tags": tx.tags(resourceArn)}


_tags = tags  # tag_resource's own `tags` argument hides the module's function
