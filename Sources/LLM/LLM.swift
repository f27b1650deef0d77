// LLM: see README, Architecture.
