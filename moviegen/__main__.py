from moviegen.cli.entry import run

run()
