// TUI: see README, Architecture.
