"""Reading Matrix events: invitations, what klbot should answer, history before joining."""

from __future__ import annotations

from typing import Any

from nio import InviteMemberEvent, MatrixRoom, RoomMemberEvent, RoomMessageText

from bot.core.events import Identity, Incoming


def invitation(invite_state: list[Any], me: str) -> tuple[bool, str]:
    """(is it a direct chat, who invited klbot) from a room's invite state."""
    mine = [e for e in invite_state if isinstance(e, InviteMemberEvent) and e.state_key == me]
    direct = any(e.content.get("is_direct") for e in mine)
    return direct, mine[0].sender if mine else ""


def since_joining(events: list[Any], me: str) -> list[Any]:
    """The events after klbot's own join, if it joined in this batch: history before
    that (visible to a new member) is not addressed to klbot."""
    for position in range(len(events) - 1, -1, -1):
        event = events[position]
        if (
            isinstance(event, RoomMemberEvent)
            and event.state_key == me
            and event.membership == "join"
            and (event.prev_membership or "") != "join"
        ):
            return events[position + 1 :]
    return events


def translate(room: MatrixRoom, event: Any, me: str) -> Incoming | None:
    """A text message as a neutral event; ``None`` for notices, own messages, chatter."""
    if not isinstance(event, RoomMessageText) or event.sender == me:
        return None
    if event.source.get("content", {}).get("msgtype") != "m.text":
        return None  # m.notice and friends: never answer bots
    text = event.body.strip()
    direct = room.member_count <= 2
    if not direct:
        names = [me, room.user_name(me) or ""]
        mentioned = next((n for n in names if n and n.lower() in text.lower()), None)
        if mentioned is None and not text.startswith("/"):
            return None
        if mentioned is not None and not text.startswith("/"):
            start = text.lower().index(mentioned.lower())
            text = (text[:start] + text[start + len(mentioned) :]).lstrip(":, ").strip()
    return Incoming(
        chat=Identity("matrix", room.room_id),
        sender=Identity("matrix", event.sender),
        text=text,
        is_direct=direct,
        sender_name=room.user_name(event.sender),
    )
