"""Study 3: bias inheritance in LLM data augmentation (kind: inheritance)."""
