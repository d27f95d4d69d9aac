"""What only one study uses: neurons (study 1), clusters and lean partitions (study 2)."""
