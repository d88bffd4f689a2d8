"""Many runs: executors, comparisons, parameter spaces, sensitivity, studies, docking."""
