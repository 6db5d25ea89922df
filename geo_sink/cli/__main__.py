from geo_sink.cli import main

main()
