from pykamal.cli import main

main()
