from journey_workbook.cli import main

raise SystemExit(main())
