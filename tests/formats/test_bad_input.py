"""Bad input gives a clear error (InvalidBody / PlanInvalid with a message and a path), never a hang."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from governance.errors import InvalidBody, PlanInvalid
from governance.formats import MAX_IMPORT_BYTES, import_plan
from governance.plan.compile import compile_validators

pytestmark = pytest.mark.timeout(30)


def test_truncated_json_names_the_file_and_line(peer: Path, tmp_path: Path) -> None:
    text = (peer / "segment" / "typewriter-telemetry-plan.json").read_bytes()
    path = tmp_path / "plan.json"
    path.write_bytes(text[: len(text) // 2])
    with pytest.raises(InvalidBody) as caught:
        import_plan("segment", path)
    assert "plan.json: malformed JSON" in caught.value.message and "line" in caught.value.message
    assert caught.value.details[0]["path"] == "plan.json" and caught.value.details[0]["line"] > 1


BOMB = b"""version: rudder/v0.1
kind: properties
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_yaml_bomb_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_bytes(BOMB)
    started = time.monotonic()
    with pytest.raises(InvalidBody, match="expands to more than"):
        import_plan("rudderstack", tmp_path)
    assert time.monotonic() - started < 5


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "huge.json", 50 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(InvalidBody) as caught:
        import_plan("segment", path)
    assert time.monotonic() - started < 2
    assert "larger than the import limit" in caught.value.message
    assert caught.value.details[0]["path"] == str(path)


def test_a_directory_adding_up_past_the_limit_is_refused(tmp_path: Path) -> None:
    for i in range(3):
        _sparse(tmp_path / f"part{i}.yaml", MAX_IMPORT_BYTES // 2)
    with pytest.raises(InvalidBody, match="larger than the import limit"):
        import_plan("rudderstack", tmp_path)


def test_too_many_bytes_in_memory_are_refused() -> None:
    with pytest.raises(InvalidBody, match="larger than the import limit"):
        import_plan("segment", b" " * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(InvalidBody, match="larger than the import limit"):
        import_plan("iglu", {"a.json": b" " * MAX_IMPORT_BYTES, "b.json": b" "})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_special_files_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(InvalidBody, match="not a regular file"):
        import_plan("segment", fifo)
    with pytest.raises(InvalidBody, match="not a regular file"):
        import_plan("segment", tmp_path)


@pytest.mark.parametrize("content,message", [
    (b"[" * 100_000, "malformed JSON"),
    (b"[" * 100 + b"]" * 100, "nests deeper than"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"rules": [NaN]}', "malformed JSON"),
    (b'{"n": ' + b"9" * 5000 + b"}", "malformed JSON"),
    (b"rules: [\n  - {a: 1\n", "malformed YAML"),
])
def test_malformed_documents(content: bytes, message: str) -> None:
    with pytest.raises(InvalidBody, match=message) as caught:
        import_plan("segment", content)
    assert caught.value.details and "path" in caught.value.details[0]


def test_unknown_format_missing_path_and_odd_objects(tmp_path: Path) -> None:
    with pytest.raises(InvalidBody, match="unknown import format 'avo'"):
        import_plan("avo", b"{}")
    with pytest.raises(InvalidBody, match="no such file"):
        import_plan("segment", tmp_path / "missing.json")
    with pytest.raises(InvalidBody, match="cannot import a int"):
        import_plan("segment", 42)
    with pytest.raises(PlanInvalid):
        import_plan("segment", {"some": "thing"})


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = b'{"type": "string"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _remote_rule(url: str) -> bytes:
    return orjson.dumps([{"type": "TRACK", "key": "E", "version": 1, "jsonSchema": {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
            "properties": {"type": "object", "properties": {
                "remote": {"$ref": f"{url}/schema.json"},
                "nested": {"type": "object", "properties": {"deep": {"$ref": f"{url}/deep.json#/x"}}},
                "ok": {"type": "string"}}}}}}])


def test_remote_refs_are_never_fetched_on_import(http_server: tuple[str, list[str]]) -> None:
    url, hits = http_server
    result = import_plan("segment", _remote_rule(url), name="remote")
    props = result.plan.events["E"].properties
    assert props["remote"].raw_schema == {"$ref": f"{url}/schema.json"}
    assert props["ok"].type == "string"
    errors = [i for i in result.report if i.severity == "error"]
    assert any(i.path.endswith("remote") and "never fetched" in i.message for i in errors)
    assert any(i.path.endswith("deep") and "never fetched" in i.message for i in errors)
    iglu = orjson.dumps({"self": {"vendor": "v", "name": "n", "format": "jsonschema", "version": "1-0-0"},
                         "type": "object", "properties": {"r": {"allOf": [{"$ref": f"{url}/x.json"}]}}})
    assert any("never fetched" in i.message for i in import_plan("iglu", {"v/n/jsonschema/1-0-0": iglu}).report)
    time.sleep(0.2)
    assert hits == []


def test_compiling_a_plan_with_a_remote_ref_does_not_fetch_it(http_server: tuple[str, list[str]]) -> None:
    url, hits = http_server
    plan = import_plan("segment", _remote_rule(url), name="remote").plan
    with pytest.raises(PlanInvalid, match="never fetched"):
        compile_validators(plan)
    time.sleep(0.2)
    assert hits == []


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zipped_directory_imports(peer: Path) -> None:
    project = peer / "rudderstack" / "update"
    data = _zip({f"update/{p.name}": p.read_bytes() for p in project.glob("*.yaml")}
                | {"../evil.yaml": b"kind: tp", "/abs.yaml": b"kind: tp"})
    assert import_plan("rudderstack", data).plan.body() == import_plan("rudderstack", project).plan.body()


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    data = _zip({"a.json": b"\0" * (MAX_IMPORT_BYTES + 1)})
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(InvalidBody, match="larger than the import limit"):
        import_plan("iglu", data)
    assert time.monotonic() - started < 2


def test_a_corrupt_zip_is_refused() -> None:
    with pytest.raises(InvalidBody, match="not a zip archive"):
        import_plan("iglu", b"PK\x03\x04 truncated")
