import sys

from exportmatrix.cli import main

sys.exit(main())
