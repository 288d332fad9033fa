"""Promotion gates: the syntax the trainer and the CLI share, and when a gate holds."""

from __future__ import annotations

import pytest

from training.gate import EVAL_METRICS, Gate, normalise, parse_gate

NOT_A_GATE = (
    "is not a gate; use METRIC>=VALUE, METRIC<=VALUE, METRIC>VALUE, METRIC<VALUE, or METRIC>=@ALIAS "
    "(against the version holding ALIAS)"
)


@pytest.mark.parametrize(
    ("text", "gate", "normal"),
    [
        ("mean_return>=450", Gate("mean_return", ">=", value=450.0), "mean_return>=450"),
        (" mean_return >= 450.0 ", Gate("mean_return", ">=", value=450.0), "mean_return>=450"),
        ("std_return<2.5", Gate("std_return", "<", value=2.5), "std_return<2.5"),
        ("success_rate>0.9", Gate("success_rate", ">", value=0.9), "success_rate>0.9"),
        ("action_mse<=-1e-3", Gate("action_mse", "<=", value=-0.001), "action_mse<=-0.001"),
        ("mean_return>=@champion", Gate("mean_return", ">=", alias="champion"), "mean_return>=@champion"),
        ("mean_return>@prod-2", Gate("mean_return", ">", alias="prod-2"), "mean_return>@prod-2"),
    ],
)
def test_each_gate_form_parses_to_its_normal_form(text: str, gate: Gate, normal: str) -> None:
    assert parse_gate(text) == gate
    assert str(parse_gate(text)) == normal
    assert parse_gate(normal) == gate  # the normal form reads back the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mean_return=>1", f"'mean_return=>1' {NOT_A_GATE}"),
        ("mean_return==1", f"'mean_return==1' {NOT_A_GATE}"),
        ("mean_return", f"'mean_return' {NOT_A_GATE}"),
        ("mean_return>=@", f"'mean_return>=@' {NOT_A_GATE}"),
        ("mean_return>=1 2", f"'mean_return>=1 2' {NOT_A_GATE}"),
        ("mean_return>=x", "'x' in 'mean_return>=x' is not a number"),
        ("mean_return>=inf", "'inf' in 'mean_return>=inf' is not a finite number"),
        ("mean_return>=nan", "'nan' in 'mean_return>=nan' is not a finite number"),
        ("reward>=1", "'reward' is not a metric the evaluation produces; accepted: " + ", ".join(EVAL_METRICS)),
    ],
)
def test_a_bad_gate_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_gate(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("gate", "measured", "reference", "holds"),
    [
        ("mean_return>=450", 450.0, None, True),
        ("mean_return>=450", 449.9, None, False),
        ("mean_return>450", 450.0, None, False),
        ("std_return<=2", 2.0, None, True),
        ("std_return<2", 2.0, None, False),
        ("mean_return>@champion", 101.0, 100.0, True),
        ("mean_return>@champion", 100.0, 100.0, False),
        ("mean_return>=@champion", 100.0, 100.0, True),
        ("mean_return>=@champion", 5.0, None, True),  # no champion yet: nothing to beat
        ("std_return<@champion", 3.0, 2.0, False),
    ],
)
def test_a_gate_holds_by_its_operator_and_an_alias_gate_without_a_holder_holds(
    gate: str, measured: float, reference: float | None, holds: bool
) -> None:
    assert parse_gate(gate).holds(measured, reference) is holds


def test_several_gates_are_each_normalised() -> None:
    assert normalise(("mean_return >= 450.0", "std_return<3")) == ("mean_return>=450", "std_return<3")
