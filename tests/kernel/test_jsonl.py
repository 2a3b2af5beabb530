"""Hand-written JSON-lines files: each kind of damage names the file and the line."""

import pytest

from mediawatch.jsonl import read_objects


class Bad(Exception):
    pass


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"a": 1}\n\n{"a": 2\n', "line 3: not valid JSON"),
        (b'{"a": 1}\n[1, 2]\n', "line 2: expected a JSON object, got list"),
        (b'{"a": 1}\n' + '{"a": "رشت"}'.encode("cp1256") + b"\n", "line 2: not UTF-8 text"),
    ],
)
def test_damage_is_named_with_file_and_line(tmp_path, content, needle):
    p = tmp_path / "labels.jsonl"
    p.write_bytes(content)
    with pytest.raises(Bad, match=needle) as exc:
        list(read_objects(p, Bad))
    assert str(p) in str(exc.value)


def test_blank_lines_are_skipped_and_a_bom_is_tolerated(tmp_path):
    p = tmp_path / "ok.jsonl"
    p.write_bytes('\ufeff{"id": 1}\n\n{"id": 2}\n'.encode())
    assert [(n, o["id"]) for n, o in read_objects(p, Bad)] == [(1, 1), (3, 2)]
