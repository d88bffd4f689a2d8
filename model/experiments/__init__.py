"""Many runs: executors, comparisons, parameter spaces, sensitivity, studies, docking."""

#: Most runs (design points x replications) a study may have unless its caller raises the limit
#: deliberately. Here rather than in a submodule, so that the command line can show it without
#: loading the experiment layer.
MAX_RUNS = 100_000
