"""Reading a request body with a hard size limit, whatever ``Content-Length`` claims."""

from __future__ import annotations

from starlette.requests import Request


class BodyError(Exception):
    """The body cannot be read: ``status`` says why (400 malformed length, 413 too large)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, at most ``limit`` bytes.

    The declared length is checked first so an oversized upload is refused before it is
    read; the stream is still counted, because a chunked body declares no length.

    Raises:
        BodyError: a non-numeric or negative ``Content-Length`` (400), or too many bytes (413).
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise BodyError(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
