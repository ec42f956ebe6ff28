"""The one rule of every spreadsheet cell the appliance writes (SPEC 12.1): no text from outside
starts a formula, and numbers stay numbers."""
from hypothesis import given
from hypothesis import strategies as st

from motcua.sheets import cell


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.none()))
def test_no_exported_text_starts_a_formula_and_numbers_stay_numbers(v):
    out = cell(v)
    if isinstance(v, str):
        assert not out.startswith(("=", "+", "-", "@", "\t", "\r")) and out.lstrip("'") == v.lstrip("'")
    else:
        assert out == v or out is v
