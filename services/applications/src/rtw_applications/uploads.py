"""Reading an upload without trusting its size: refused (413) as soon as it is too big."""

from __future__ import annotations

from rtw_platform.errors import TooLarge
from starlette.requests import Request
from starlette.types import Message

#: Room in a second-stage upload for the answers and the form's framing, beyond the video.
FORM_ALLOWANCE_BYTES = 1024 * 1024


def too_large(limit: int) -> TooLarge:
    """The refusal of a video over `limit` bytes."""
    return TooLarge(
        f"The video is larger than the {limit // (1024 * 1024)} MB accepted. "
        "Record a shorter one or lower its resolution."
    )


def bounded(request: Request, max_video_bytes: int) -> Request:
    """The request, refusing its body as soon as it passes the video limit plus room for the
    answers: at once when its Content-Length says so, otherwise while it is being read. Call it
    only after the caller was found to own what they upload to."""
    limit = max_video_bytes + FORM_ALLOWANCE_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise too_large(max_video_bytes)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(max_video_bytes)
        return message

    return Request(request.scope, receive)
