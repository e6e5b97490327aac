"""Pure helpers of the console: the heatmap's shape, metric ordering, cookies' round trips."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from u22a8.console import filters, paging, report_shapes, session
from u22a8.console.form_parsing import _multipart


def test_heatmap_shades_by_row_share_and_refuses_odd_shapes() -> None:
    found = report_shapes.heatmap({"labels": ["a", "b"], "matrix": [[9, 1], [0, 0]]})
    assert found is not None
    labels, rows = found
    assert labels == ["a", "b"]
    assert [(c.count, c.level, c.diagonal) for c in rows[0]] == [(9, 9, True), (1, 1, False)]
    assert [c.share for c in rows[1]] == [0.0, 0.0]  # an empty row is not a division by zero
    assert report_shapes.heatmap({"labels": ["a"], "matrix": [[1, 2]]}) is None
    assert report_shapes.heatmap(None) is None


def test_primary_metric_is_shown_once_under_its_name() -> None:
    metrics = {"primary": 0.9, "primary_name": "macro_f1", "macro_f1": 0.9, "accuracy": 0.95, "confusion": {}}
    assert report_shapes.scalar_metrics(metrics) == [("macro_f1", 0.9, True), ("accuracy", 0.95, False)]
    assert report_shapes.scalar_metrics({"primary": 0.5}) == [("primary", 0.5, True)]


def test_durations_read_like_a_person_would_say_them() -> None:
    assert filters.duration(None) == "—"
    assert filters.duration(3.21) == "3.2 s"
    assert filters.duration(75) == "1 min 15 s"
    assert filters.duration(7300) == "2 h 01 min"


def _request(cookies: dict[str, str]) -> Request:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    return Request({"type": "http", "method": "GET", "path": "/console", "headers": [(b"cookie", header)],
                    "scheme": "http", "server": ("testserver", 80), "query_string": b""})


def test_flash_messages_survive_unicode_and_ignore_tampering() -> None:
    response = Response()
    session.set_flash(response, _request({}), "error", "label ‘☃’ is not one of the model's labels")
    value = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    flash = session.read_flash(_request({session.FLASH_COOKIE: value}))
    assert flash == session.Flash("error", "label ‘☃’ is not one of the model's labels")
    assert session.read_flash(_request({session.FLASH_COOKIE: "not-base64!"})) is None


def test_csrf_tokens_differ_per_key_and_compare_safely() -> None:
    a, b = session.csrf_token("u22a8_one"), session.csrf_token("u22a8_two")
    assert a != b and session.tokens_match(a, session.csrf_token("u22a8_one"))
    assert not session.tokens_match("", a) and not session.tokens_match(a, None)


def test_multipart_forms_keep_file_bytes_exactly() -> None:
    data = "text,label\r\nh\u00e9llo,a\n".encode()
    body = (b'--B\r\nContent-Disposition: form-data; name="csrf"\r\n\r\ntok\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\nContent-Type: text/csv\r\n\r\n'
            + data + b"\r\n--B--\r\n")
    form = _multipart(body, "multipart/form-data; boundary=B")
    assert form.get("csrf") == "tok"
    assert form.files["file"].filename == "s.csv" and form.files["file"].data == data


def test_pager_walks_back_through_its_stack_and_marks_a_gap_past_the_cap() -> None:
    first = paging.pager(None, [], "25", label="curt")
    assert (first.first, first.previous, first.next) == (None, None, "label=curt&after=25")
    second = paging.pager("25", [], "50", label="curt")
    assert second.previous == "label=curt" and second.next == "label=curt&after=50&back=25"
    third = paging.pager("50", ["25"], None)
    assert third.previous == "after=25" and third.next is None and third.here == "after=50&back=25"
    # Past BACK_MAX cursors the oldest are forgotten; "*" marks where "Previous page" must stop.
    deep = paging.pager("9999", [str(i) for i in range(1, paging.BACK_MAX + 1)], "10000")
    assert deep.next is not None
    stack = paging.parse_back(deep.next.split("back=")[1].replace("%2C", ",").replace("%2A", "*"), str.isdigit)
    assert stack[0] == "*" and stack[-1] == "9999" and len(stack) == paging.BACK_MAX
    assert paging.pager("5", ["*"], None).previous is None
    assert paging.pager("5", ["*", "3"], None).previous == "after=3&back=%2A"
    assert paging.parse_back("1,x", str.isdigit) == [] and paging.parse_back("", str.isdigit) == []
    assert len(paging.parse_back(",".join(["7"] * 100), str.isdigit)) == paging.BACK_MAX


def test_sizes_read_like_a_file_manager_says_them() -> None:
    assert [filters.size(n) for n in (900, 4096, 1536, 50 * 1024 * 1024)] == ["900 bytes", "4 KB", "1.5 KB", "50 MB"]
