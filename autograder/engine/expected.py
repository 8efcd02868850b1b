"""The answer key's observations as a file: the build records them where the answer key is not
shipped (the Gradescope zip), and the front end there reads them back."""

from __future__ import annotations

import json

from .cases import ProbeKey


def dump_expected(expected: dict) -> str:
    """question -> [[target, kind, index, observation]], without how long each call took (so
    the same sources give the same file)."""
    return json.dumps({question: [[key.target, key.kind, key.index,
                                   {k: v for k, v in observation.items() if k != "seconds"}]
                                  for key, observation in sorted(observations.items())]
                       for question, observations in expected.items()}, sort_keys=True)


def load_expected(text: str) -> dict:
    return {question: {ProbeKey(target, kind, index): observation for target, kind, index, observation in entries}
            for question, entries in json.loads(text).items()}
