"""Read a user's candle file (CSV or parquet, in the layouts exchanges and sites export) safely.

Uploads are the one source Lydian does not control, so this module is strict and talkative: a file
is either imported whole into the canonical candle frame or rejected with a `CandleFileError` that
says what is wrong and where (file row number, column name), never a pandas or pyarrow traceback.
Nothing is written anywhere. Only two harmless repairs are made (exact duplicate rows dropped,
unsorted rows sorted), and each leaves a plain-English note in ``frame.attrs["warnings"]`` for the
UI and in the log. The OHLC rules themselves live in `core.data.validate` and are reused here.

Work is bounded by the input's size, because one hostile file must not hold a worker for minutes: files
above ``LYDIAN_MAX_UPLOAD_MB`` are refused before they are read, lines, fields and columns are capped
before anything parses them, and times are read only in explicit formats (epoch numbers, ISO 8601 and a
short list of strftime layouts), never by dateutil's guessing, whose tokenizer is quadratic in a token.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from core.data.timeframes import infer_timeframe
from core.data.validate import COLUMNS, candle_problems, validate_candles
from core.errors import CandleFileError, LydianError

log = logging.getLogger(__name__)

FIELDS = ("time", *COLUMNS)
_ALIASES = {  # normalised header name (lower case, letters and digits only) -> field; first wins
    "time": ("timestamp", "opentime", "unix", "unixtime", "datetime", "date", "time"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
}
_MAGIC = {b"PK\x03\x04": "a ZIP archive (unzip it and upload the CSV inside)", b"\x89PNG": "a PNG image",
          b"\xff\xd8\xff": "a JPEG image", b"%PDF": "a PDF document", b"\x1f\x8b": "a gzip archive",
          b"GIF8": "a GIF image", b"\xd0\xcf\x11\xe0": "an old Excel/Office document"}
DEFAULT_MAX_MB = 100.0  # ~15 years of 1-minute candles as CSV; env LYDIAN_MAX_UPLOAD_MB overrides
MAX_LINE_CHARS = 4_096  # a Binance kline row is ~150 characters
MAX_FIELD_CHARS = 256  # numbers and dates are < 40; the cap keeps every parser's input small
MAX_COLUMNS = 100  # exports have at most a dozen
# tried in order after ISO 8601 on a sample of the column; the first that reads every sampled cell wins
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                "%d.%m.%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
                "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %I-%p", "%Y%m%d")
_SAMPLE = 200  # cells a format is tried on before it is applied to the whole column


def max_upload_bytes() -> int:
    """The largest file accepted, from ``LYDIAN_MAX_UPLOAD_MB`` (megabytes, decimals allowed)."""
    text = os.environ.get("LYDIAN_MAX_UPLOAD_MB", "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        raise LydianError(f"LYDIAN_MAX_UPLOAD_MB={text!r} is not a number of megabytes (e.g. 100 or 2.5)") from None
    if not 0 < megabytes < 1e6:
        raise LydianError(f"LYDIAN_MAX_UPLOAD_MB must be above 0 and below 1000000, got {text}")
    return int(megabytes * 1e6)


def load_candles_file(path_or_buffer: str | Path | IO, *, min_rows: int = 50) -> pd.DataFrame:
    """The candles in a CSV or parquet file, as the canonical frame, or `CandleFileError`.

    Accepts a path or a binary/text file-like object (e.g. Streamlit's UploadedFile; its ``.name``
    is used in messages). Row numbers in messages are 1-based physical lines of the file, the
    header line (when there is one) being row 1, so "row 5" is what a text editor shows as line 5;
    for parquet, row N is the N-th record. Naive times are read as UTC; epoch numbers are seconds,
    ms, us or ns by magnitude. ``attrs`` of the result: ``warnings`` (list of str),
    ``timeframe`` (inferred, may be None) and ``source`` (``"file:<name>"``).
    """
    name, raw = _read_bytes(path_or_buffer)
    try:
        return _load(raw, name, min_rows)
    except CandleFileError:
        raise
    except Exception as exc:  # last safety net: the user sees words, never a traceback
        raise CandleFileError(f"{name}: could not read the file ({type(exc).__name__}: {exc})") from None


def _load(raw: bytes, name: str, min_rows: int) -> pd.DataFrame:
    def fail(message: str) -> CandleFileError:
        return CandleFileError(f"{name}: {message}")

    if not raw.strip():
        raise fail("the file is empty (0 bytes)" if not raw else "the file is empty (only blank space)")
    table, rows, notes = _read_table(raw, fail)
    columns = _find_columns(table, fail, notes)
    times = _parse_times(table[columns["time"]], columns["time"], rows, fail)
    frame = _to_numbers(table, columns, rows, fail)
    problems = candle_problems(frame, lambda i: f"row {rows[i]}")
    if problems:
        raise fail(problems[0])
    frame.index = pd.DatetimeIndex(times, name="timestamp")
    frame = _dedupe_and_sort(frame, rows, fail, notes)
    if len(frame) < min_rows:
        raise fail(f"too short: {len(frame)} rows, at least {min_rows} needed")
    out = validate_candles(frame, name=name)  # cannot fail now; guarantees the canonical form
    for note in notes:
        log.warning("%s: %s", name, note)
    out.attrs = {"warnings": notes, "timeframe": infer_timeframe(out.index), "source": f"file:{name}"}
    return out


def _read_bytes(source: str | Path | IO) -> tuple[str, bytes]:
    """(name, content), reading at most one byte past the size limit so a huge file costs nothing."""
    limit = max_upload_bytes()
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            with path.open("rb") as handle:
                name, data = path.name, handle.read(limit + 1)
        except OSError as exc:
            raise CandleFileError(f"{path}: cannot open the file ({exc.strerror or exc})") from None
    else:
        name = Path(str(getattr(source, "name", None) or "uploaded file")).name
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)  # Streamlit's UploadedFile may have been read already
        data = source.read(limit + 1)
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(data) > limit:
        raise CandleFileError(f"{name}: the file is larger than {limit / 1e6:g} MB, the most this server reads "
                              "(LYDIAN_MAX_UPLOAD_MB raises it); split it or upload parquet, which is smaller")
    return name, data


def _read_table(raw: bytes, fail) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """(cells with header names or column numbers, file row number of each data row, notes)."""
    if raw[:4] == b"PAR1":
        try:
            _check_parquet_shape(raw, fail)
            table = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise fail(f"starts like a parquet file but cannot be read (corrupt or truncated): {reason}") from None
        if not isinstance(table.index, pd.RangeIndex):
            table = table.reset_index()
        table.columns = [str(c) for c in table.columns]
        if table.empty:
            raise fail("the parquet file has no data rows")
        return table, np.arange(1, len(table) + 1), []
    text = _decode(raw, fail)
    lines, notes = text.splitlines(), []
    widest = max(map(len, lines), default=0)
    if widest > MAX_LINE_CHARS:
        longest = next(i for i, line in enumerate(lines) if len(line) > MAX_LINE_CHARS)
        raise fail(f"line {longest + 1} is {len(lines[longest]):,} characters long; a candle file's lines are "
                   f"at most {MAX_LINE_CHARS:,} (is this a candle file?)")
    lead = next((i for i, line in enumerate(lines) if any(s in line for s in ",;\t|")), 0)
    if any(line.strip() for line in lines[:lead]):  # e.g. the URL line atop CryptoDataDownload files
        notes.append(f"skipped {lead} line(s) above the table, starting {lines[0].strip()[:60]!r}")
    first = lines[lead] if lines else ""
    sep = max(";\t|,", key=first.count) if any(s in first for s in ";\t|") else ","  # ties: not ','
    if first.count(sep) >= MAX_COLUMNS:
        raise fail(f"line {lead + 1} has {first.count(sep) + 1} columns; a candle file has at most {MAX_COLUMNS}")
    try:
        cells = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, skipinitialspace=True, skiprows=lead)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = found.groups()
            raise fail(f"row {line} has {saw} fields but the rows above have {expected}") from None
        raise fail(f"cannot be read as CSV ({exc})") from None
    cells = cells.apply(lambda col: col.str.strip())
    rows = np.arange(lead + 1, lead + len(cells) + 1)
    if widest > MAX_FIELD_CHARS or '"' in text:  # otherwise no field can be longer (quotes may span lines)
        _check_field_lengths(cells, rows, fail)
    keep = (cells != "").any(axis=1).to_numpy()
    cells, rows = cells[keep].reset_index(drop=True), rows[keep]
    numeric = [pd.to_numeric(cells.iloc[i], errors="coerce").notna().sum() for i in range(min(2, len(cells)))]
    if numeric[0] == 0 or (len(numeric) == 2 and numeric[0] < numeric[1]):  # the first line is a header
        names = list(cells.iloc[0])
        names = [n if names.index(n) == i else f"{n}.{i}" for i, n in enumerate(names)]  # unique names
        cells, rows = cells.iloc[1:].set_axis(names, axis=1).reset_index(drop=True), rows[1:]
        if cells.empty:
            raise fail("the file has only a header line and no data rows")
    return cells, rows, notes


def _check_parquet_shape(raw: bytes, fail) -> None:
    """Refuse, from the footer alone, a parquet file that would unpack into far more than it weighs."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    if meta.num_columns > MAX_COLUMNS:
        raise fail(f"the parquet file has {meta.num_columns} columns; a candle file has at most {MAX_COLUMNS}")
    if meta.num_rows > max(len(raw), 10_000):  # real candles take > 10 bytes a row even compressed
        raise fail(f"the parquet file declares {meta.num_rows:,} rows in {len(raw):,} bytes, more rows than "
                   "bytes: refused as a decompression bomb")


def _check_field_lengths(cells: pd.DataFrame, rows: np.ndarray, fail) -> None:
    """Refuse an overlong cell before any number or date parser sees it (a quoted field may span lines)."""
    for column in cells.columns:
        lengths = cells[column].str.len().to_numpy()
        if len(lengths) and lengths.max() > MAX_FIELD_CHARS:
            i = int(lengths.argmax())
            raise fail(f"row {rows[i]}, {_where(column)}: a field of {int(lengths[i]):,} characters; fields of a "
                       f"candle file are at most {MAX_FIELD_CHARS} (numbers and dates)")


def _decode(raw: bytes, fail) -> str:
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            raise fail(f"not a CSV or parquet file: it looks like {kind}")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    head = raw[:8192]
    controls = sum(b < 32 and b not in b"\t\n\r\f" for b in head)
    if b"\x00" in head or controls > len(head) // 20:
        raise fail("not a CSV or parquet file: it contains binary data")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _find_columns(table: pd.DataFrame, fail, notes: list[str]) -> dict[str, object]:
    """Field name -> the file's column holding it (a header name, or a position if headerless)."""
    if pd.api.types.is_integer_dtype(table.columns):  # no header: time, o, h, l, c, v come first
        width = len(table.columns)
        if width < 6:
            raise fail(f"no header line and only {width} columns; expected {', '.join(FIELDS)}")
        if width not in (6, 12):  # 12 = Binance klines
            notes.append(f"no header line: read the first 6 of {width} columns as {', '.join(FIELDS)}")
        return dict(zip(FIELDS, range(6)))
    normal = {c: re.sub(r"[^a-z0-9]", "", str(c).lower()) for c in table.columns}
    found: dict[str, object] = {}
    for field in FIELDS:
        for alias in _ALIASES[field]:
            match = [c for c, n in normal.items() if n == alias]
            if match:
                found[field] = match[0]
                break
    if "volume" not in found:
        candidates = [c for c, n in normal.items() if n.startswith("volume")]
        if len(candidates) > 1:
            listed = ", ".join(repr(c) for c in candidates)
            raise fail(f"several volume columns ({listed}); rename the one to use to 'volume'")
        if candidates:
            found["volume"] = candidates[0]
    for field in FIELDS:
        if field not in found:
            wanted = "a time column (timestamp, time, date, datetime, open_time or unix)" if field == "time" \
                else f"column '{field}'"
            raise fail(f"missing {wanted}; columns found: {', '.join(map(str, table.columns))}")
    return found


def _where(column: object) -> str:
    return f"column '{column}'" if isinstance(column, str) else f"column {int(column) + 1}"  # type: ignore


def _parse_times(cells: pd.Series, column: object, rows: np.ndarray, fail) -> pd.DatetimeIndex:
    """UTC open times from datetimes, epoch numbers (s/ms/us/ns by magnitude) or date strings in `TIME_FORMATS`."""
    where = _where(column)
    if pd.api.types.is_datetime64_any_dtype(cells):
        times = pd.to_datetime(cells, utc=True)
    else:
        numbers = pd.to_numeric(cells, errors="coerce")
        if numbers.notna().mean() > 0.5:
            scale = float(numbers.abs().median())
            unit = "ns" if scale > 1e17 else "us" if scale > 1e14 else "ms" if scale > 1e11 else "s"
            limit = 9e18 / {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]  # ~year 2255
            if (numbers.abs() >= limit).any():  # keep int64 (exact) unless something is out of range
                numbers = numbers.where(numbers.abs() < limit)
            times = pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")
            if numbers.dtype.kind == "f":  # float epochs carry binary noise below the microsecond
                times = times.dt.round("us")
        else:
            times = _parse_text_times(cells.astype(str))
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        i, cell = bad[0], cells.iloc[bad[0]]
        empty = pd.isna(cell) or not str(cell).strip()
        what = " is empty" if empty else f": cannot read {cell!r} as a date or time"
        more = f" (and {len(bad) - 1} more bad time(s) below)" if len(bad) > 1 else ""
        raise fail(f"row {rows[i]}, {where}{what}{more}")
    return pd.DatetimeIndex(times).as_unit("ns")


def _parse_text_times(text: pd.Series) -> pd.Series:
    """ISO 8601, else the first of `TIME_FORMATS` that reads a sample of the cells: linear, no guessing."""
    times = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    if not times.isna().any():
        return times
    sample = text[times.isna()].head(_SAMPLE)
    sample = sample[sample.str.len() > 0]
    for layout in TIME_FORMATS:
        if pd.to_datetime(sample, format=layout, utc=True, errors="coerce").notna().all():
            other = pd.to_datetime(text, format=layout, utc=True, errors="coerce")
            return other if other.isna().sum() < times.isna().sum() else times
    return times


def _to_numbers(table: pd.DataFrame, columns: dict[str, object], rows: np.ndarray, fail) -> pd.DataFrame:
    out = {}
    for field in COLUMNS:
        cells = table[columns[field]]
        where = _where(columns[field])
        values = pd.to_numeric(cells, errors="coerce").astype("float64")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            i, cell = bad[0], cells.iloc[bad[0]]
            empty = not cell.strip() if isinstance(cell, str) else pd.isna(cell)
            what = " is empty" if empty else f": {cell!r} is not a number"
            raise fail(f"row {rows[i]}, {where}{what}")
        out[field] = values.to_numpy()
    return pd.DataFrame(out)


def _dedupe_and_sort(frame: pd.DataFrame, rows: np.ndarray, fail, notes: list[str]) -> pd.DataFrame:
    """Drop exact duplicate rows, reject conflicting ones, sort ascending; notes say what happened."""
    frame = frame.assign(_row=rows)
    exact = frame.reset_index().duplicated(subset=["timestamp", *COLUMNS]).to_numpy()
    if exact.any():
        notes.append(f"dropped {int(exact.sum())} exact duplicate row(s) (same time and values)")
        frame = frame[~exact]
    clash = frame.index.duplicated(keep=False)
    if clash.any():
        stamp = frame.index[clash][0]
        first, second = frame.loc[[stamp]].iloc[0], frame.loc[[stamp]].iloc[1]
        differ = ", ".join(f"{c} {first[c]:.10g} vs {second[c]:.10g}" for c in COLUMNS if first[c] != second[c])
        raise fail(f"conflicting duplicate timestamp {stamp.isoformat()}: rows {int(first['_row'])} and "
                   f"{int(second['_row'])} have the same time but different values ({differ})")
    if not frame.index.is_monotonic_increasing:
        newest_first = frame.index.is_monotonic_decreasing
        notes.append("file was newest-first; sorted ascending" if newest_first
                     else "rows were not in time order; sorted ascending")
        frame = frame.sort_index(kind="stable")
    return frame.drop(columns="_row")
