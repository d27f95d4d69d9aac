"""Study 4: self-consuming loops for image classifiers (kind: image_loop)."""
