from moviegen.cli.main import run

run()
