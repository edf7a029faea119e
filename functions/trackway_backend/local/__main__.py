import sys

from trackway_backend.local.server import main

sys.exit(main())
