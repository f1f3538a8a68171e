"""Pure judgement: data in, report out. Never runs learner code.

How a model exercise is judged:
`observe.describe` (a model as plain JSON) -> `graph.from_description` (a call graph, read by
`keras_config`, nested models inlined) ->
`match` (pair its calls with the spec's, `graph.from_spec` of `exercises`) ->
`graph_exercises` (per-aspect checks, with `pitfalls` for known mistakes and
`compile_rules` for optimizer, losses and metrics) -> `report.Report`, held to half of its
points when it makes a named conceptual mistake (`exercises.NAMED_MISTAKES`).
The capstone is judged by its rules (`trend`), the custom layers from observations
(`layer_judge`). `feedback` words reports for answers that cannot be graded as a model.
"""
