"""`load_candles_file`: every common layout loads to the same canonical frame; bad files say why."""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import load_candles_file
from core.errors import CandleFileError

DATA = Path(__file__).resolve().parents[1] / "data"
N = 60  # rows in the slice: above the default min_rows of 50


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    """60 consecutive real BTC/USDT 1h candles, canonical form."""
    frame = pd.read_parquet(DATA / "binance_BTC-USDT_1h.parquet").set_index("timestamp")
    out = frame.iloc[1000 : 1000 + N].copy()
    assert (np.diff(out.index.asi8) == 3_600 * 10**9).all()  # no hole in the slice
    return out


def _epoch(frame: pd.DataFrame, per_second: int) -> np.ndarray:
    return frame.index.asi8 // (10**9 // per_second)


def _with_time(frame: pd.DataFrame, column: str, values) -> pd.DataFrame:
    out = frame.reset_index(drop=True)
    out.insert(0, column, values)
    return out


# Each layout: (file name, writer(frame, path)). All must load to exactly the parquet slice.
LAYOUTS = {
    "canonical_iso": ("a.csv", lambda f, p: f.to_csv(p)),
    "epoch_ms_open_time": ("b.csv", lambda f, p: _with_time(f, "open_time", _epoch(f, 1000)).to_csv(p, index=False)),
    "epoch_s_time": ("c.csv", lambda f, p: _with_time(f, "time", _epoch(f, 1)).to_csv(p, index=False)),
    "epoch_us_timestamp": ("d.csv", lambda f, p: _with_time(f, "timestamp", _epoch(f, 10**6)).to_csv(p, index=False)),
    "epoch_ns_unix": ("e.csv", lambda f, p: _with_time(f, "unix", f.index.asi8).to_csv(p, index=False)),
    "upper_case": ("f.csv", lambda f, p: f.rename(columns=str.upper).rename_axis("TIMESTAMP").to_csv(p)),
    "aliases_ohlcv_iso_z": (
        "g.csv",
        lambda f, p: _with_time(
            f.set_axis(list("ohlcv"), axis=1), "datetime", f.index.strftime("%Y-%m-%dT%H:%M:%SZ")
        ).to_csv(p, index=False),
    ),
    "yahoo_adj_close_naive": (
        "h.csv",
        lambda f, p: _with_time(
            f.rename(columns=str.title).assign(**{"Adj Close": f["close"] * 0.9}),
            "Date",
            f.index.strftime("%Y-%m-%d %H:%M:%S"),
        ).to_csv(p, index=False),
    ),
    "open_time_spaced_volume_btc": (
        "i.csv",
        lambda f, p: _with_time(
            f.rename(columns={"open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume BTC"}),
            "Open time",
            _epoch(f, 1000),
        ).to_csv(p, index=False),
    ),
    "semicolon": ("j.csv", lambda f, p: f.to_csv(p, sep=";")),
    "tab": ("k.tsv", lambda f, p: f.to_csv(p, sep="\t")),
    "other_time_zone": (
        "l.csv",
        lambda f, p: f.set_axis(f.index.tz_convert("Europe/Paris").rename("date")).to_csv(p),
    ),
    "crlf_bom_blank_lines": (
        "m.csv",
        lambda f, p: p.write_bytes(
            b"\xef\xbb\xbf" + f.to_csv(lineterminator="\r\n").replace("\r\n", "\r\n\r\n", 3).encode()
        ),
    ),
    "binance_klines_headerless": (
        "n.csv",
        lambda f, p: pd.DataFrame(
            {
                "open_time": _epoch(f, 1000),
                **{c: f[c].to_numpy() for c in ("open", "high", "low", "close", "volume")},
                "close_time": _epoch(f, 1000) + 3_599_999,
                "quote_volume": f["volume"].to_numpy() * f["close"].to_numpy(),
                "trades": 100,
                "taker_base": f["volume"].to_numpy() / 2,
                "taker_quote": 1.5,
                "ignore": 0,
            }
        ).to_csv(p, index=False, header=False),
    ),
    "plain_headerless_6": (
        "o.csv",
        lambda f, p: _with_time(f, "t", _epoch(f, 1000)).to_csv(p, index=False, header=False),
    ),
    "headerless_iso": ("p.txt", lambda f, p: f.to_csv(p, header=False)),
    "parquet_timestamp_column": ("q.parquet", lambda f, p: f.reset_index().to_parquet(p)),
    "parquet_index": ("r.parquet", lambda f, p: f.to_parquet(p)),
    "parquet_epoch_ms_no_extension": ("s.bin", lambda f, p: _with_time(f, "open_time", _epoch(f, 1000)).to_parquet(p)),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_loads_to_the_canonical_frame(layout: str, real: pd.DataFrame, tmp_path: Path) -> None:
    name, write = LAYOUTS[layout]
    path = tmp_path / name
    write(real, path)
    got = load_candles_file(path)
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert str(got.index.tz) == "UTC" and got.index.name == "timestamp"
    assert list(got.dtypes) == ["float64"] * 5
    assert got.attrs["timeframe"] == "1h"
    assert got.attrs["source"] == f"file:{name}"
    assert got.attrs["warnings"] == []


def test_date_only_strings_are_midnight_utc_daily(real: pd.DataFrame, tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=N, freq="D", tz="UTC", name="timestamp")
    daily = real.set_axis(pd.DatetimeIndex(list(days), name="timestamp"))
    path = tmp_path / "daily.csv"
    _with_time(daily.rename(columns=str.title), "Date", days.strftime("%Y-%m-%d")).to_csv(path, index=False)
    got = load_candles_file(path)
    pd.testing.assert_frame_equal(got, daily, check_exact=True)
    assert got.attrs["timeframe"] == "1d"


def test_epoch_seconds_and_milliseconds_give_the_same_index(real: pd.DataFrame, tmp_path: Path) -> None:
    _with_time(real, "time", _epoch(real, 1)).to_csv(tmp_path / "s.csv", index=False)
    _with_time(real, "time", _epoch(real, 1000)).to_csv(tmp_path / "ms.csv", index=False)
    seconds, millis = load_candles_file(tmp_path / "s.csv"), load_candles_file(tmp_path / "ms.csv")
    assert seconds.index.equals(millis.index)
    assert seconds.index[0] == pd.Timestamp("2017-09-28 02:00", tz="UTC") == real.index[0]


def test_newest_first_file_is_sorted_with_a_warning(
    real: pd.DataFrame, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    real.iloc[::-1].to_csv(tmp_path / "desc.csv")
    with caplog.at_level(logging.WARNING, logger="core.data.upload"):
        got = load_candles_file(tmp_path / "desc.csv")
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["warnings"] == ["file was newest-first; sorted ascending"]
    assert "newest-first" in caplog.text


def test_shuffled_file_is_sorted_with_a_warning(real: pd.DataFrame, tmp_path: Path) -> None:
    real.sample(frac=1.0, random_state=3).to_csv(tmp_path / "shuffled.csv")
    got = load_candles_file(tmp_path / "shuffled.csv")
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["warnings"] == ["rows were not in time order; sorted ascending"]


def test_exact_duplicates_are_dropped_with_a_warning(real: pd.DataFrame, tmp_path: Path) -> None:
    pd.concat([real.iloc[:30], real.iloc[[5, 6, 29]], real.iloc[30:]]).to_csv(tmp_path / "dup.csv")
    got = load_candles_file(tmp_path / "dup.csv")
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["warnings"] == ["dropped 3 exact duplicate row(s) (same time and values)"]


def test_file_like_with_name_works(real: pd.DataFrame) -> None:
    buffer = io.BytesIO(real.to_csv().encode())
    buffer.name = "my candles.csv"
    buffer.read()  # Streamlit may hand over a buffer that was already read
    got = load_candles_file(buffer)
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["source"] == "file:my candles.csv"
    text = io.StringIO(real.to_csv())
    pd.testing.assert_frame_equal(load_candles_file(text), real, check_exact=True)


def test_parquet_upload_works(real: pd.DataFrame) -> None:
    buffer = io.BytesIO(real.reset_index().to_parquet())
    buffer.name = "upload.csv"  # the extension lies: the PAR1 magic decides
    got = load_candles_file(buffer)
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["source"] == "file:upload.csv"


def test_min_rows_is_a_parameter(real: pd.DataFrame, tmp_path: Path) -> None:
    real.iloc[:10].to_csv(tmp_path / "short.csv")
    assert len(load_candles_file(tmp_path / "short.csv", min_rows=10)) == 10
    with pytest.raises(CandleFileError, match=r"^short\.csv: too short: 10 rows, at least 11 needed$"):
        load_candles_file(tmp_path / "short.csv", min_rows=11)


# ---- bad files ---------------------------------------------------------------------------------
# In a CSV with a header, data row i (0-based) is file row i + 2: the header line is row 1.


def _table(real: pd.DataFrame) -> pd.DataFrame:
    out = real.reset_index().astype(object)
    out["timestamp"] = real.index.strftime("%Y-%m-%d %H:%M:%S")
    return out


def _set(row: int, column: str, value):
    def mutate(t: pd.DataFrame) -> pd.DataFrame:
        t.loc[row, column] = value(t.loc[row]) if callable(value) else value
        return t

    return mutate


def _conflict(t: pd.DataFrame) -> pd.DataFrame:
    twin = t.loc[[3]].copy()
    twin["close"] = 5000.5
    twin["high"] = max(twin["high"].iloc[0], 5000.5)
    return pd.concat([t, twin], ignore_index=True)


BAD_TABLES = {
    "missing_column": (
        lambda t: t.drop(columns="high"),
        r"^bad\.csv: missing column 'high'; columns found: timestamp, open, low, close, volume$",
    ),
    "missing_time_column": (
        lambda t: t.rename(columns={"timestamp": "when"}),
        r"missing a time column \(timestamp, time, date, datetime, open_time or unix\); columns found: when, open",
    ),
    "unparseable_date": (
        _set(4, "timestamp", "yesterday"),
        r"^bad\.csv: row 6, column 'timestamp': cannot read 'yesterday' as a date or time$",
    ),
    "several_bad_dates": (
        lambda t: _set(9, "timestamp", "31/31/2020")(_set(20, "timestamp", "soon")(t)),
        r"^bad\.csv: row 11, column 'timestamp': cannot read '31/31/2020' as a date or time "
        r"\(and 1 more bad time\(s\) below\)$",
    ),
    "empty_date": (
        _set(4, "timestamp", ""),
        r"^bad\.csv: row 6, column 'timestamp' is empty$",
    ),
    "negative_price": (_set(3, "open", -5.0), r"^bad\.csv: row 5: open must be positive, got -5$"),
    "zero_price": (_set(3, "low", 0.0), r"^bad\.csv: row 5: low must be positive, got 0$"),
    "negative_volume": (_set(7, "volume", -1.5), r"^bad\.csv: row 9: volume must not be negative, got -1\.5$"),
    "high_below_low": (
        _set(3, "high", lambda r: r["low"] - 10),
        r"^bad\.csv: row 5: high [\d.]+ is below low [\d.]+$",
    ),
    "close_above_high": (
        _set(3, "close", lambda r: r["high"] + 1),
        r"^bad\.csv: row 5: close [\d.]+ is outside \[low [\d.]+, high [\d.]+\]$",
    ),
    "open_below_low": (
        _set(10, "open", lambda r: r["low"] - 1),
        r"^bad\.csv: row 12: open [\d.]+ is outside \[low [\d.]+, high [\d.]+\]$",
    ),
    "conflicting_duplicate": (
        _conflict,
        r"^bad\.csv: conflicting duplicate timestamp 2017-09-28T05:00:00\+00:00: rows 5 and 62 have the same "
        r"time but different values \(.*close [\d.]+ vs 5000\.5\)$",
    ),
    "too_few_rows": (lambda t: t.iloc[:12], r"^bad\.csv: too short: 12 rows, at least 50 needed$"),
    "non_numeric": (_set(7, "volume", "n/a"), r"^bad\.csv: row 9, column 'volume': 'n/a' is not a number$"),
    "empty_number": (_set(7, "close", ""), r"^bad\.csv: row 9, column 'close' is empty$"),
    "ambiguous_volume": (
        lambda t: t.rename(columns={"volume": "Volume BTC"}).assign(**{"Volume USDT": 1.0}),
        r"several volume columns \('Volume BTC', 'Volume USDT'\); rename the one to use to 'volume'",
    ),
}


@pytest.mark.parametrize("case", BAD_TABLES)
def test_bad_csv_is_rejected_with_row_and_column(case: str, real: pd.DataFrame, tmp_path: Path) -> None:
    mutate, message = BAD_TABLES[case]
    path = tmp_path / "bad.csv"
    mutate(_table(real)).to_csv(path, index=False)
    with pytest.raises(CandleFileError, match=message):
        load_candles_file(path)


def _zip(real: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("candles.csv", real.to_csv())
    return buffer.getvalue()


BAD_BYTES = {
    "zero_bytes": (lambda r: b"", r"^bad: the file is empty \(0 bytes\)$"),
    "blank_space": (lambda r: b"\n\n  \n", r"^bad: the file is empty \(only blank space\)$"),
    "header_only": (
        lambda r: b"timestamp,open,high,low,close,volume\n",
        r"^bad: the file has only a header line and no data rows$",
    ),
    "random_bytes": (
        lambda r: np.random.default_rng(0).bytes(4000),
        r"^bad: not a CSV or parquet file: it contains binary data$",
    ),
    "png": (
        lambda r: b"\x89PNG\r\n\x1a\n" + np.random.default_rng(1).bytes(500),
        r"^bad: not a CSV or parquet file: it looks like a PNG image$",
    ),
    "zip": (lambda r: _zip(r), r"not a CSV or parquet file: it looks like a ZIP archive \(unzip it"),
    "corrupt_parquet": (
        lambda r: b"PAR1" + np.random.default_rng(2).bytes(300),
        r"^bad: starts like a parquet file but cannot be read \(corrupt or truncated\)",
    ),
    "truncated_parquet": (
        lambda r: r.to_parquet()[:-200],
        r"^bad: starts like a parquet file but cannot be read \(corrupt or truncated\)",
    ),
    "ragged_row": (
        lambda r: r.to_csv().replace("\n", ",7\n", 4).replace(",7\n", "\n", 3).encode(),
        r"^bad: row 4 has 7 fields but the rows above have 6$",
    ),
    "headerless_too_narrow": (
        lambda r: r[["open", "high", "low"]].to_csv(header=False).encode(),
        r"^bad: no header line and only 4 columns; expected time, open, high, low, close, volume$",
    ),
}


@pytest.mark.parametrize("case", BAD_BYTES)
def test_bad_bytes_are_rejected_clearly(case: str, real: pd.DataFrame) -> None:
    make, message = BAD_BYTES[case]
    buffer = io.BytesIO(make(real))
    buffer.name = "bad"
    with pytest.raises(CandleFileError, match=message):
        load_candles_file(buffer)


def test_headerless_row_numbers_count_from_the_first_line(real: pd.DataFrame, tmp_path: Path) -> None:
    table = _table(real)
    table.loc[3, "high"] = table.loc[3, "low"] - 10
    table.to_csv(tmp_path / "nohead.csv", index=False, header=False)
    with pytest.raises(CandleFileError, match=r"^nohead\.csv: row 4: high [\d.]+ is below low"):
        load_candles_file(tmp_path / "nohead.csv")


def test_parquet_row_numbers_are_record_numbers(real: pd.DataFrame, tmp_path: Path) -> None:
    broken = real.copy()
    broken.iloc[3, broken.columns.get_loc("close")] = -1.0
    broken.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(CandleFileError, match=r"^bad\.parquet: row 4: close must be positive, got -1$"):
        load_candles_file(tmp_path / "bad.parquet")


def test_missing_path_is_a_candle_file_error(tmp_path: Path) -> None:
    with pytest.raises(CandleFileError, match=r"nope\.csv: cannot open the file"):
        load_candles_file(tmp_path / "nope.csv")


def test_cryptodatadownload_layout_title_line_and_newest_first(real: pd.DataFrame, tmp_path: Path) -> None:
    table = _with_time(real.rename(columns={"volume": "Volume BTC"}), "unix", _epoch(real, 1000))
    table.insert(1, "date", real.index.strftime("%Y-%m-%d %H:%M:%S"))
    table.insert(2, "symbol", "BTC/USDT")
    table["tradecount"] = 42
    path = tmp_path / "Binance_BTCUSDT_1h.csv"
    path.write_text("https://www.CryptoDataDownload.com\n" + table.iloc[::-1].to_csv(index=False))
    got = load_candles_file(path)
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["warnings"] == [
        "skipped 1 line(s) above the table, starting 'https://www.CryptoDataDownload.com'",
        "file was newest-first; sorted ascending",
    ]


def test_epoch_milliseconds_are_exact(real: pd.DataFrame, tmp_path: Path) -> None:
    odd = real.set_axis(real.index + pd.Timedelta(milliseconds=123))
    _with_time(odd, "timestamp", _epoch(odd, 1000)).to_csv(tmp_path / "ms.csv", index=False)
    got = load_candles_file(tmp_path / "ms.csv")
    assert got.index.equals(odd.index)
    assert got.index[0].value == 1_506_564_000_123_000_000


def test_headerless_with_extra_columns_reads_the_first_six_and_says_so(real: pd.DataFrame, tmp_path: Path) -> None:
    _with_time(real.assign(trades=7), "t", _epoch(real, 1000)).to_csv(tmp_path / "wide.csv", index=False, header=False)
    got = load_candles_file(tmp_path / "wide.csv")
    pd.testing.assert_frame_equal(got, real, check_exact=True)
    assert got.attrs["warnings"] == [
        "no header line: read the first 6 of 7 columns as time, open, high, low, close, volume"
    ]
