"""HubSpot's v4 associations: labels, batch read, create (labelled or default), archive.

A mixin of :class:`crm_sync.hubspot.HubSpotClient`: every call goes through the client's
one request path (:meth:`AssociationCalls.call`: auth, limits, retries, counting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from crm_sync.hubspot.outcomes import (
    ASSOCIATION_READ_LIMIT,
    BATCH_LIMIT,
    BatchOutcome,
    Refusal,
    body_of,
    check_batch_size,
    unkeyed_outcome,
)

if TYPE_CHECKING:
    import requests


def type_listing(types: Sequence[Mapping[str, Any]]) -> str:
    """A pair's association types for a message: ``450 HUBSPOT_DEFINED, 13
    HUBSPOT_DEFINED 'Parent Company'`` (``none`` when it has none)."""
    return (
        ", ".join(
            f"{t.get('typeId')} {t.get('category')}"
            + (f" {t['label']!r}" if t.get("label") else "")
            for t in types
        )
        or "none"
    )


def find_type(
    types: Sequence[Mapping[str, Any]], type_id: int, category: str | None = None
) -> Mapping[str, Any] | None:
    """The entry of a pair's ``/labels`` with ``type_id`` (and ``category`` when given).

    HubSpot keys a type by category and id together: ``USER_DEFINED`` 1 may sit beside
    ``HUBSPOT_DEFINED`` 1 ("Primary").
    """
    for t in types:
        if str(t.get("typeId")) == str(type_id) and category in (None, t.get("category")):
            return t
    return None


class AssociationCalls:
    """The association endpoints, on top of a client's :meth:`call`."""

    def call(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        ok: tuple[int, ...] = (),
        params: Mapping[str, Any] | None = None,
        route: str | None = None,
    ) -> requests.Response:
        raise NotImplementedError  # the client's one request path

    def get_json(self, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        return body_of(self.call("GET", path, what, **kwargs))

    def association_labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        """``GET /crm/v4/associations/{from}/{to}/labels``: category, typeId, label."""
        reply = self.get_json(
            f"/crm/v4/associations/{from_type}/{to_type}/labels",
            f"association labels {from_type}->{to_type}",
            route="GET /crm/v4/associations/{from}/{to}/labels",
        )
        return list(reply.get("results", []))

    def read_associations(
        self, from_type: str, to_type: str, inputs: Sequence[Mapping[str, str]]
    ) -> dict[str, Any]:
        """One v4 ``batch/read`` of ≤1,000 ``{"id", "after"?}`` inputs (200 or 207)."""
        check_batch_size(inputs, ASSOCIATION_READ_LIMIT)
        reply = self.call(
            "POST",
            f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
            f"read associations {from_type}->{to_type}",
            {"inputs": [dict(i) for i in inputs]},
            route="POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
        )
        return body_of(reply)

    def create_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str, str]],
        types: Sequence[Mapping[str, Any]] | None = None,
    ) -> BatchOutcome:
        """Associate ≤100 ``(from_id, to_id)`` pairs, labelled (``types``) or default.

        Creating an existing association again is a no-op on HubSpot's side, so retries
        and reruns are safe.
        """
        if not pairs:
            return BatchOutcome()
        inputs: list[dict[str, Any]]
        if types:
            path = f"/crm/v4/associations/{from_type}/{to_type}/batch/create"
            inputs = [{"from": {"id": f}, "to": {"id": t}, "types": list(types)} for f, t in pairs]
        else:
            path = f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default"
            inputs = [{"from": {"id": f}, "to": {"id": t}} for f, t in pairs]
        reply = self.call(
            "POST", path, f"associate {from_type}->{to_type}", {"inputs": inputs}, ok=(400, 404),
            route="POST " + path.replace(from_type, "{from}", 1).replace(to_type, "{to}", 1),
        )  # fmt: skip
        if reply.status_code >= 400:
            body = body_of(reply)
            outcome = BatchOutcome(status=reply.status_code)
            outcome.refusals = [
                Refusal(
                    f"{f}->{t}",
                    reply.status_code,
                    str(body.get("category", "")),
                    str(body.get("message", "")),
                    body,
                )
                for f, t in pairs
            ]
            return outcome
        return unkeyed_outcome(reply)

    def create_association_label(
        self, from_type: str, to_type: str, label: str, name: str
    ) -> list[dict[str, Any]]:
        """``POST /crm/v4/associations/{from}/{to}/labels``: the label's type(s)."""
        reply = self.call(
            "POST",
            f"/crm/v4/associations/{from_type}/{to_type}/labels",
            f"create association label {label!r} {from_type}->{to_type}",
            {"label": label, "name": name},
            route="POST /crm/v4/associations/{from}/{to}/labels",
        )
        return list(body_of(reply).get("results", []))

    def archive_associations(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str, str]],
        types: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Remove associations between ``(from_id, to_id)`` pairs (204).

        With ``types``, only those labels go (``batch/labels/archive``); without, every
        association between each pair (``batch/archive``).
        """
        inputs: list[dict[str, Any]]
        if types:
            kind = "labels/archive"
            inputs = [{"from": {"id": f}, "to": {"id": t}, "types": list(types)} for f, t in pairs]
        else:
            kind = "archive"
            by_from: dict[str, list[str]] = {}
            for from_id, to_id in pairs:
                by_from.setdefault(from_id, []).append(to_id)
            inputs = [
                {"from": {"id": f}, "to": [{"id": t} for t in tos]} for f, tos in by_from.items()
            ]
        for start in range(0, len(inputs), BATCH_LIMIT):
            self.call(
                "POST",
                f"/crm/v4/associations/{from_type}/{to_type}/batch/{kind}",
                f"remove associations {from_type}->{to_type}",
                {"inputs": inputs[start : start + BATCH_LIMIT]},
                route=f"POST /crm/v4/associations/{{from}}/{{to}}/batch/{kind}",
            )
