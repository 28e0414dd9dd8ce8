from mfagen.cli import main

main()
