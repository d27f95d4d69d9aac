"""Real documents: loaders for the offline corpora, local files and Hugging Face datasets."""
