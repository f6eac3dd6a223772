"""A streaming XLSX writer for large, plain tables: constant memory, two cores.

openpyxl spends ~25 µs a cell, which made a province's year of answers (3.2 M rows, 48 M
cells) take half an hour. This writer emits SpreadsheetML directly:

- every cell's XML is memoised by its value (a school's name, an outcome, a score repeat
  thousands of times), and strings go into the shared-string table, so a typical cell costs
  one dictionary look-up and the sheet XML stays small;
- rows that share leading cells come as a :class:`Group`, whose head is rendered once;
- cells carry no ``r`` reference (optional in ECMA-376 §18.3.1.4; Excel, LibreOffice and
  openpyxl place them in order), so an empty cell is written as ``<c/>``;
- deflating happens on a second thread (zlib releases the GIL) while this one builds XML.

Values are ``None``, ``str``, ``int``, ``float``, ``datetime.date`` (a date cell, shown
2026-11-20, that sorts and filters as a date) or :class:`Percent` (a fraction shown as 85.3%);
booleans are written as 1 / 0, so callers spell yes/no out as text. Sheets longer than Excel's 1 048 576 rows continue on
「标题(2)」, 「标题(3)」…
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO

# Excel's row limit is 1 048 576; one row is the header.
MAX_SHEET_ROWS = 1_048_575
# Distinct strings shared before new ones are written inline, and memoised cells in all:
# bounds memory when a column holds free text that never repeats.
MAX_SHARED = 200_000
MAX_MEMO = 400_000
# Strings longer than this are free text (notes, descriptions): inline, never memoised.
LONG_TEXT = 120

_ESCAPES: dict[int, str | None] = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
# Control characters XML 1.0 forbids; dropped from the text.
_ESCAPES.update({c: None for c in range(32) if c not in (9, 10, 13)})
_ESCAPES.update({0xFFFE: None, 0xFFFF: None})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 date system (as LibreOffice)
STYLE_HEADER, STYLE_DATE, STYLE_PERCENT = 1, 2, 3  # cellXfs in _STYLES


@dataclass(frozen=True)
class Percent:
    """A share written as a percentage cell: ``Percent(0.853)`` shows as 85.3%.

    A class of its own (not a float) so the memo never confuses it with the number 0.853.
    """

    fraction: float


@dataclass
class Group:
    """Rows that begin with the same cells: ``head + tail`` for each tail.

    An inspection's columns on each of its 80 items, for example. With ``repeating`` the
    tails themselves recur (the same answer to the same item in many inspections), so each
    distinct tail's XML is built once.
    """

    head: list
    tails: Iterable[tuple]
    repeating: bool = False


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: Iterable[list | Group]
    widths: list[int] | None = None


def _crc32_combine_zeros(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A + B from those of A and B (B ``length2`` bytes long), with zlib.crc32 only.

    CRC-32 is affine in its input: the CRC of A followed by len(B) zero bytes, with the CRC of
    B's length of zeros taken out, leaves what B adds. Linear in ``length2``; the C version
    below is logarithmic.
    """
    zeros = bytes(length2)
    return zlib.crc32(zeros, crc1) ^ zlib.crc32(zeros) ^ crc2


def _c_crc32_combine():
    """zlib's own crc32_combine (Python's zlib module does not expose it), or None."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("z") or "libz.so.1")
        combine = lib.crc32_combine64
    except (OSError, AttributeError):
        return None
    combine.argtypes = [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int64]
    combine.restype = ctypes.c_ulong
    return combine


crc32_combine = _c_crc32_combine() or _crc32_combine_zeros


# Carrying a CRC-32 over n bytes is multiplying it by x^(8n) modulo the CRC's polynomial
# (zlib's crc32_combine_gen / crc32_combine_op): the multiplier of several distances is
# the sum of theirs, so one multiplication carries a value over each of them at once.
def _multmodp(a: int, b: int) -> int:
    """a × b modulo the CRC-32 polynomial (zlib's multmodp, bit-reflected)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ 0xEDB88320 if b & 1 else b >> 1


def _crc32_op_zeros(length: int) -> int:
    return _crc32_combine_zeros(1 << 31, 0, length)  # x^(8n) · 1


def _crc32_by_op_zeros(crc1: int, crc2: int, op: int) -> int:
    return _multmodp(op, crc1) ^ crc2


def _c_crc32_ops():
    """zlib's crc32_combine_gen64 and crc32_combine_op (zlib ≥ 1.2.12), or None."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("z") or "libz.so.1")
        gen, by_op = lib.crc32_combine_gen64, lib.crc32_combine_op
    except (OSError, AttributeError):
        return None
    gen.argtypes, gen.restype = [ctypes.c_int64], ctypes.c_ulong
    by_op.argtypes = [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    by_op.restype = ctypes.c_ulong
    return gen, by_op


# crc32_op(n): the multiplier that carries a CRC over n bytes; crc32_by_op(crc1, crc2, op):
# crc1 carried by ``op``, plus crc2 (with op = crc32_op(len2), crc32_combine).
crc32_op, crc32_by_op = _c_crc32_ops() or (_crc32_op_zeros, _crc32_by_op_zeros)

# An empty final deflate block (BFINAL, fixed Huffman, end of block): ends a part's stream
# made of sync-flushed segments.
_FINAL_BLOCK = b"\x03\x00"
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00: parts carry no time
_ZIP64_LIMIT = 0xFFFFFFFF


@dataclass(frozen=True)
class Slot:
    """Cells of a kept row that are written when the workbook is (an open item's 是否逾期
    and 逾期天数 change with the day), named by two numbers the caller's ``fill`` reads.

    In a :class:`Fragment` a slot is a stored deflate block of ``SLOT_SIZE`` bytes left
    out of ``data``: the export writes the cells there (padded with spaces, which element
    content ignores), and the rows around it stay compressed as they were kept.
    """

    first: int
    second: int


SLOT_SIZE = 44  # '<c t="s"><v>9999999</v></c>' + '<c><v>99999</v></c>'
# What the compressor is given in a slot's place, so the references of the rows after it
# reach back over the right distance: control characters, which escape() removes from every
# text, so no match the compressor finds includes any of it (what the export writes there
# instead is never referred to).
_PLACEHOLDER = b"\x01" * SLOT_SIZE
_SLOT_MARK = re.compile(rb"\x01(\d+):(\d+)\x02")
# The slots of a fragment, by the cells they hold: first, second, the CRC multiplier of
# their distances to the fragment's end (summed), how many; then their offsets in data.
_SLOTS = struct.Struct("<IIII")
_EMPTY_STORED = b"\x00\x00\xff\xff"  # LEN, NLEN of the empty stored block a sync flush ends on


@dataclass(slots=True, eq=False)  # not frozen: 120 000 are made per export, and a frozen
class Fragment:  # dataclass's __init__ costs five times as much (never changed once made)
    """Rows whose XML was rendered and deflated before: written as they are, never rebuilt.

    ``data`` is raw deflate ending on a sync flush (byte-aligned, not final), so fragments
    concatenate into one part's stream (as pigz joins its blocks); ``crc`` and ``size`` are
    the CRC-32 and length of the XML it holds, ``rows`` how many ``<row>`` it holds.
    ``slots`` (packed) says where :class:`Slot` cells go; ``crc`` is then that of the XML
    with placeholders there, and the fragment is written once :meth:`filled`. A fragment
    :func:`joined` from others keeps them as ``parts``, for a sheet that fills up in it.
    """

    rows: int
    data: bytes
    crc: int
    size: int
    slots: bytes = b""
    parts: tuple[Fragment, ...] = field(default=(), repr=False, compare=False)

    def filled(self, fill: Callable[[int, int], tuple[bytes, int]]) -> Fragment:
        """The fragment with its slots written: ``fill(first, second)`` gives a slot's
        stored block (from LEN on) and the CRC-32 difference its cells make (see
        :class:`SlotCells`). CRC-32 is linear: each slot's difference, carried over the
        bytes after it, is added to the kept CRC; slots holding the same cells (an
        inspection's items mostly share a deadline) are carried by one multiplication."""
        if not self.slots:
            return self
        data, slots, at, crc = self.data, self.slots, 0, self.crc
        groups: list[tuple[bytes, tuple[int, ...]]] = []
        while at < len(slots):
            first, second, op, count = _SLOTS.unpack_from(slots, at)
            offsets = struct.unpack_from(f"<{count}I", slots, at + _SLOTS.size)
            at += _SLOTS.size + 4 * count
            block, difference = fill(first, second)
            crc ^= crc32_by_op(difference, 0, op)
            groups.append((block, offsets))
        pieces: list[bytes] = []
        start = 0
        for offset, block in sorted((o, b) for b, offsets in groups for o in offsets):
            pieces += (data[start:offset], block)
            start = offset
        pieces.append(data[start:])
        return Fragment(self.rows, b"".join(pieces), crc, self.size)

    def xml(self) -> bytes:
        assert not self.slots, "a fragment's slots are filled before it is read"
        return zlib.decompressobj(-15).decompress(self.data)


def joined(fragments: list[Fragment]) -> Fragment:
    """Fragments (their slots filled) as one, written with one hand-over instead of many."""
    data, rows, crc, size = [], 0, 0, 0
    for fragment in fragments:
        assert not fragment.slots, "a fragment's slots are filled before it is joined"
        if fragment.size:
            data.append(fragment.data)
            rows += fragment.rows
            crc = crc32_combine(crc, fragment.crc, fragment.size)
            size += fragment.size
    return Fragment(rows, b"".join(data), crc, size, parts=tuple(fragments))


class SlotCells:
    """A workbook's ``fill`` for :meth:`Fragment.filled`: ``cells(first, second)`` is the
    XML of a slot's cells on the day of the export, built once per distinct slot."""

    def __init__(self, cells: Callable[[int, int], str]):
        self.cells = cells
        self.made: dict[tuple[int, int], tuple[bytes, int]] = {}
        self.placeholder = zlib.crc32(_PLACEHOLDER)

    def __call__(self, first: int, second: int) -> tuple[bytes, int]:
        made = self.made.get((first, second))
        if made is None:
            xml = self.cells(first, second).encode()
            if len(xml) > SLOT_SIZE:
                raise ValueError(f"slot cells longer than {SLOT_SIZE} bytes: {xml!r}")
            xml = xml.ljust(SLOT_SIZE)
            block = struct.pack("<HH", SLOT_SIZE, SLOT_SIZE ^ 0xFFFF) + xml
            made = self.made[(first, second)] = (block, zlib.crc32(xml) ^ self.placeholder)
        return made


def deflate(xml: bytes, rows: int, level: int = 6) -> Fragment:
    """``rows`` rows of sheet XML as a :class:`Fragment` (its :class:`Slot` marks left as
    slots)."""
    if not xml:
        return Fragment(rows, b"", 0, 0)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    if b"\x01" not in xml:
        data = compressor.compress(xml) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return Fragment(rows, data, zlib.crc32(xml), len(xml))
    pieces = _SLOT_MARK.split(xml)  # text, first, second, text, …, text
    out: list[bytes] = []
    spots: list[tuple[int, int, int, int]] = []  # offset, XML before, first, second
    length = crc = size = 0
    for n in range(0, len(pieces), 3):
        text = pieces[n]
        out.append(compressor.compress(text))
        crc, size = zlib.crc32(text, crc), size + len(text)
        if n + 1 == len(pieces):
            break
        # End the stream so far on a byte boundary: the sync flush's empty stored block,
        # its LEN and NLEN cut off, is the slot's block; what the compressor makes of the
        # placeholder is dropped (the export writes the cells in its place).
        flushed = compressor.flush(zlib.Z_SYNC_FLUSH)
        assert flushed.endswith(_EMPTY_STORED)
        out.append(flushed[:-4])
        length += len(out[-2]) + len(out[-1])
        spots.append((length, size, int(pieces[n + 1]), int(pieces[n + 2])))
        compressor.compress(_PLACEHOLDER)
        compressor.flush(zlib.Z_SYNC_FLUSH)
        crc, size = zlib.crc32(_PLACEHOLDER, crc), size + SLOT_SIZE
    out.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    groups: dict[tuple[int, int], tuple[list[int], int]] = {}
    for offset, before, first, second in spots:
        offsets, op = groups.get((first, second), ([], 0))
        offsets.append(offset)
        groups[(first, second)] = (offsets, op ^ crc32_op(size - before - SLOT_SIZE))
    slots = b"".join(
        _SLOTS.pack(first, second, op, len(offsets)) + struct.pack(f"<{len(offsets)}I", *offsets)
        for (first, second), (offsets, op) in groups.items()
    )
    return Fragment(rows, b"".join(out), crc, size, slots)


class _Zip:
    """A ZIP writer whose deflated parts can take pre-deflated :class:`Fragment` s.

    zipfile compresses all it is given; a part made of stored fragments must instead be
    copied as it is, its CRC combined from theirs. Parts follow zipfile's own layout for a
    streamed member (a ZIP64 extra in the local header, sizes patched in place when the
    target can seek, else a data descriptor), so readers see the same kind of file as before.
    """

    def __init__(self, target: str | IO[bytes]):
        self.own = isinstance(target, str)
        # closed by close() or abort()
        self.fp: IO[bytes] = open(target, "wb") if isinstance(target, str) else target  # noqa: SIM115
        try:
            self.seekable = self.fp.seekable() and self.fp.tell() == 0
        except (AttributeError, OSError):
            self.seekable = False
        self.at = 0
        self.entries: list[tuple[bytes, int, int, int, int, int]] = []
        self.part: tuple[bytes, int, int] | None = None  # name, header offset, flags
        self.compressor: zlib._Compress | None = None
        self.crc = self.size = self.compressed = 0

    def _emit(self, data: bytes) -> None:
        if data:
            self.fp.write(data)
            self.at += len(data)
            if self.part is not None:
                self.compressed += len(data)

    def _local_header(self, name: bytes, flags: int, crc: int, size: int, compressed: int):
        extra = struct.pack("<HHQQ", 1, 16, size, compressed)
        return struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 45, flags, zipfile.ZIP_DEFLATED, 0, _DOS_DATE, crc,
            _ZIP64_LIMIT, _ZIP64_LIMIT, len(name), len(extra),
        ) + name + extra  # fmt: skip

    def open(self, name: str) -> None:
        assert self.part is None, "a part is open"
        encoded = name.encode()
        flags = (0 if self.seekable else 0x08) | (0 if encoded.isascii() else 0x800)
        header = self._local_header(encoded, flags, 0, 0, 0)
        self.fp.write(header)
        self.part = (encoded, self.at, flags)
        self.at += len(header)
        self.crc = self.size = self.compressed = 0
        self.compressor = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self.compressor is None:
            self.compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._emit(self.compressor.compress(data))

    def raw(self, fragment: Fragment) -> None:
        """Append a fragment's deflate stream as it is."""
        if not fragment.size:
            return
        if self.compressor is not None:
            # The compressor's later back-references would point into the fragment: end its
            # stream on a byte boundary and start a new one after.
            self._emit(self.compressor.flush(zlib.Z_SYNC_FLUSH))
            self.compressor = None
        self.crc = crc32_combine(self.crc, fragment.crc, fragment.size)
        self.size += fragment.size
        self._emit(fragment.data)

    def close_part(self) -> None:
        assert self.part is not None, "close before open"
        if self.compressor is not None:
            self._emit(self.compressor.flush(zlib.Z_FINISH))
            self.compressor = None
        else:
            self._emit(_FINAL_BLOCK)
        name, offset, flags = self.part
        self.part = None
        if self.seekable:
            self.fp.seek(offset)
            self.fp.write(self._local_header(name, flags, self.crc, self.size, self.compressed))
            self.fp.seek(self.at)
        else:
            self._emit(struct.pack("<IIQQ", 0x08074B50, self.crc, self.compressed, self.size))
        self.entries.append((name, flags, self.crc, self.compressed, self.size, offset))

    def writestr(self, name: str, text: str) -> None:
        self.open(name)
        self.write(text.encode())
        self.close_part()

    def close(self) -> None:
        start = self.at
        for name, flags, crc, compressed, size, offset in self.entries:
            extra, fields = b"", [size, compressed, offset]
            wide = [v for v in fields if v >= _ZIP64_LIMIT]
            if wide:
                extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide)
            size, compressed, offset = (min(v, _ZIP64_LIMIT) for v in fields)
            self._emit(
                struct.pack(
                    "<IBBBBHHHHIIIHHHHHII",
                    0x02014B50,
                    45,
                    3,
                    45,
                    0,
                    flags,
                    zipfile.ZIP_DEFLATED,
                    0,
                    _DOS_DATE,
                    crc,
                    compressed,
                    size,
                    len(name),
                    len(extra),
                    0,
                    0,
                    0,
                    0o600 << 16,
                    offset,
                )
                + name
                + extra  # fmt: skip
            )
        count, length = len(self.entries), self.at - start
        if count >= 0xFFFF or start >= _ZIP64_LIMIT or length >= _ZIP64_LIMIT:
            end64 = self.at
            self._emit(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                                   length, start))  # fmt: skip
            self._emit(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._emit(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(count, 0xFFFF),
                min(count, 0xFFFF),
                min(length, _ZIP64_LIMIT),
                min(start, _ZIP64_LIMIT),
                0,
            )  # fmt: skip
        )
        self.fp.flush()
        if self.own:
            self.fp.close()

    def abort(self) -> None:
        if self.own:
            self.fp.close()


class _Deflater:
    """Owns the zip file on a background thread; parts and chunks arrive through a queue."""

    def __init__(self, target: str | IO[bytes]):
        self.zip = _Zip(target)
        self.jobs: queue.Queue = queue.Queue(maxsize=8)  # ≤ 8 chunks of ~1 MB in flight
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            op, arg = self.jobs.get()
            if op == "abort":
                self.zip.abort()
                return
            if op == "end":
                try:
                    if self.error is None:
                        self.zip.close()
                    else:
                        self.zip.abort()
                except BaseException as exc:  # noqa: BLE001 - handed to the producer thread
                    self.error = self.error or exc
                return
            if self.error is not None:
                continue  # drain after a failure; the producer raises it
            try:
                if op == "open":
                    self.zip.open(arg)
                elif op == "write":
                    self.zip.write(arg)
                elif op == "raw":
                    for fragment in arg:
                        self.zip.raw(fragment)
                elif op == "close":
                    self.zip.close_part()
                elif op == "file":
                    self.zip.writestr(*arg)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer thread
                self.error = exc

    def put(self, op: str, arg=None) -> None:
        if self.error is not None:
            raise self.error
        self.jobs.put((op, arg))

    def abort(self) -> None:
        """Stop after the producer failed: the file is left incomplete, the error is its own."""
        self.jobs.put(("abort", None))
        self.thread.join()

    def finish(self) -> None:
        self.jobs.put(("end", None))
        self.thread.join()
        if self.error is not None:
            raise self.error


class Cells:
    """Cell and row XML, memoised by value.

    With a shared-string table (``shared``) short strings go into it; without one every
    string is written inline, so the XML can be kept (:class:`Fragment`) and copied into
    another workbook, except the strings in ``refs``: shared strings by a number that is the
    same in every workbook (the caller keeps them, and gives them to :func:`write`).
    """

    def __init__(self, shared: list[str] | None = None, refs: dict[str, int] | None = None):
        self.shared = shared
        self.refs = refs
        self.memo: dict = {None: "<c/>", "": "<c/>"}
        self.tail_memo: dict[tuple, str] = {}

    def _cell(self, value) -> str:
        """The XML of a value not memoised yet (memoising it when it may repeat)."""
        if isinstance(value, str):
            shared = self.shared
            ref = None if self.refs is None else self.refs.get(value)
            if ref is not None:
                xml = f'<c t="s"><v>{ref}</v></c>'
            elif shared is None or len(value) > LONG_TEXT or len(shared) >= MAX_SHARED:
                xml = f'<c t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
                if shared is not None or len(value) > LONG_TEXT:
                    return xml  # free text: not memoised
            else:
                xml = f'<c t="s"><v>{len(shared)}</v></c>'
                shared.append(value)
        elif isinstance(value, float):
            # A number cell has no int/float distinction, and 3 and 3.0 share a memo entry.
            text = int(value) if value.is_integer() else repr(value)
            xml = f"<c><v>{text}</v></c>" if math.isfinite(value) else "<c/>"
        elif isinstance(value, int):
            xml = f"<c><v>{int(value)}</v></c>"
        elif isinstance(value, date):
            xml = f'<c s="{STYLE_DATE}"><v>{value.toordinal() - _EPOCH}</v></c>'
        elif isinstance(value, Slot):
            xml = f"\x01{value.first}:{value.second}\x02"  # a slot's mark (see deflate)
        elif isinstance(value, Percent):
            fraction = value.fraction
            xml = (
                f'<c s="{STYLE_PERCENT}"><v>{fraction!r}</v></c>'
                if math.isfinite(fraction)
                else "<c/>"
            )
        else:
            return self._cell(str(value))
        if len(self.memo) < MAX_MEMO:
            self.memo[value] = xml
        return xml

    def header(self, titles: list[str]) -> str:
        """Header cells, in bold (style 1)."""
        return "".join(self.cells([t]).replace("<c ", '<c s="1" ', 1) for t in titles)

    def cells(self, values) -> str:
        memo, cell = self.memo, self._cell
        return "".join([memo.get(v) or cell(v) for v in values])

    def rows(self, row: list | Group) -> list[str]:
        """The ``<row>`` elements of a row or a group."""
        cells = self.cells
        if not isinstance(row, Group):
            return [f"<row>{cells(row)}</row>"]
        head = "<row>" + cells(row.head)
        if not row.repeating:
            return [f"{head}{cells(tail)}</row>" for tail in row.tails]
        memo, xmls = self.tail_memo, []
        for tail in row.tails:
            xml = memo.get(tail)
            if xml is None:
                xml = cells(tail) + "</row>"
                if len(memo) < MAX_MEMO:
                    memo[tail] = xml
            xmls.append(head + xml)
        return xmls

    def fragment(self, rows: Iterable[list | Group]) -> Fragment:
        """Rows rendered and deflated, to be kept and written again (strings inline)."""
        assert self.shared is None, "a fragment cannot refer to a workbook's shared strings"
        xmls = [xml for row in rows for xml in self.rows(row)]
        return deflate("".join(xmls).encode(), len(xmls))


def _rows_of(fragment: Fragment) -> list[str]:
    """A fragment's ``<row>`` elements (a row's text never holds ``</row>``: < is escaped)."""
    xml = fragment.xml().decode()
    return [row + "</row>" for row in xml.split("</row>")[:-1]]


class Workbook:
    """With ``strings`` (the caller's numbered shared strings, read when the workbook is
    closed) cells refer to those in ``refs`` and write other text inline; without, the
    workbook numbers its own."""

    def __init__(
        self, target: str | IO[bytes], refs: dict[str, int] | None = None,
        strings: Callable[[], list[tuple[int, str]]] | None = None,
    ):  # fmt: skip
        self.out = _Deflater(target)
        self.titles: list[str] = []
        self.shared: list[str] = []
        self.strings = strings
        self.cells = Cells(None, refs) if strings is not None else Cells(self.shared)
        self.raws: list[Fragment] = []
        self.raw_bytes = 0

    # -- sheets -----------------------------------------------------------------------

    def _open(self, title: str, sheet: Sheet) -> None:
        self.titles.append(title)
        self.out.put("open", f"xl/worksheets/sheet{len(self.titles)}.xml")
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
            for n, w in enumerate(sheet.widths or [], start=1)
        )
        head = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f"<sheetData><row>{self.cells.header(sheet.headers)}</row>"
        )
        self.out.put("write", head.encode())

    def _flush(self, chunk: list[str]) -> None:
        self._flush_raw()
        if chunk:
            self.out.put("write", "".join(chunk).encode())
            chunk.clear()

    def _raw(self, fragment: Fragment) -> None:
        # Handed over by the megabyte: one queue hand-off per fragment made the two threads
        # take turns 120 000 times, which on a busy machine cost more than the copying.
        self.raws.append(fragment)
        self.raw_bytes += len(fragment.data)
        if self.raw_bytes >= 1 << 20:
            self._flush_raw()

    def _flush_raw(self) -> None:
        if self.raws:
            self.out.put("raw", self.raws)
            self.raws, self.raw_bytes = [], 0

    def _close(self, chunk: list[str]) -> None:
        chunk.append("</sheetData></worksheet>")
        self._flush(chunk)
        self.out.put("close")

    def add(self, sheet: Sheet) -> int:
        """Write a sheet's rows as they are produced; returns how many were written.

        A row is a list of values, a :class:`Group`, or a :class:`Fragment` of rows rendered
        before (copied as it is, unless it straddles the end of a sheet).
        """
        self._open(sheet.title, sheet)
        part, room, count = 1, MAX_SHEET_ROWS, 0
        chunk: list[str] = []
        rows = self.cells.rows

        def next_part() -> None:
            nonlocal part, room
            self._close(chunk)
            part, room = part + 1, MAX_SHEET_ROWS
            self._open(f"{sheet.title}({part})", sheet)

        def taken() -> Iterator[list | Group | Fragment]:
            """The rows, a joined fragment the sheet fills up in as its parts: only the part
            the sheet ends in is then cut (decompressed), not all of them."""
            for row in sheet.rows:
                if isinstance(row, Fragment) and row.parts and row.rows > room:
                    yield from row.parts
                else:
                    yield row

        for row in taken():
            if isinstance(row, Fragment):
                if not row.rows:
                    continue
                assert not row.slots, "a fragment's slots are filled before it is written"
                if row.rows <= room:
                    count += row.rows
                    if chunk:
                        self._flush(chunk)
                    self._raw(row)
                    room -= row.rows
                    continue
                # The sheet fills up inside the fragment: its rows are cut between parts.
                xmls = _rows_of(row)
            else:
                xmls = rows(row)
            count += len(xmls)
            while len(xmls) > room:  # the sheet is full: continue on 「标题(n)」
                chunk += xmls[:room]
                xmls = xmls[room:]
                next_part()
            room -= len(xmls)
            chunk += xmls
            if len(chunk) >= 4000:
                self._flush(chunk)
        self._close(chunk)
        return count

    # -- the package --------------------------------------------------------------------

    def close(self) -> None:
        n = len(self.titles)
        sheets = "".join(
            f'<sheet name="{escape(t)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, t in enumerate(self.titles, start=1)
        )
        shared = self.shared
        if self.strings is not None:  # numbered by the caller: a gap is an empty string
            numbered = self.strings()
            shared = [""] * (numbered[-1][0] + 1 if numbered else 0)
            for n, text in numbered:
                shared[n] = text
        strings = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in shared)
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = {
            "xl/sharedStrings.xml": (
                f'<sst xmlns="{_MAIN}" count="{len(shared)}" '
                f'uniqueCount="{len(shared)}">{strings}</sst>'
            ),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_MAIN}" xmlns:r="{rel}"><sheets>{sheets}</sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_PKG}/relationships">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                f'<Relationship Id="rId{n + 2}" Type="{rel}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>'
            ),
            "[Content_Types].xml": (
                f'<Types xmlns="{_PKG}/content-types">'
                f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    f'ContentType="{ct}.worksheet+xml"/>'
                    for i in range(1, n + 1)
                )
                + "</Types>"
            ),
            "_rels/.rels": (
                f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
                f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
        }
        for name, xml in parts.items():
            self.out.put("file", (name, _DECLARATION + xml))
        self.out.finish()


_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="0.0%"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def write(
    target: str | IO[bytes], sheets: Iterable[Sheet], refs: dict[str, int] | None = None,
    strings: Callable[[], list[tuple[int, str]]] | None = None,
) -> dict[str, int]:  # fmt: skip
    """Write ``sheets`` into one workbook; returns rows written per sheet title.

    ``refs`` and ``strings``: shared strings numbered by the caller (see :class:`Workbook`),
    needed when rows come as :class:`Fragment` s that refer to them (their slots filled).
    """
    book = Workbook(target, refs, strings)
    counts = {}
    try:
        for sheet in sheets:
            counts[sheet.title] = book.add(sheet)
    except BaseException:
        book.out.abort()
        raise
    book.close()
    return counts
