from lampdesk.cli import main

raise SystemExit(main())
