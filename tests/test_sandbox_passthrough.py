"""moto's answer is passed on as moto made it (no response object rebuilt around it), and
only once everything about the request is decided (issue 10)."""

from __future__ import annotations

from iamlab.sandbox.server import _Answer


class Body(list):
    closed = False

    def close(self):
        self.closed = True


def eager(status="200 OK", headers=(("Content-Type", "application/json"),), chunks=(b"{}",)):
    body = Body(chunks)

    def app(environ, start_response):
        start_response(status, list(headers))
        return body
    return app, body


def test_an_eager_app_is_passed_through_untouched():
    app, body = eager()
    answer = _Answer.run(app, {"REQUEST_METHOD": "POST"})
    assert answer.body is body and not body.closed  # not buffered, not wrapped
    assert (answer.status_code, answer.content_type) == (200, "application/json")
    sent = []
    assert answer({}, lambda status, headers: sent.append((status, headers))) is body
    assert sent == [("200 OK", [("Content-Type", "application/json")])]


def test_an_app_that_starts_its_response_late_is_run_to_the_end_first():
    ran = []

    def lazy(environ, start_response):
        def chunks():
            ran.append("decided")  # where a lazy app would do its work
            start_response("403 Forbidden", [("Content-Type", "text/xml")])
            yield b"<no/>"
        return chunks()

    answer = _Answer.run(lazy, {"REQUEST_METHOD": "GET"})
    assert ran == ["decided"] and answer.status_code == 403 and list(answer.body) == [b"<no/>"]


def test_write_callable_output_is_kept_in_order():
    def writer(environ, start_response):
        write = start_response("200 OK", [])
        write(b"a")
        return [b"b"]

    assert list(_Answer.run(writer, {"REQUEST_METHOD": "GET"}).body) == [b"a", b"b"]


def test_no_body_for_head_204_and_304_and_the_unsent_body_is_closed():
    for method, status in (("HEAD", "200 OK"), ("GET", "204 No Content"), ("GET", "304 Not Modified")):
        app, body = eager(status=status)
        answer = _Answer.run(app, {"REQUEST_METHOD": method})
        assert answer.body == () and body.closed


def test_an_html_failure_is_recognised():
    app, _ = eager(status="500 INTERNAL SERVER ERROR", headers=(("content-type", "text/html; charset=utf-8"),))
    answer = _Answer.run(app, {"REQUEST_METHOD": "POST"})
    assert answer.status_code == 500 and "html" in answer.content_type
