"""envs/synthloop.yaml (the jobs' conda environment) and pyproject.toml list the same dependencies,
and the conda one gives a CUDA build of PyTorch from conda-forge."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# Run the workflow (the driver process), not inside jobs: not in the jobs' environment.
DRIVER_ONLY = {"snakemake", "snakemake-executor-plugin-slurm"}
# pip name -> conda-forge name where they differ.
CONDA_NAMES = {"torch": "pytorch"}


# The cluster environment also carries the image-loop presets' extra (conda builds torchvision for its torch).
EXTRAS = ("vision",)
CONDA_ONLY = {"torchvision"}  # listed as a conda package, version chosen by conda to match pytorch


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = [*project["dependencies"], *(d for extra in EXTRAS for d in project["optional-dependencies"][extra])]
    parsed = {canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, deps)}
    return {name: spec for name, spec in parsed.items() if name not in DRIVER_ONLY | CONDA_ONLY}


def _env() -> dict:
    return yaml.safe_load((ROOT / "envs" / "synthloop.yaml").read_text())


def _conda_specs(env) -> dict[str, tuple[str, str]]:
    """conda MatchSpecs 'name version build' -> {name: (version, build)}."""
    specs = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, version, build = (re.split(r"\s+", dep.strip(), maxsplit=2) + ["", ""])[:3]
            name, inline = re.match(r"([A-Za-z0-9_.-]+)(.*)", name).groups()
            specs[name] = (version or inline.lstrip("="), build)
    return specs


def test_env_lists_the_pyproject_dependencies_with_the_same_bounds():
    env = _env()
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    listed = {canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, pip)}
    conda = _conda_specs(env)
    for pip_name, conda_name in CONDA_NAMES.items():
        version, _ = conda[conda_name]
        listed[pip_name] = str(Requirement(f"{pip_name}{version.replace(' ', '')}").specifier)
    assert listed == _pyproject()
    assert CONDA_ONLY <= set(conda)


def test_pytorch_is_a_cuda_build_from_conda_forge_without_the_deprecated_channel():
    env = _env()
    assert env["channels"] == ["conda-forge", "nodefaults"]
    version, build = _conda_specs(env)["pytorch"]
    assert build.startswith("cuda"), "a CPU build would leave GPU jobs on the CPU"
    cuda_version, _ = _conda_specs(env)["cuda-version"]
    assert Requirement(f"x{cuda_version}").specifier.contains("12.6")
