"""PlainCopies: a learner's copy of an nbgrader cell becomes an ordinary cell instead of crashing nbgrader.

nbgrader's `DeduplicateIds` keeps the last cell with a given grade id and empties the `nbgrader`
metadata of the earlier copies; `OverwriteCells.add_missing_cells` (which this course turns on)
then reads `grade_id` from every cell with `nbgrader` metadata and fails the whole submission
with `KeyError: 'grade_id'` (nbgrader 0.9.6). A learner who copies a solution or an autograded
cell would lose the notebook for nothing. This step, right after `DeduplicateIds`, removes the
emptied metadata: the copy runs as an ordinary cell, and the kept cell is restored and graded
as usual (a copied autograded cell's `grade()` call runs outside any evidence window, so it
counts for nothing).
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool


class PlainCopies(NbGraderPreprocessor):
    """Remove the `nbgrader` metadata that DeduplicateIds emptied."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        for number, cell in enumerate(nb.cells, start=1):
            if cell.get("metadata", {}).get("nbgrader", None) == {}:
                del cell.metadata["nbgrader"]
                self.log.warning(
                    "Cell %d is a copy of an nbgrader cell (the last copy is the one graded); "
                    "it runs as an ordinary cell.",
                    number,
                )
        return nb, resources
