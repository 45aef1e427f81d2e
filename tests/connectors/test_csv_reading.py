"""Reading a CSV export into text cells: every kept row knows the line it came from."""

from __future__ import annotations

from pathlib import Path

from connectors.csv_reading import read_table


def _read(tmp_path: Path, text: str, skip_rows: int = 0) -> tuple[list[list[str]], list[int]]:
    path = tmp_path / "invoices.csv"
    path.write_bytes(text.encode())
    table = read_table(path, encoding=None, delimiter=",", skip_rows=skip_rows)
    return table.frame.to_numpy().tolist(), list(table.lines)


def test_one_record_per_line_numbers_rows_from_line_two(tmp_path: Path) -> None:
    rows, lines = _read(tmp_path, "number,total\nINV-1,10\nINV-2,20\nINV-3,30\n")
    assert rows == [["INV-1", "10"], ["INV-2", "20"], ["INV-3", "30"]]
    assert lines == [2, 3, 4]


def test_a_cell_spanning_lines_moves_the_rows_after_it(tmp_path: Path) -> None:
    text = 'number,memo\nINV-1,"two\nlines"\nINV-2,plain\n\nINV-3,last'
    rows, lines = _read(tmp_path, text)
    assert rows == [["INV-1", "two\nlines"], ["INV-2", "plain"], ["INV-3", "last"]]
    assert lines == [2, 4, 6]


def test_blank_short_and_overlong_rows_keep_their_own_lines(tmp_path: Path) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text("number,total,memo\nINV-1,10\n\nINV-2,20,x,extra\nINV-3,30,y,\n")
    table = read_table(path, encoding=None, delimiter=",")
    assert table.frame.to_numpy().tolist() == [["INV-1", "10", ""], ["INV-3", "30", "y"]]
    assert list(table.lines) == [2, 5]
    assert list(table.rejected) == [(4, "4 fields but the header has 3; row skipped")]


def test_title_lines_above_the_header_count_in_the_line_numbers(tmp_path: Path) -> None:
    rows, lines = _read(tmp_path, "Sales report\r\nnumber,total\r\nINV-1,10\r\n", skip_rows=1)
    assert rows == [["INV-1", "10"]]
    assert lines == [3]


def test_blank_rows_under_a_one_column_header_are_dropped(tmp_path: Path) -> None:
    rows, lines = _read(tmp_path, "number\nINV-1\n\n   \nINV-2\n")
    assert rows == [["INV-1"], ["INV-2"]]
    assert lines == [2, 5]


def test_a_file_of_many_rows_keeps_every_line_number(tmp_path: Path) -> None:
    body = "".join(f"INV-{n},{n}\n" for n in range(1, 2001))
    rows, lines = _read(tmp_path, "number,total\n" + body)
    assert len(rows) == 2000
    assert rows[-1] == ["INV-2000", "2000"]
    assert lines == list(range(2, 2002))


def test_a_plain_file_reads_as_the_same_file_parsed_quote_by_quote(tmp_path: Path) -> None:
    """Files without quotes are cut whole; a quoted cell makes the row-by-row parse run."""
    body = "".join(f"INV-{n};{n}.50 ; memo {n} \r\n" for n in range(1, 50))
    plain = tmp_path / "plain.csv"
    plain.write_bytes(f"Report\r\nnumber; total ;memo\r\n{body}".encode())
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(f'Report\r\nnumber; total ;memo\r\n{body}"INV-50";1;x\r\n'.encode())
    cut = read_table(plain, encoding=None, delimiter=None, skip_rows=1)
    parsed = read_table(quoted, encoding=None, delimiter=None, skip_rows=1)
    assert list(cut.frame.columns) == ["number", "total", "memo"]
    assert cut.frame.equals(parsed.frame.iloc[:-1])
    assert cut.lines == parsed.lines[:-1]
    assert cut.lines[0] == 3
    assert parsed.frame.iloc[-1].tolist() == ["INV-50", "1", "x"]
