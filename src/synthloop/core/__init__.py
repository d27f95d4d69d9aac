"""Config and validation, seeds, the plan of jobs, provenance, job set-up and figure helpers: imports no other layer."""
