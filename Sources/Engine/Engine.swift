// Engine: see README, Architecture.
