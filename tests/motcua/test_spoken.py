"""Numbers, labels and counters in Vietnamese words, as the wall screen and the kiosk say them:
numbers by the rules of lăm, mốt and linh (a property), labels always spelled letter by letter,
and SPEC section 8's examples."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.spoken import counter_words, label_words, number_words, phrase


@pytest.mark.parametrize("n,words", [
    (0, "không"), (4, "bốn"), (10, "mười"), (11, "mười một"), (14, "mười bốn"), (15, "mười lăm"), (20, "hai mươi"),
    (21, "hai mươi mốt"), (24, "hai mươi tư"), (25, "hai mươi lăm"), (101, "một trăm linh một"),
    (110, "một trăm mười"), (999, "chín trăm chín mươi chín"), (1000, "một nghìn"),
    (1005, "một nghìn không trăm linh năm"), (1025, "một nghìn không trăm hai mươi lăm"),
    (2024, "hai nghìn không trăm hai mươi tư"),
])
def test_numbers_in_vietnamese(n, words):
    assert number_words(n) == words


@given(st.integers(0, 9999))
def test_number_words_follow_the_rules(n):
    w = number_words(n)
    assert "mười năm" not in w and "mươi năm" not in w, "5 after tens is lăm"
    assert "mươi một" not in w, "1 after twenty and up is mốt"
    assert "không mươi" not in w and "linh không" not in w
    assert w.split()[0] != "không" or n == 0


@given(st.text(alphabet="ABCDEGHK", max_size=2), st.integers(0, 9999), st.sampled_from([3, 4]))
def test_labels_are_spelled_never_left_to_the_engine(prefix, n, width):
    label = f"{prefix}{n:0{width}d}"
    spoken = label_words(label, "digits")
    assert spoken.count(",") == len(label) - 1, "every letter and digit its own word"
    assert not any(ch.isdigit() for ch in spoken) and not any(ch.isupper() for ch in spoken)


def test_the_spec_examples():
    assert label_words("A012") == "a, không, một, hai"
    assert label_words("A012", "number") == "a, mười hai"
    assert counter_words("5") == "năm"
    assert counter_words("5", {"5": "tiếp nhận hồ sơ đất đai"}) == "tiếp nhận hồ sơ đất đai"
    assert counter_words("tn-2") == "tê en-nờ hai", "an id that is not a number: spelled"
    assert phrase("A012", "5") == "Xin mời công dân có số thứ tự a, không, một, hai đến quầy số năm"

