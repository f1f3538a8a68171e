"""What a learner's kernel sends the grader, checked at the door.

The kernel owns its end of the Jupyter connection and knows the key that signs messages, so
it can send, correctly signed, bytes that are not JSON, a header without a type, a stream whose
text is a number, an execution count that is a list. nbclient and nbgrader read such messages
as they come and raise on them, which failed the whole submission (the cells graded before
lost their points too, and the instructor got a "needs attention" the learner chose to cause).
`guard(session)` makes every message read through `session` pass `checked` first: one that is
not a well-formed message of the kinds nbclient reads raises `KernelProtocolError`, which
GuardedExecute treats like the kernel's death (the cells from there on score 0).
"""

from __future__ import annotations

import functools

OUTPUT_TYPES = {"display_data", "update_display_data", "execute_result"}


class KernelProtocolError(Exception):
    """The kernel sent something that is not a Jupyter message nbclient can read."""


def guard(session) -> None:
    """Check every message `session` deserializes (once per session)."""
    if getattr(session.deserialize, "checks_kernel_messages", False):
        return
    deserialize = session.deserialize

    @functools.wraps(deserialize)
    def deserialize_checked(*args, **kwargs):
        try:
            message = deserialize(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - whatever the bytes made the decoder raise
            raise KernelProtocolError(f"a message that cannot be read ({type(exc).__name__})") from None
        return checked(message)

    deserialize_checked.checks_kernel_messages = True
    session.deserialize = deserialize_checked


def checked(message):
    """`message` itself, if it is well-formed; else KernelProtocolError. What nbformat reads as
    `content[key]` (an output's data and metadata, an error's name, value and traceback) must be there.

    >>> checked({"header": {"msg_type": "stream", "msg_id": "1"}, "msg_type": "stream",
    ...          "parent_header": {}, "metadata": {}, "content": {"name": "stdout", "text": "hi"}})["msg_type"]
    'stream'
    >>> checked({"header": {"msg_type": "stream", "msg_id": "1"}, "msg_type": "stream",
    ...          "parent_header": {}, "metadata": {}, "content": {"name": "stdout", "text": 5}})
    Traceback (most recent call last):
    checker.classroom.kernel_messages.KernelProtocolError: a malformed stream message
    """
    kind = _header_type(message)
    if not _content_fits(kind, message["content"]):
        raise KernelProtocolError(f"a malformed {kind[:40]} message")
    return message


def _header_type(message) -> str:
    well_formed = (
        isinstance(message, dict)
        and all(
            isinstance(message.get(part), dict) for part in ("header", "parent_header", "metadata", "content")
        )
        and isinstance(message["header"].get("msg_type"), str)
        and isinstance(message["header"].get("msg_id"), str)
        and message.get("msg_type") == message["header"]["msg_type"]
        and isinstance(message["parent_header"].get("msg_id", ""), str)
    )
    if not well_formed:
        raise KernelProtocolError("a message without a proper header")
    return message["header"]["msg_type"]


def _content_fits(kind: str, content: dict) -> bool:
    transient = content.get("transient")
    return (
        _count(content.get("execution_count"))
        and (
            transient is None or (isinstance(transient, dict) and _text_or_none(transient.get("display_id")))
        )
        and _KIND_CHECKS.get(kind, lambda _: True)(content)
    )


def _count(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _text_or_none(value) -> bool:
    return value is None or isinstance(value, str)


def _output_data(content: dict) -> bool:
    """A mime bundle nbformat can write: text (or lines of it), any JSON for a JSON type."""
    data = content.get("data")
    return (
        isinstance(data, dict)
        and all(isinstance(key, str) and _mime_value(key, value) for key, value in data.items())
        and isinstance(content.get("metadata"), dict)
    )


def _mime_value(key: str, value) -> bool:
    if key.endswith("json"):
        return True
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


_KIND_CHECKS = {
    "status": lambda c: isinstance(c.get("execution_state"), str),
    "stream": lambda c: c.get("name") in ("stdout", "stderr") and isinstance(c.get("text"), str),
    "error": lambda c: (
        isinstance(c.get("ename"), str)
        and isinstance(c.get("evalue"), str)
        and isinstance(c.get("traceback"), list)
        and all(isinstance(line, str) for line in c["traceback"])
    ),
    "clear_output": lambda c: isinstance(c.get("wait", False), bool),
    "execute_reply": lambda c: isinstance(c.get("status"), str),
    **dict.fromkeys(OUTPUT_TYPES, _output_data),
    "execute_result": lambda c: _output_data(c) and "execution_count" in c,
}
