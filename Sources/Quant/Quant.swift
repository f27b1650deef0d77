// Quant: see README, Architecture.
