"""Requests wait their turn: at most a few in progress per process, first come first served,
and no place held while a request waits for something outside the process."""

import asyncio
import re

import pytest

from coordinator import admission, db
from coordinator import app as app_module
from coordinator.admission import Admission
from coordinator.app import create_app
from tests import factories
from tests.conftest import http_client, test_settings
from tests.invites import support


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_no_more_than_the_limit_are_inside_at_once_and_all_get_their_turn():
    places = Admission(2)
    inside, most, release = 0, 0, asyncio.Event()

    async def request() -> None:
        nonlocal inside, most
        async with admission.admitted(places):
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(request()) for _ in range(6)]
    await _settle()
    assert inside == 2
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert most == 2
    assert places.free == 2


async def test_waiters_are_let_in_in_arrival_order():
    places = Admission(1)
    order = []
    await places.enter()

    async def request(name: str) -> None:
        async with admission.admitted(places):
            order.append(name)

    tasks = []
    for name in "abcd":
        tasks.append(asyncio.create_task(request(name)))
        await _settle()
    places.leave()
    await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert order == list("abcd")
    assert places.free == 1


async def test_a_request_waiting_outside_gives_its_place_and_comes_back_before_newcomers():
    places = Admission(1)
    order = []
    back, newcomer_may_finish = asyncio.Event(), asyncio.Event()

    async def waits_outside() -> None:
        async with admission.admitted(places):
            async with admission.outside():
                await back.wait()
            order.append("returned")

    async def newcomer(name: str) -> None:
        async with admission.admitted(places):
            order.append(name)
            await newcomer_may_finish.wait()

    first = asyncio.create_task(waits_outside())
    await _settle()
    assert places.free == 1  # outside: the place is free for others
    second = asyncio.create_task(newcomer("second"))
    await _settle()
    third = asyncio.create_task(newcomer("third"))
    await _settle()
    back.set()  # "second" is inside; "third" waits, and the returning request goes first
    await _settle()
    newcomer_may_finish.set()
    await asyncio.wait_for(asyncio.gather(first, second, third), 1)
    assert order == ["second", "returned", "third"]
    assert places.free == 1


@pytest.mark.parametrize("let_in_first", [False, True])
async def test_a_cancelled_waiter_takes_no_place_with_it(let_in_first):
    """Cancelled while it waits, or just as it was let in (before it ran): either way the
    place goes to the next live waiter."""
    places = Admission(1)
    await places.enter()
    waiter = asyncio.create_task(places.enter())
    later = asyncio.create_task(places.enter())
    await _settle()
    if let_in_first:
        places.leave()  # handed to ``waiter``, which has not run yet
        waiter.cancel()
    else:
        waiter.cancel()
        await _settle()
        places.leave()  # goes to the live waiter, not to the cancelled one
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(later, 1)
    places.leave()
    assert places.free == 1


async def test_a_failing_request_gives_its_place_back_and_a_finished_one_gives_it_once():
    places = Admission(1)
    with pytest.raises(RuntimeError):
        async with admission.admitted(places):
            raise RuntimeError("boom")
    assert places.free == 1
    async with admission.admitted(places):
        admission.finish()  # the answer started
        assert places.free == 1
        async with admission.outside():  # nothing to give back, nothing to take again
            pass
        assert places.free == 1
    assert places.free == 1


async def test_a_request_stopped_while_outside_ends_without_waiting_for_a_place():
    places = Admission(1)
    outside = asyncio.Event()

    async def request() -> None:
        async with admission.admitted(places):
            async with admission.outside():
                outside.set()
                await asyncio.sleep(60)

    stopped = asyncio.create_task(request())
    await outside.wait()
    await places.enter()  # every place is taken by others now
    stopped.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(stopped, 1)
    places.leave()
    assert places.free == 1


async def test_a_request_in_a_transaction_keeps_its_place_while_it_waits():
    places = Admission(1)
    async with admission.admitted(places):
        async with db.transaction():
            async with admission.outside():
                assert places.free == 0  # it may hold the write lock the others need
        async with admission.outside():
            assert places.free == 1
    assert places.free == 1


async def test_a_task_the_request_started_holds_no_place():
    places = Admission(1)
    async with admission.admitted(places):
        async def build() -> int:
            async with admission.outside():  # not the request's own task: no effect
                return places.free
        assert await asyncio.create_task(build()) == 0
    assert places.free == 1


def _scope(method: str, path: str, body_headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "https", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "server": ("testserver.local", 443),
            "client": ("127.0.0.1", 5000), "headers": [(b"host", b"testserver.local"),
                                                     *body_headers]}


async def _hello(app) -> int:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(_scope("GET", "/hello", []), receive, send)
    return sent[0]["status"]


async def test_a_client_that_is_slow_to_send_its_form_holds_no_place():
    app = create_app(test_settings(requests_at_once=1))
    body_arrives = asyncio.Event()

    async def slow_receive():
        await body_arrives.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        pass

    slow = asyncio.create_task(app(_scope("POST", "/login", [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"20")]), slow_receive, send))
    await _settle()
    assert not slow.done()  # still waiting for its body
    assert await asyncio.wait_for(_hello(app), 5) == 200
    body_arrives.set()
    await asyncio.wait_for(asyncio.gather(slow, return_exceptions=True), 5)


async def test_a_client_that_is_slow_to_read_its_answer_holds_no_place():
    app = create_app(test_settings(requests_at_once=1))
    reading = asyncio.Event()

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def slow_send(message):
        if message["type"] == "http.response.body":
            await reading.wait()

    slow = asyncio.create_task(app(_scope("GET", "/hello", []), receive, slow_send))
    await _settle()
    assert not slow.done()  # its answer has started and is not yet read
    assert await asyncio.wait_for(_hello(app), 5) == 200
    reading.set()
    await asyncio.wait_for(slow, 5)


async def test_a_refused_form_read_again_runs_on_its_own_place():
    """A refused form asks the app for its page again inside the request: with one place,
    that inner request must not wait for a second (it would wait for ever)."""
    app = create_app(test_settings(requests_at_once=1))
    async with http_client(app) as client:
        s = await support.scenario(with_father=False)
        await factories.login(client, s.worker)
        page = f"/meetings/{s.meeting_id}"
        text = (await client.get(page)).text
        token = factories.CSRF_RE.search(text).group(1)
        version = re.search(r'name="version" value="(\d+)"', text).group(1)
        answers = await asyncio.wait_for(asyncio.gather(*(client.post(f"{page}/details", data={
            "_csrf_token": token, "_page": page, "version": version, "title": "",
            "location": "Lokale 9"}) for _ in range(3))), 20)
        assert [a.status_code for a in answers] == [422] * 3
        assert all('value="Lokale 9"' in a.text for a in answers)  # the page, with the input
        assert await asyncio.wait_for(_hello(app), 5) == 200



async def _connection_header(app, http_version: str = "1.1") -> bytes | None:
    """The ``connection`` header of /hello's answer, if any."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app({**_scope("GET", "/hello", []), "http_version": http_version}, receive, send)
    return dict(sent[0]["headers"]).get(b"connection")


async def test_every_answer_closes_its_connection_with_one_request_each_and_none_with_zero():
    every = create_app(test_settings(keepalive_requests=1))
    never = create_app(test_settings(keepalive_requests=0))
    for _ in range(20):
        assert await _connection_header(every) == b"close"
        assert await _connection_header(never) is None
    # HTTP/2 has no keep-alive connection to close; HTTP/1.0 closes by itself.
    assert await _connection_header(every, "2") is None
    assert await _connection_header(every, "1.0") is None


@pytest.mark.parametrize(("dice", "closed"), [
    (0.5, [b"close", None, None]),  # 2 of 4 < 1 + waiting only while two wait
    (0.3, [b"close", b"close", None]),  # 1.2 < 1 + waiting while one or two wait
    (0.2, [b"close", b"close", b"close"]),  # 0.8 < 1: closed even with nobody waiting
    (0.9, [None, None, None]),  # 3.6 ≥ 1 + 2
])
async def test_a_busier_process_closes_more_of_its_connections(dice, closed):
    """Three requests at once with one place: the first answers while two wait, the second
    while one waits, the last while none does; one in four closes with nobody waiting."""
    gate = asyncio.Event()

    async def inner(scope, receive, send):
        await gate.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    serving = app_module._serving(1, 4, chance=lambda: dice)(inner)
    tasks = [asyncio.create_task(_connection_header(serving)) for _ in range(3)]
    await _settle()
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(*tasks), 5) == closed
