"""synthloop: Snakemake studies of models trained on what models wrote.

Layers (imports point one way): core -> data | lm | loop -> scorers -> analysis -> studies.
"""
