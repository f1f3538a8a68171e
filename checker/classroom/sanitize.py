"""What nbgrader reads of a submission, made safe before it reads it.

`refuse_linked_submissions`, nbgrader's pre-convert hook: a submission with a symbolic link in
it is not graded. nbgrader reads a submitted notebook, and copies every other submitted file into
the kernel's folder, as the grader, following links: a notebook that was a link to the solution
notebook in source/ was graded as the learner's (full marks), and a data file that was a link
to the gradebook (or to any file the grader may read) reached the learner's kernel, sandbox or
not. Links get into submitted/ when submissions are copied with their links (`cp -r` from
learners' homes, a hand-made exchange folder).

`PlainCopies`: a learner's copy of an nbgrader cell becomes an ordinary cell instead of crashing nbgrader.

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

import stat
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool
from traitlets.log import get_logger

from checker.classroom import folder_walk

REFUSED = "refused: the submission holds symbolic links"  # how the log (and a class run) says why


def refuse_linked_submissions(assignment=None, student=None, notebooks=None, log=None) -> None:
    """Empty nbgrader's list of the submission's notebooks when its folder holds a link.

    nbgrader ignores what a hook raises, but reads the list it hands in: empty, nbgrader fails the
    submission ("No notebooks found") right after copying its files, and removes that copy.
    `log`: where to say so (default: the running nbgrader application's log).
    """
    folders = {Path(notebook).parent for notebook in notebooks or []}
    linked = sorted({link for folder in folders for link in links_in_submission(folder)})
    if linked:
        shown = ", ".join(linked[:5]) + (f" and {len(linked) - 5} more" if len(linked) > 5 else "")
        (log or get_logger()).error("%s (%s): it is not graded. Copy the files themselves.", REFUSED, shown)
        notebooks.clear()


def links_in_submission(folder: Path) -> list[str]:
    """The links in a submission's folder (and the folder, or its student's folder, if a link).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "ann" / "01"
    >>> folder.mkdir(parents=True)
    >>> (folder / "01.ipynb").symlink_to("/etc/passwd")
    >>> links_in_submission(folder)
    ['ann/01/01.ipynb']
    """
    student = folder.parent
    found = [path for path in (student, folder) if path.is_symlink()]
    if not found:
        found = [path for path, info, _ in folder_walk.below(folder) if stat.S_ISLNK(info.st_mode)]
    return [str(path.relative_to(student.parent)) for path in found]


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
