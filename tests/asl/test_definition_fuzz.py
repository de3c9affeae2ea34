"""A definition mutator (issue 12): the conformance suite's definitions (from the ASL specification and
AWS's documentation, see tests/asl/asl_conformance.py), mutated at random, must either be refused with
DefinitionError or run to an end in `sojourn.run`: no exception escapes, every execution ends within its
bounds (a terminal status, a history within 25,000 events).

Seeded and bounded: `SOJOURN_FUZZ_DEFINITIONS` (default 3000) mutants, `SOJOURN_FUZZ_SEED` (default 12).
For a long local run: `SOJOURN_FUZZ_DEFINITIONS=24000 pytest tests/asl/test_definition_fuzz.py -o timeout=0`.
"""

from __future__ import annotations

import copy
import json
import os
import random
from typing import Any

import pytest
import test_conformance_choice
import test_conformance_errors
import test_conformance_intrinsics
import test_conformance_io
import test_conformance_jsonata
import test_conformance_map_parallel
import test_conformance_runtime
import test_conformance_variables

import sojourn
from sojourn.asl.budget import Limits
from sojourn.asl.interpreter import MAX_HISTORY_EVENTS
from sojourn.asl.loader import DefinitionError

COUNT = int(os.environ.get("SOJOURN_FUZZ_DEFINITIONS", "3000"))
SEED = int(os.environ.get("SOJOURN_FUZZ_SEED", "12"))
LIMITS = Limits(step_seconds=0.05, run_seconds=0.3)
ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

HOSTILE = [
    "{% function($x){$x($x)}(function($x){$x($x)}) %}",
    "{% $count([1..10000000]) %}",
    "{% $pad('', 10000000) %}",
    "{% ($f := function($n){ 1 + $f($n) }; $f(1)) %}",
    "{% $states.input %}",
    "{% $states.context %}",
    "{% null %}",
    "{% [1..20000] %}",
    "{% $range(0, 10, 1) %}",
    "{% %}",
    "{% $$ %}",
    "States.ArrayRange(0, 1000000000, 1)",
    "States.Format('{}{}', $.a)",
    "$..*",
    "$.[?(@.a > 1)]",
    "$$.Execution.Input",
    "$",
    "$.nothing",
    "",
    10**40,
    -1,
    0,
    1e308,
    99999999,
    True,
    None,
    [],
    {},
    [1, 2, 3],
    {"a": {"b": [1, {"c": 2}]}},
    "\ud800",
    "2016-03-14T01:59:00Z",
    "not a date",
    "a" * 300,
]


def corpus() -> list[dict[str, Any]]:
    """Every definition of the conformance suite: the seeds the mutants are made from."""
    modules = [
        test_conformance_choice,
        test_conformance_errors,
        test_conformance_intrinsics,
        test_conformance_io,
        test_conformance_jsonata,
        test_conformance_map_parallel,
        test_conformance_runtime,
        test_conformance_variables,
    ]
    return [case.definition for module in modules for case in getattr(module, "CASES", [])]


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _leaves(value, (*path, index))
    return found


def _parent(root: Any, path: tuple) -> Any:
    for step in path[:-1]:
        root = root[step]
    return root


def mutate(definition: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One to three random changes: a value replaced by a hostile one, a field dropped or added,
    a loop made."""
    mutant = copy.deepcopy(definition)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        paths = [path for path in _leaves(mutant) if path]
        if not paths:
            break
        path = rng.choice(paths)
        parent, key = _parent(mutant, path), path[-1]
        choice = rng.random()
        if choice < 0.55:  # mostly a value of the same kind, so that more mutants get past validation
            same = [value for value in HOSTILE if type(value) is type(parent[key])]
            parent[key] = copy.deepcopy(rng.choice(same if same and rng.random() < 0.8 else HOSTILE))
        elif choice < 0.7 and isinstance(parent, dict):
            del parent[key]
        elif choice < 0.85 and isinstance(parent, dict):
            field = rng.choice(
                [
                    "Retry",
                    "Catch",
                    "Next",
                    "MaxConcurrency",
                    "Items",
                    "Output",
                    "Assign",
                    "Seconds",
                    "TimeoutSeconds",
                    "Parameters",
                    "ResultPath",
                    "QueryLanguage",
                    "Arguments",
                ]
            )
            parent[field] = copy.deepcopy(
                rng.choice(
                    [
                        *HOSTILE,
                        [
                            {
                                "ErrorEquals": ["States.ALL"],
                                "MaxAttempts": 99999999,
                                "IntervalSeconds": 1,
                                "BackoffRate": 1,
                            }
                        ],
                        [{"ErrorEquals": ["States.ALL"], "Next": rng.choice(_state_names(mutant))}],
                        "JSONata",
                        "JSONPath",
                    ]
                )
            )
        else:  # a state that goes back to itself
            states = mutant.get("States")
            if isinstance(states, dict) and states:
                name = rng.choice(list(states))
                if isinstance(states[name], dict):
                    states[name].pop("End", None)
                    states[name]["Next"] = name
    return mutant


def _state_names(definition: Any) -> list[str]:
    states = definition.get("States") if isinstance(definition, dict) else None
    return list(states) if isinstance(states, dict) and states else ["S"]


def _echo(parameters: Any) -> Any:
    return parameters


def test_mutated_definitions_are_refused_or_run_to_an_end():
    rng = random.Random(SEED)
    seeds = corpus()
    refused = ran = 0
    for number in range(COUNT):
        mutant = mutate(rng.choice(seeds), rng)
        try:
            result = sojourn.run(
                mutant,
                {"a": 1, "items": [1, 2]},
                resources=_echo,
                clock=sojourn.VirtualClock(),
                seed=number,
                limits=LIMITS,
            )
        except DefinitionError:
            refused += 1
            continue
        except Exception as e:  # an escaped exception is the bug this test looks for
            pytest.fail(f"mutant {number} raised {e!r}:\n{json.dumps(mutant, default=repr)[:2000]}")
        ran += 1
        assert result.status in ENDED, (number, result.status)
        assert len(result.history) <= MAX_HISTORY_EVENTS + 2, (number, len(result.history))
    print(f"\n{COUNT} mutants of {len(seeds)} definitions: {refused} refused, {ran} ran to an end")
    assert ran and refused
