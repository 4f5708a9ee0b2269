from advrun.cli import main

main()
