"""SQLite's values read by our converters exactly as Piccolo's own converters read them."""

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st
from piccolo.engine import sqlite as piccolo_sqlite

from coordinator.db import sqlite as our_sqlite

PICCOLO = {"INTEGER": piccolo_sqlite.convert_int_out, "BOOLEAN": piccolo_sqlite.convert_boolean_out,
           "DATE": piccolo_sqlite.convert_date_out,
           "TIMESTAMPTZ": piccolo_sqlite.convert_timestamptz_out}


def _same(type_name: str, raw: bytes) -> None:
    ours, theirs = our_sqlite.CONVERTERS[type_name], PICCOLO[type_name]
    try:
        expected = theirs(raw)
    except (ValueError, ArithmeticError):  # Piccolo's refuses it (Decimal's InvalidOperation)
        with pytest.raises((ValueError, ArithmeticError)):
            ours(raw)
        return
    assert ours(raw) == expected and type(ours(raw)) is type(expected), (type_name, raw)
    assert repr(ours(raw)) == repr(expected), (type_name, raw)  # the same time zone too


def test_ours_are_the_ones_sqlite3_uses():
    for type_name, converter in our_sqlite.CONVERTERS.items():
        assert sqlite3.converters[type_name] is converter


@pytest.mark.parametrize("raw", [b"0", b"7", b"-12", b"+5", b" 5 ", b"1_000", b"9" * 30, b"1.0",
                                 b"1.5", b"-2.9", b"1e3", "٧".encode(), b"hello", b"", b"0x10"])
def test_integers_as_piccolo_reads_them(raw):
    _same("INTEGER", raw)


@given(st.integers())
def test_any_integer_as_piccolo_reads_it(number):
    _same("INTEGER", str(number).encode())


@pytest.mark.parametrize("raw", [b"0", b"1", b"1.0", b"true", b""])
def test_booleans_as_piccolo_reads_them(raw):
    _same("BOOLEAN", raw)


@pytest.mark.parametrize("raw", [b"2026-12-05", b"2026-12-05 07:16:47", b"2026-12-05T07:16:47.123456",
                                 b"2026-12-05T07:16:47+00:00", b"2026-12-05 07:16:47.5+01:00",
                                 b"2026-12-05T07:16:47Z", b"not a time"])
def test_timestamps_and_dates_as_piccolo_reads_them(raw):
    _same("TIMESTAMPTZ", raw)
    _same("DATE", raw)


def test_a_connection_reads_each_declared_type_with_them(tmp_path):
    connection = sqlite3.connect(tmp_path / "t.sqlite", detect_types=sqlite3.PARSE_DECLTYPES)
    connection.execute('CREATE TABLE t (i INTEGER, b BOOLEAN, d DATE, at TIMESTAMPTZ)')
    connection.execute("INSERT INTO t VALUES (42, 1, '2026-12-05', '2026-12-05 07:16:47.000001')")
    row = connection.execute("SELECT i, b, d, at FROM t").fetchone()
    assert row == tuple(PICCOLO[name](raw) for name, raw in zip(
        ("INTEGER", "BOOLEAN", "DATE", "TIMESTAMPTZ"),
        (b"42", b"1", b"2026-12-05", b"2026-12-05 07:16:47.000001"), strict=True))
    connection.close()
