"""Post/redirect/get, as a test sees it: a form that needs correcting is answered with a 303 back
to its page (never a page in answer to the POST, so Back and reload never send it again), and that
page shows the problems and what was typed (rtw_platform.web.form_state)."""

from __future__ import annotations

from typing import Any

import httpx


async def refused(
    client: httpx.AsyncClient, url: str, data: dict[str, Any], *, page: str | None = None
) -> httpx.Response:
    """Post `data` to `url`, expect the 303 back to `page` (by default the form's own address),
    follow it and return the page shown (200)."""
    answer = await client.post(url, data=data)
    assert answer.status_code == 303, (url, answer.status_code, answer.text[-500:])
    location = answer.headers["location"]
    assert location.split("?")[0] == (page or url).split("?")[0], (location, page or url)
    shown = await client.get(location)
    assert shown.status_code == 200, (location, shown.status_code, shown.text[-500:])
    return shown
