"""`python -m checker COMMAND`: one module per command under checker/commands/.

Each command module has a docstring (its help), `configure(parser)` and `run(args) -> int`,
and imports nothing heavy at module level, so `--help` and `list` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from checker.quick_imports import skip_unused_optional_imports

skip_unused_optional_imports()

COMMANDS = ["list", "grade", "doctor", "generate", "solutions", "classroom"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checker", description="Grade Keras functional-API exercises and run the course."
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"checker.commands.{name}")
        summary = module.__doc__.strip().splitlines()[0]
        sub = subcommands.add_parser(
            name,
            help=summary,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure(sub)
        sub.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`| head`): nothing more to say
        sys.stdout = None
        return 0
