"""Code that runs a learner's code, to turn a model or a layer class into plain data.

Nothing here judges: the data goes to `checker.judge`. In class grading this runs inside the
sandboxed kernel or the sandboxed probe, never in the grader's own process.
"""
