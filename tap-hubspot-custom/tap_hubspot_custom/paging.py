"""singer-sdk paginators for HubSpot's two ways of paging.

* :class:`ListPaginator`: the list API's ``paging.next.after`` cursor.
* :class:`SearchPaginator`: the search API re-anchored on (modified time, object id) by
  :class:`~tap_hubspot_custom.search_plan.SearchPlan`; each page token is the next
  search body, never a numeric ``after`` offset, so the 10,000-result cap never applies.

Both keep going past a page that yields no record (every record of it already emitted,
or archived before the last run): only the API's own end of paging stops them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.pagination import BaseAPIPaginator, JSONPathPaginator

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from tap_hubspot_custom.search_plan import SearchPlan


class ListPaginator(JSONPathPaginator):
    """``GET /crm/v3/objects/{ot}`` pages, by ``paging.next.after``; ``ends(response)``
    says a page is the last one read although the API offers more (the search walk of
    :mod:`tap_hubspot_custom.descent` has the rest)."""

    def __init__(
        self, ends: Callable[[requests.Response], bool] | None = None, start: str | None = None
    ) -> None:
        """``start``: the cursor of the first page to read (a resumed first pull)."""
        super().__init__("$.paging.next.after")
        self._value = start
        self.ends = ends

    def has_more(self, response: requests.Response) -> bool:
        return not (self.ends is not None and self.ends(response))

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True


class SearchPaginator(BaseAPIPaginator[dict[str, Any]]):
    """Search pages; the plan digests each page (in ``parse_response``) before this asks it
    for the next body."""

    def __init__(self, plan: SearchPlan) -> None:
        super().__init__(plan.body())
        self.plan = plan

    def get_next(self, response: requests.Response) -> dict[str, Any] | None:
        return None if self.plan.done else self.plan.body()

    def continue_if_empty(self, response: requests.Response) -> bool:
        return True
