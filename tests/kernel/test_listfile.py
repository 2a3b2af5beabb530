"""The one reader of the committee's list files (lexicons, gazetteer, datelines)."""

import pytest

from mediawatch.errors import ConfigError
from mediawatch.listfile import read_list


def test_entries_in_order_without_comments_blanks_or_repeats(tmp_path):
    p = tmp_path / "list.txt"
    p.write_text("# a comment\n  رشت  \n\nگلسار\n   # indented comment\nرشت\nبلوار گیلان\n", encoding="utf-8")
    assert read_list(p) == ("رشت", "گلسار", "بلوار گیلان")


def test_a_list_in_another_encoding_is_named(tmp_path):
    p = tmp_path / "places.txt"
    p.write_bytes("رشت\nگلسار\n".encode("cp1256"))
    with pytest.raises(ConfigError, match=r"places\.txt: not UTF-8"):
        read_list(p)
