"""The `yishiting` command line: migrate, load-demo, serve and the subcommands."""
