// Catalog: see README, Architecture.
