"""Round trips on a connection per thread: replies in order, broken connections replaced, errors that say so."""
import threading
import time

import pytest
import redis
from redis.connection import Connection
from rq.job import JobStatus

from dialogs.redis_trips import RoundTrips, _packed
from tests.servers import RedisServer


@pytest.fixture
def trips(redis_url):
    client = redis.Redis.from_url(redis_url)
    trips = RoundTrips(client)
    yield trips
    trips.close()
    client.close()


def test_replies_come_back_raw_and_in_order(trips):
    replies = trips(("SET", "k", "v", "PX", 60000), ("MGET", "k", "absent"), ("INCR", "n"), ("TTL", "k"))
    assert replies[:3] == [b"OK", [b"v", None], 1]
    assert 0 < replies[3] <= 60


def test_a_connection_the_server_closed_is_replaced_and_the_commands_sent_again(trips, redis_url):
    trips(("SET", "k", "1"))
    admin = redis.Redis.from_url(redis_url)
    admin.client_kill_filter(_type="normal", skipme=True)  # as a Redis restart would leave it
    admin.close()
    assert trips(("GET", "k")) == [b"1"]


def test_an_error_reply_raises_after_every_reply_is_read(trips):
    trips(("SET", "text", "x"))
    with pytest.raises(redis.ResponseError):
        trips(("INCR", "text"), ("SET", "after", "1"))
    # The command after the error ran, and the connection is still in step: the next reply is its own.
    assert trips(("GET", "after")) == [b"1"]


def test_each_thread_has_its_own_connection(trips):
    names = []

    def name_my_connection(n):
        trips(("CLIENT", "SETNAME", f"thread-{n}"))
        names.append(trips(("CLIENT", "GETNAME"))[0])

    threads = [threading.Thread(target=name_my_connection, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(names) == [b"thread-0", b"thread-1", b"thread-2"]


def test_redis_gone_raises_a_redis_error():
    server = RedisServer()
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1)
    trips = RoundTrips(client)
    trips(("PING",))
    server.stop()
    with pytest.raises(redis.RedisError):
        trips(("PING",))
    trips.close()
    client.close()


def test_a_timed_out_call_is_not_sent_again(redis_url):
    # Redis may have run commands whose replies came too late: sent again, a counter would count twice.
    client = redis.Redis.from_url(redis_url, socket_timeout=0.3)
    trips = RoundTrips(client)
    trips(("SET", "n", "0"))
    blocker = redis.Redis.from_url(redis_url)
    sleeper = threading.Thread(target=lambda: blocker.execute_command("DEBUG", "SLEEP", "0.6"))
    sleeper.start()
    time.sleep(0.1)
    with pytest.raises(redis.TimeoutError):
        trips(("INCR", "n"))
    sleeper.join()
    # Whether Redis ran the INCR of a connection closed meanwhile is its business; it never ran twice.
    assert blocker.get("n") in (b"0", b"1")
    blocker.close()
    trips.close()
    client.close()


def test_commands_are_packed_byte_for_byte_as_redis_py_packs_them():
    commands = [("SET", "k", 0, "EX", 600, "NX"), ("INCR", "k"), ("ZADD", "z", 1.5, "a", 1e20, "b", 0.1, "c"),
                ("HSET", "h", "data", b"\x00\xff\r\n", "n", -3, "status", JobStatus.QUEUED), ["GET", "é"]]
    connection = Connection()
    assert b"".join(_packed(connection, commands)) == b"".join(connection.pack_commands(commands))
