"""Which payment reference an entry carries: a Belgian structured one only when its check digits hold."""

from __future__ import annotations

import pytest

from connector.engine.payment_reference import check


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("+++084/2613/66074+++", "+++084/2613/66074+++"),
        ("***084/2613/66074***", "+++084/2613/66074+++"),
        ("084/2613/66074", "+++084/2613/66074+++"),
        ("  +++084 / 2613 / 66074+++ ", "+++084/2613/66074+++"),
        ("+++000/0000/09797+++", "+++000/0000/09797+++"),  # 97 mod 97 is 0: check digits 97
    ],
)
def test_a_valid_structured_reference_is_sent_in_its_printed_form(written: str, sent: str) -> None:
    assert check(written).value == sent
    assert check(written).problem is None


def test_wrong_check_digits_leave_the_reference_out_and_say_which_they_should_be() -> None:
    checked = check("+++084/2613/66075+++")

    assert checked.value is None
    assert checked.problem is not None
    assert "check digits are 75" in checked.problem and "modulo 97 gives 74" in checked.problem


def test_a_structured_reference_with_a_digit_missing_is_left_out_not_sent_half() -> None:
    checked = check("+++084/2613/6607+++")

    assert checked.value is None
    assert checked.problem is not None and "11 digits, not 12" in checked.problem


@pytest.mark.parametrize("text", ["2026 / 17", "RF18539007547034", "INV-2026-0017", "84/2613"])
def test_another_text_is_sent_as_it_is(text: str) -> None:
    assert check(text).value == text
    assert check(text).problem is None


@pytest.mark.parametrize("text", [None, "", "   "])
def test_nothing_gives_no_reference(text: str | None) -> None:
    assert check(text).value is None
    assert check(text).problem is None
