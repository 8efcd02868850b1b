"""Autograding kit for deep-learning course assignments (Deep Learning with Python, taught in Korean).

One assignment is one unit (``autograder.assignment``); everything else is generic.
"""

import sys

# jsonschema, imported by nbformat, loads rfc3987_syntax when it is installed (jupyter-events asks
# for it), and that module builds an IRI parser at import: 1.5 s of CPU in every process of the
# kit (the CLI, each worker, otter's and nbgrader's runs). No notebook schema has an IRI field;
# without the module jsonschema simply does not check that format.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
