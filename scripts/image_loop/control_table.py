from synthloop.core.jobs import start

log = start(snakemake)
import json
from pathlib import Path

from synthloop.data import images
from synthloop.studies.image_loop.control import run_table

p, i = snakemake.params, snakemake.input
real = {path: images.read(path) for path in dict.fromkeys(i.real_train)}
runs = [
    (keys, real[r], images.read(g), json.loads(Path(s).read_text())) for keys, r, g, s in zip(p.runs, i.real_train, i.generated, i.summary)
]
table = run_table(runs, p.control, p.colours)
log.info("control:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)
