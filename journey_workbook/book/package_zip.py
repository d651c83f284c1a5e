"""The zip container of a workbook, opened with limits and never extracted to disk: what
cannot be a workbook (missing, a folder, OLE2 encrypted or .xls, not a zip, truncated, too many
parts, zip bombs, bad part names) is refused with an UnreadableWorkbook before anything is
decompressed. Part names with "\\" are read as "/" (see package.py).
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

from journey_workbook.errors import UnreadableWorkbook

MAX_PARTS = 10_000
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # bytes, all parts together
MAX_RATIO = 200  # uncompressed/compressed; real sheets stay under ~20, deflate bombs near 1000
RATIO_MIN_SIZE = 1024 * 1024  # the ratio is only judged for parts larger than this
_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def unreadable(path: Path, code: str, what: str, hint: str, part: str | None = None):
    return UnreadableWorkbook(code, f"{path.name}: {what}", hint, part=part)


RESAVE = "Open it in Excel and save it as 'Excel Workbook (*.xlsx)', then use that copy."


def check_container(path: Path) -> None:
    """Missing, empty, OLE2 (encrypted or .xls), not a zip, truncated, too many parts."""
    if not path.exists():
        raise UnreadableWorkbook("not-found", f"{path} does not exist.",
                                 "Check the file name and the folder.")
    if not path.is_file():
        raise unreadable(path, "not-a-workbook", "this is a folder, not a workbook file.",
                          "Give the path of an .xlsx file.")
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == _CFB_MAGIC:
            names = _cfb_stream_names(fh)
            if "EncryptionInfo" in names:
                raise unreadable(path, "encrypted", "the workbook is password-protected "
                                  "(encrypted), so it cannot be read.",
                                  "Open it in Excel, remove the password (File > Info > Protect "
                                  "Workbook > Encrypt with Password, clear the box), save, and "
                                  "try again.")
            if names & {"Workbook", "Book"}:
                raise unreadable(path, "legacy-xls", "this is an Excel 97-2003 workbook (.xls), "
                                  "which this product does not read.", RESAVE)
            raise unreadable(path, "not-a-workbook", "this is an Office file of another kind "
                              "(OLE2), not an Excel workbook.", "Give the path of an .xlsx file.")
        if not head.startswith(b"PK"):
            text = head.startswith(b"\xef\xbb\xbf") or all(32 <= b < 127 or b in b"\t\r\n"
                                                          for b in head)
            looks = ("empty" if not head else "a text, CSV or HTML file" if text
                     else "not a zip package")
            raise unreadable(path, "not-a-workbook", f"this is not an Excel workbook (it is "
                              f"{looks}).", "Open it in Excel and save it as 'Excel Workbook "
                              "(*.xlsx)', or give the path of the real .xlsx file.")
        entries = _central_directory_entries(fh)
    if entries is None:
        raise unreadable(path, "truncated", "the file is incomplete (the zip package has no "
                          "end-of-central-directory record, so it was cut short while being "
                          "copied or downloaded).", "Copy or download it again from the source.")
    if entries > MAX_PARTS:
        raise unreadable(path, "too-many-parts", f"the package holds {entries:,} parts; "
                          f"workbooks this product reads have at most {MAX_PARTS:,}.",
                          "Check that this is the right file.")


def _central_directory_entries(fh) -> int | None:
    """The entry count from the end-of-central-directory record (zip64 aware), or None."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(max(0, size - 65557))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if entries == 0xFFFF and locator >= 0:
        fh.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
        record = fh.read(56)
        if record[:4] == b"PK\x06\x06":
            entries = struct.unpack_from("<Q", record, 32)[0]
    return entries


def _cfb_stream_names(fh, max_sectors: int = 100_000) -> set[str]:
    """Names in an OLE2/CFB directory (MS-CFB 2.2, 2.6): header, DIFAT, FAT, directory chain."""
    fh.seek(0)
    header = fh.read(512)
    names: set[str] = set()
    try:
        size = 1 << struct.unpack_from("<H", header, 30)[0]
        per = size // 4
        n_fat, first_dir = struct.unpack_from("<II", header, 44)
        difat_sector = struct.unpack_from("<I", header, 68)[0]
        fat = list(struct.unpack_from("<109I", header, 76))

        def sector(n: int) -> bytes:
            fh.seek((n + 1) * size)
            data = fh.read(size)
            if len(data) < size:
                raise EOFError
            return data

        while difat_sector < 0xFFFFFFFA and len(fat) < max_sectors:
            values = struct.unpack(f"<{per}I", sector(difat_sector))
            fat.extend(values[:-1])
            difat_sector = values[-1]
        fat = fat[:n_fat]
        current, seen = first_dir, set()
        while current < 0xFFFFFFFA and current not in seen and len(seen) < max_sectors:
            seen.add(current)
            data = sector(current)
            for off in range(0, size, 128):
                length = struct.unpack_from("<H", data, off + 64)[0]
                if 2 <= length <= 64:
                    names.add(data[off:off + length - 2].decode("utf-16-le", "replace"))
            current = struct.unpack_from("<I", sector(fat[current // per]), (current % per) * 4)[0]
    except (struct.error, IndexError, EOFError):
        pass  # a damaged directory: report what was found
    return names


class ZipPackage:
    """The zip, with part names normalised ("\\" read as "/") and found case-insensitively."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                 backslashes: bool):
        self.path, self.zf, self.infos, self.backslashes = path, zf, infos, backslashes
        self.names = tuple(infos)
        self._lower = {n.lower(): n for n in infos}

    def find(self, name: str | None) -> str | None:
        return self._lower.get(name.lower()) if name else None

    @contextmanager
    def open(self, name: str):
        try:
            with self.zf.open(self.infos[name]) as fh:
                yield fh
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError,
                ValueError) as exc:
            raise unreadable(self.path, "corrupt-zip", f"the part {name} cannot be decompressed "
                              f"({exc}).", "Copy the file again from the source; if Excel opens "
                              "it, save it again from Excel.", part=name) from exc

    def read(self, name: str, limit: int | None = None) -> bytes:
        with self.open(name) as fh:
            return fh.read(limit) if limit else fh.read()

    def content_type(self, name: str, types: dict[str, str]) -> str:
        return types.get("/" + name.lower()) or types.get(name.rpartition(".")[2].lower(), "")


@contextmanager
def open_zip(path: Path):
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise unreadable(path, "corrupt-zip", f"the zip package is damaged ({exc}).",
                          "Copy the file again from the source; if Excel opens it, save it "
                          "again from Excel.") from exc
    with zf:
        infos: dict[str, zipfile.ZipInfo] = {}
        seen: set[str] = set()
        total = 0
        backslashes = False
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            backslashes |= name != info.filename
            if name.endswith("/") and info.file_size == 0:
                continue  # a folder entry
            if (not name or name.startswith("/") or "\x00" in name
                    or any(seg in ("", ".", "..") for seg in name.split("/"))):
                raise unreadable(path, "bad-part-name", f"the package has a part named "
                                  f"{info.filename!r}, which is not a valid part name.",
                                  "The file was written by a faulty tool: open it in Excel and "
                                  "save it again.", part=info.filename)
            if name.lower() in seen:
                raise unreadable(path, "bad-part-name", f"the package has two parts named "
                                  f"{name!r} (names differ only in case or slash direction).",
                                  "The file was written by a faulty tool: open it in Excel and "
                                  "save it again.", part=name)
            seen.add(name.lower())
            if info.flag_bits & 0x1:
                raise unreadable(path, "encrypted", f"the part {name} is encrypted inside the "
                                  "zip, which Excel never does.", "Give the original workbook.",
                                  part=name)
            total += info.file_size
            if total > MAX_UNCOMPRESSED:
                raise unreadable(path, "too-large", f"the package would expand to more than "
                                  f"{MAX_UNCOMPRESSED:,} bytes (the limit). Nothing was "
                                  "decompressed.", "Check that this is the right file; remove "
                                  "unused sheets and pictures in Excel.", part=name)
            if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1):
                raise unreadable(path, "zip-bomb", f"the part {name} would expand "
                                  f"{info.file_size // max(info.compress_size, 1):,} times "
                                  f"(to {info.file_size:,} bytes), which no workbook does (a "
                                  "'zip bomb'). Nothing was decompressed.",
                                  "Discard the file unless its source is trusted; then open it "
                                  "in Excel and save it again.", part=name)
            infos[name] = info
        yield ZipPackage(path, zf, infos, backslashes)


