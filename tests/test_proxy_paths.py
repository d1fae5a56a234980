"""Property: any path the proxy accepts stays under the account's API base URL, whatever
httpx (or a server normalising the path) makes of it."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from unifold import InvalidParameterError
from unifold._proxy import check_path

BASE = "https://api.capsulecrm.com/api/v2"
_ALPHABET = st.sampled_from(list("/.%\\?#;:@ aZ09-_~!$&'()*+,=\t\n\x00") + ["..", "%2e", "é"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_accepted_paths_stay_under_the_base(path: str) -> None:
    try:
        checked = check_path("/" + path, "capsule")
    except InvalidParameterError:
        return
    url = httpx.URL(BASE + checked)
    assert (url.scheme, url.host) == ("https", "api.capsulecrm.com")
    resolved = posixpath.normpath(unquote(urlsplit(str(url)).path))
    assert resolved == "/api/v2" or resolved.startswith("/api/v2/")
    assert "\\" not in str(url) and "%" not in checked
