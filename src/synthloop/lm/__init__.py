"""Language models: loading, training, prompts and generation (Hugging Face or vLLM)."""
