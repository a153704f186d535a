"""Read what an importer is given, safely: a file, a directory, bytes, or files already in memory.

Limits are checked before anything is read whole: a file over ``MAX_IMPORT_BYTES`` (or a
directory whose files add up to more) is refused from its size, and every read is bounded, so a
special file such as ``/dev/zero`` cannot exhaust memory. Only regular files are read (a FIFO
would block); symbolic links inside a directory are skipped. JSON is parsed with ``orjson`` (the
standard library gives the line and column of an error); YAML goes through the plan loader's
``parse_document``, which refuses alias bombs. In both, a key written twice in one object is
refused with its lines (parsers keep the last one silently). Documents nesting deeper than ``MAX_DEPTH`` are
refused so every later walk over them is bounded.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from governance.errors import InvalidBody, PlanInvalid
from governance.plan.loader import check_json_duplicates, parse_document

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_FILES = 10_000
MAX_DEPTH = 64
INPUT = "<input>"


@dataclass
class Source:
    """Files by relative name (``/``-separated), or one document the caller already parsed."""

    label: str
    files: dict[str, bytes] = field(default_factory=dict)
    parsed: Any = None
    has_parsed: bool = False

    def documents(self) -> list[tuple[str, Any]]:
        if self.has_parsed:
            return [(self.label, self.parsed)]
        return [(name, parse(name, content)) for name, content in sorted(self.files.items())]


def _refuse(path: str, message: str) -> InvalidBody:
    return InvalidBody(f"{path}: {message}", details=[{"path": path, "message": message}])


def _too_large(path: str, size: int | None = None) -> InvalidBody:
    got = f" ({size:,} bytes)" if size is not None else ""
    return _refuse(path, f"input is larger than the import limit of {MAX_IMPORT_BYTES:,} bytes{got}")


def _read_bounded(path: Path, label: str, budget: int) -> bytes:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(label, "not a regular file")
    if info.st_size > budget:
        raise _too_large(label, info.st_size)
    with path.open("rb") as handle:
        data = handle.read(budget + 1)
    if len(data) > budget:
        raise _too_large(label)
    return data


def _read_directory(root: Path, accept: Callable[[str], bool] | None) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            full = Path(dirpath) / filename
            rel = full.relative_to(root).as_posix()
            if full.is_symlink() or (accept is not None and not accept(rel)):
                continue
            if len(files) >= MAX_IMPORT_FILES:
                raise _refuse(str(root), f"more than {MAX_IMPORT_FILES} files to import")
            data = _read_bounded(full, rel, MAX_IMPORT_BYTES - total)
            total += len(data)
            files[rel] = data
    return files


def read_source(path_or_data: Any, *, accept: Callable[[str], bool] | None = None) -> Source:
    """Normalise any accepted input into a ``Source`` (limits checked, nothing parsed yet)."""
    if isinstance(path_or_data, (bytes, bytearray, memoryview)):
        data = bytes(path_or_data)
        if len(data) > MAX_IMPORT_BYTES:
            raise _too_large(INPUT, len(data))
        if data.startswith(b"PK\x03\x04"):
            return Source(INPUT, files=read_zip(data, accept))
        return Source(INPUT, files={INPUT: data})
    if isinstance(path_or_data, Mapping) and path_or_data and all(
        isinstance(v, (bytes, bytearray)) for v in path_or_data.values()
    ):
        total = sum(len(v) for v in path_or_data.values())
        if total > MAX_IMPORT_BYTES:
            raise _too_large(INPUT, total)
        files = {str(k): bytes(v) for k, v in path_or_data.items()}
        return Source(INPUT, files={k: v for k, v in files.items() if accept is None or accept(k)})
    if isinstance(path_or_data, (str, os.PathLike)):
        path = Path(path_or_data)
        label = str(path)
        if not path.exists():
            raise _refuse(label, "no such file or directory")
        if path.is_dir():
            return Source(label, files=_read_directory(path, accept))
        return Source(label, files={path.name: _read_bounded(path, label, MAX_IMPORT_BYTES)})
    if isinstance(path_or_data, (Mapping, list)):
        check_depth(path_or_data, INPUT)
        return Source(INPUT, parsed=path_or_data, has_parsed=True)
    raise _refuse(INPUT, f"cannot import a {type(path_or_data).__name__}; give a path, bytes or a document")


def read_zip(data: bytes, accept: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """The files of a zip archive (a directory sent over HTTP), with the limits of a directory.

    Sizes are checked from the archive's directory first, then every read is bounded too (the
    directory can lie), so a zip bomb is refused without being inflated.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise _refuse(INPUT, f"not a zip archive: {exc}") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_IMPORT_FILES:
            raise _refuse(INPUT, f"more than {MAX_IMPORT_FILES} files to import")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_IMPORT_BYTES:
            raise _too_large(INPUT, declared)
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = [p for p in name.split("/") if p]
            if name.startswith("/") or ".." in parts or any(p.startswith(".") for p in parts):
                continue
            name = "/".join(parts)
            if accept is not None and not accept(name):
                continue
            try:
                with archive.open(info) as handle:
                    content = handle.read(MAX_IMPORT_BYTES - total + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise _refuse(name, f"cannot read from the archive: {exc}") from None
            total += len(content)
            if total > MAX_IMPORT_BYTES:
                raise _too_large(INPUT)
            files[name] = content
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):  # one folder zipped: read it as the root
        files = {name.split("/", 1)[1]: content for name, content in files.items()}
    return files


def check_depth(value: Any, name: str) -> None:
    """Refuse documents nesting deeper than ``MAX_DEPTH`` (iteratively: no recursion here)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _refuse(name, f"document nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse(name: str, content: bytes) -> Any:
    """Parse one file: JSON when it looks like JSON, else YAML (which refuses alias bombs)."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    head = content.lstrip()[:1]
    if head in (b"{", b"[") or name.endswith(".json"):
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            data = _parse_json_slowly(name, content)
        try:
            check_json_duplicates(content, file=name)
        except PlanInvalid as exc:
            raise InvalidBody(exc.message, details=exc.details) from None
    else:
        try:
            data, _ = parse_document(content, file=name)
        except PlanInvalid as exc:
            raise InvalidBody(exc.message, details=exc.details) from None
    check_depth(data, name)
    return data


def _parse_json_slowly(name: str, content: bytes) -> Any:
    """The standard library: integers beyond 64 bits, and errors with a line and a column."""
    try:
        text = content.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise _refuse(name, f"not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        message = f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InvalidBody(f"{name}: {message}",
                          details=[{"path": name, "message": message, "line": exc.lineno}]) from None
    except (ValueError, RecursionError) as exc:
        raise _refuse(name, f"malformed JSON: {exc}") from None
