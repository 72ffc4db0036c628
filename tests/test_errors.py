from kiban.errors import first_line


def test_first_line_quotes_the_first_line_of_a_long_message() -> None:
    assert first_line(ValueError("  bad header\nat line 3\n")) == "bad header"


def test_first_line_names_the_type_of_an_error_without_message() -> None:
    assert first_line(KeyError()) == "KeyError"
