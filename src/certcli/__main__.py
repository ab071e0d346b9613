from certcli.cli import main

main()
