"""The one cursor module every list uses (domain/cursor.py): what it writes reads back, and any
other string is refused as invalid_cursor on the field it came in, never anything else."""
from __future__ import annotations

from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.domain import cursor
from inventory.domain.errors import InvalidInput
from inventory.domain.time import format_instant

IDS = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
KINDS = st.sampled_from(["after-id", "seq", "v", "feed", "log"])
FIELDS = st.sampled_from(["cursor", "after"])


def _refused(call, field: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        call()
    assert refusal.value.code == "invalid_cursor"
    assert [(f.field, f.code) for f in refusal.value.fields] == [(field, "invalid_cursor")]
    assert refusal.value.message == f"{field} is not a cursor this API returned"


@given(text=st.text(), kind=KINDS)
def test_what_is_written_reads_back(text, kind):
    assert cursor.decode(cursor.encode(text)) == text
    assert cursor.read(cursor.write(kind, text), kind) == text
    assert "=" not in cursor.write(kind, text)  # unpadded: safe in a query string as it is


@given(last_id=IDS, position=st.integers(0, 2**63 - 1), when=st.datetimes(), record_id=IDS)
def test_each_shape_reads_back(last_id, position, when, record_id):
    assert cursor.read_after_id(cursor.write_after_id(last_id)) == last_id
    assert cursor.read_position(cursor.write_position("seq", position), "seq") == position
    instant = format_instant(when.replace(tzinfo=timezone.utc))
    moment = cursor.write_moment("log", instant, record_id)
    assert cursor.read_moment(moment, "log") == (instant, record_id)


@given(text=st.text(max_size=80), field=FIELDS)
def test_any_string_is_read_or_refused_as_invalid_cursor(text, field):
    for read in (lambda: cursor.read_after_id(text, field),
                 lambda: cursor.read_position(text, "seq", field),
                 lambda: cursor.read_moment(text, "log", field),
                 lambda: cursor.read(text, "feed", field)):
        try:
            read()
        except InvalidInput as refusal:
            assert (refusal.code, refusal.fields[0].field) == ("invalid_cursor", field)


@pytest.mark.parametrize("field", ["cursor", "after"])
def test_cursors_of_another_kind_or_value_are_refused(field):
    position = cursor.write_position("seq", 5)
    _refused(lambda: cursor.read_position(position, "v", field), field)          # another list's
    _refused(lambda: cursor.read_after_id(position, field), field)
    _refused(lambda: cursor.read_moment(cursor.write_after_id("itm_1"), "log", field), field)
    for number in ("-1", "+3", "٣", "01", str(2**63), "1.0", ""):                  # not a position
        _refused(lambda: cursor.read_position(cursor.write("seq", number), "seq", field), field)
    for value in ("", "itm 1", "a" * 65, "itm_1/x"):                              # not an id
        _refused(lambda: cursor.read_after_id(cursor.write("after-id", value), field), field)
    for value in ("", "2026-01-05T12:00:00Z|dlv_1", "2026-01-05T12:00:00.000000Z|", "x|dlv_1"):
        _refused(lambda: cursor.read_moment(cursor.write("log", value), "log", field), field)
    for text in ("garbage!", "=", "\u00e9", "c2VxOjE=="):                          # not base64 of text
        _refused(lambda: cursor.read_position(text, "v", field), field)
    _refused(lambda: cursor.decode("/w", field), field)                           # not UTF-8
