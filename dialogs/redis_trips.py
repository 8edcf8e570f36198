"""One round trip to Redis for a batch of commands, on a connection each thread keeps for itself.

The USSD path talks to Redis once or twice a step. redis-py's pipeline costs about 190 µs of CPU per call here,
of which the socket itself is about 70: the rest is the pool's check-out and return, retries, observability hooks
and reply wrapping. Sending the packed commands on a connection the thread already holds costs about 100 µs.
Used by the dialog store and by the rate limits of the webhooks in front of it.
"""
from __future__ import annotations

import os
import threading
import weakref
from typing import Any, Sequence

import redis
from redis.connection import AbstractConnection
from redis.utils import HIREDIS_AVAILABLE

if HIREDIS_AVAILABLE:
    import hiredis

Command = Sequence[Any]


class RoundTrips:
    """Raw replies (bytes, ints, None, lists) of commands sent together, with the client's connection settings."""

    def __init__(self, client: redis.Redis):
        self.client = client
        pool = client.connection_pool
        self._make = lambda: pool.connection_class(**pool.connection_kwargs)
        self._local = threading.local()
        # Every connection made, to close them all at once; a thread that ends drops its own with it.
        self._made: weakref.WeakSet[AbstractConnection] = weakref.WeakSet()

    def __call__(self, *commands: Command) -> list:
        """Send commands in one round trip and return their replies in order; redis.RedisError when that fails.

        A connection found closed (Redis restarted while it was idle) is replaced and the commands sent once more;
        a timeout or a failed connect raises at once; an error reply raises after every reply is read.
        """
        connection = self._connection()
        was_open = connection.is_connected
        try:
            return _exchange(connection, commands)
        except redis.ConnectionError:
            if not was_open:
                raise  # Redis cannot be reached: say so now, not after a second wait
            # Closed while idle (a restart): once more on a new connection. A timeout is never sent again: Redis
            # may have run the commands (a counter would count twice), and the caller must not wait twice.
            connection.disconnect()
            return _exchange(connection, commands)

    def close(self) -> None:
        """Close every connection made so far (a thread using this again opens a new one)."""
        for connection in list(self._made):
            connection.disconnect()

    def _connection(self) -> AbstractConnection:
        local = self._local
        # After a fork the parent's socket must not be shared: the child opens its own.
        if getattr(local, "pid", None) != os.getpid():
            local.connection, local.pid = self._make(), os.getpid()
            self._made.add(local.connection)
        return local.connection


def _packed(connection: AbstractConnection, commands: Sequence[Command]) -> list[bytes]:
    """The commands in Redis's protocol. With hiredis, packed by it directly: redis-py packs through it too, after
    rebuilding each command and looking at every argument in Python."""
    if HIREDIS_AVAILABLE:
        return [b"".join([hiredis.pack_command(tuple(command)) for command in commands])]
    return connection.pack_commands(commands)


def _exchange(connection: AbstractConnection, commands: Sequence[Command]) -> list:
    try:
        connection.send_packed_command(_packed(connection, commands))
        replies, error = [], None
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except redis.ResponseError as exc:  # an error reply: the next replies still follow
                replies.append(exc)
                error = error or exc
    except BaseException:
        # A reply may be left unread on the socket: never reuse it.
        connection.disconnect()
        raise
    if error is not None:
        raise error
    return replies
