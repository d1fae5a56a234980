"""Date conversions: the fast paths agree with the general parser on every input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unifold._engine.transforms import READ, WRITE, _read_datetime_parsed

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(moments)
def test_fast_paths_match_the_general_parser(moment: datetime) -> None:
    shapes = [
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),  # Capsule
        moment.strftime("%Y-%m-%d %H:%M:%S"),  # Insightly (UTC, no zone)
        moment.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"),  # Pipeliner
        moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",  # Planhat
        moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),  # Planhat, whole seconds
        moment.strftime("%Y-%m-%d"),  # plain dates
    ]
    for text in shapes:
        assert READ["datetime"](text) == _read_datetime_parsed(text), text


def test_every_provider_shape_takes_its_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each shape the providers send is matched by one pattern picked by its length; none may
    fall through to the (much slower) general parser."""
    from unifold._engine import transforms

    def parser_called(value: object) -> str:
        raise AssertionError(f"{value!r} took the general parser")

    monkeypatch.setattr(transforms, "_read_datetime_parsed", parser_called)
    for text in (
        "2015-12-07T16:54:27Z",
        "2021-05-12T03:00:00.120Z",
        "2015-12-09",
        "2014-10-05 16:53:35",
        "2019-02-01 07:41:49.529970+00:00",
    ):
        assert transforms.READ["datetime"](text).endswith("Z"), text


def test_read_datetime_normalises_every_provider_shape() -> None:
    read = READ["datetime"]
    assert read("2019-02-01 07:41:49.529970+00:00") == "2019-02-01T07:41:49.529Z"
    assert read("2019-02-01 07:41:49.529970+02:00") == "2019-02-01T05:41:49.529Z"
    assert read("2014-10-05 16:53:35") == "2014-10-05T16:53:35Z"
    assert read("2021-05-12T03:00:00.000Z") == "2021-05-12T03:00:00Z"
    assert read("2015-12-09") == "2015-12-09T00:00:00Z"
    assert read("not a date") == "not a date"  # lenient: passed through
    assert read("") is None and read(None) is None


def test_write_dates() -> None:
    assert WRITE["date"]("2024-12-31T23:30:00-08:00") == "2024-12-31"  # the caller's own date
    assert WRITE["date"](datetime(2024, 12, 31, 23, 30).astimezone()) == "2024-12-31"
    assert WRITE["datetime_space"]("2024-09-30T17:00:00Z") == "2024-09-30 17:00:00"
