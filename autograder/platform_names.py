"""Names shared by what the build writes and what runs on a platform: the Gradescope zip's
plugin path, its recorded observations and the separate user its ``setup.sh`` makes. They live
here so that the builders (``targets``) and the front ends (``frontends``) never import each
other; the file format of the recorded observations lives with the engine (``engine.expected``)."""

GRADESCOPE_PLUGIN = "autograder.frontends.otter.AutograderPlugin"
EXPECTED_FILE = "expected.json"  # the answer key's observations, recorded by the build
STUDENT_USER = "autograder-student"  # made by setup.sh where bubblewrap cannot run
