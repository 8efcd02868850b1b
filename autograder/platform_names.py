"""Names shared by what the build writes and what runs on a platform: the Gradescope zip's
plugin path, its recorded observations, the separate user its ``setup.sh`` makes and the line
that puts the kit before otter. They live here so that the builders (``targets``) and the front
ends (``frontends``) never import each other; the file format of the recorded observations lives
with the engine (``engine.expected``)."""

GRADESCOPE_PLUGIN = "autograder.frontends.otter.AutograderPlugin"
EXPECTED_FILE = "expected.json"  # the answer key's observations, recorded by the build
STUDENT_USER = "autograder-student"  # made by setup.sh where bubblewrap cannot run
# First in otter's run_otter.py (the build) and in otter's own kernel (the plugin): the kit,
# imported before otter's nbformat, keeps jsonschema from building an IRI parser
# (``autograder/__init__.py``), 1.4 s of CPU in each of the two processes of every Gradescope run.
KIT_FIRST = "import autograder  # noqa: F401  (before otter: see the kit's __init__)\n"
