"""Text encodings of CSV extracts: what a file is written in, and a UTF-8 copy for DuckDB.

DuckDB reads UTF-8 only; ERP exports arrive as UTF-8 (with or without BOM), UTF-16 with a BOM,
or a Windows code page. extracts.stage_extract asks here only when DuckDB refused a file.
"""

from __future__ import annotations

import codecs
import re
import uuid
from pathlib import Path

READ_BLOCK = 1 << 20
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes Windows-1252 leaves undefined: a file holding one is read as Latin-1 instead.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def detect_encoding(path: Path) -> str:
    """'utf-8' (BOM or not), 'utf-16' (with BOM), else 'cp1252' or, failing that, 'latin-1'.

    Pure ASCII blocks skip the decoder, so checking a large export costs about one read.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    cp1252_ok = True
    valid_utf8 = True
    with path.open("rb") as handle:
        head = handle.read(2)
        if head in UTF16_BOMS:
            return "utf-16"
        handle.seek(0)
        for block in iter(lambda: handle.read(READ_BLOCK), b""):
            if valid_utf8 and not (block.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid_utf8 = False
            if cp1252_ok and _CP1252_UNDEFINED.search(block):
                cp1252_ok = False
            if not valid_utf8 and not cp1252_ok:
                break
    if valid_utf8:
        try:
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return "cp1252" if cp1252_ok else "latin-1"


def transcode_to_utf8(path: Path, encoding: str, work_dir: Path) -> Path:
    """A UTF-8 copy of ``path`` in ``work_dir`` (line ends and content otherwise unchanged)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"{uuid.uuid4().hex}{path.suffix.lower()}"
    with (
        path.open("r", encoding=encoding, newline="") as source,
        target.open("w", encoding="utf-8", newline="") as sink,
    ):
        for chunk in iter(lambda: source.read(READ_BLOCK), ""):
            sink.write(chunk)
    return target
