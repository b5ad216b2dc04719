"""External file formats: one reader per benchmark layout (PandaLM, LLMBar, MT-Bench, AlpacaEval,
tables) that checks every record and hands rows to the store's bulk import, and the exporters."""
