from advrun.cli import entry

entry()
