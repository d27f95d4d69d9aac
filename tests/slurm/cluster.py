#!/usr/bin/env python3
"""A throwaway single-node SLURM cluster for synthloop's integration tests.

Debian/Ubuntu only, run as root (as in the dev container and CI). ``start(scratch)``
installs the Debian packages if they are missing, starts munge, writes
``/etc/slurm/slurm.conf`` and ``gres.conf`` from the templates beside this file (one node,
``localhost``, with every CPU, 3/4 of its memory and one fake GPU), starts ``slurmctld``
and ``slurmd`` and waits until the node is idle. ``stop(scratch)`` cancels any jobs left,
stops the daemons by the PIDs in their pid files and restores any ``/etc/slurm`` files it
replaced. Everything else (state, spool, pid and log files) lives under the scratch
directory. See /work/shared/notes/slurm-local.md for why each setting is what it is.

Command line::

    python tests/slurm/cluster.py start /tmp/slurm-scratch   # prints the partition name
    python tests/slurm/cluster.py stop /tmp/slurm-scratch
    python tests/slurm/cluster.py status

The config must live at /etc/slurm (``SLURM_CONF`` does not survive the jobstep plugin's
inner ``srun``), so only one such cluster can run on a machine at a time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONF_DIR = Path("/etc/slurm")
CONF_FILES = ("slurm.conf", "gres.conf")
BACKUP_SUFFIX = ".synthloop-backup"
MARKER = "written by synthloop tests/slurm/cluster.py"
PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
BINARIES = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel", "munged", "munge", "unmunge")
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MUNGE_DIR = Path("/run/munge")
MUNGE_PIDFILE = MUNGE_DIR / "munged.pid"
MUNGE_KEY = Path("/etc/munge/munge.key")
SLURMCTLD_PORT = 6817
DEFAULT_PARTITION = "debug"
STATE_FILE = "cluster.json"


class ClusterError(RuntimeError):
    """The local cluster could not be installed, started or stopped."""


# -- helpers ---------------------------------------------------------------------------------


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SBIN_PATH)


def _binary(name: str) -> str:
    found = _which(name)
    if found is None:
        raise ClusterError(f"{name} not found on PATH or in {SBIN_PATH}")
    return found


def _run(args, check=True, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise ClusterError(f"`{' '.join(map(str, args))}` exited {result.returncode}:\n{result.stdout}{result.stderr}".rstrip())
    return result


def _log(message: str) -> None:
    print(f"[slurm-harness] {message}", file=sys.stderr, flush=True)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (reparented daemons are reaped late)."""
    result = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    stat = result.stdout.strip()
    return bool(stat) and not stat.startswith("Z")


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _terminate(pid: int, name: str, timeout: float = 15.0) -> None:
    """SIGTERM the process with this PID, then SIGKILL it if it has not gone after `timeout`."""
    if not _alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if _wait_for(lambda: not _alive(pid), timeout):
        _log(f"stopped {name} (pid {pid})")
        return
    _log(f"{name} (pid {pid}) ignored SIGTERM for {timeout:.0f} s; sending SIGKILL")
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if not _wait_for(lambda: not _alive(pid), 5.0):
        raise ClusterError(f"could not stop {name} (pid {pid})")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- installation ----------------------------------------------------------------------------


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if _which(name) is None]


def unavailable() -> str | None:
    """Why this machine cannot run the throwaway cluster (None: it can): the daemons need root, and a
    missing SLURM is installed with apt-get."""
    if os.geteuid() != 0:
        return "the local SLURM harness needs root (it writes /etc/slurm and starts slurmctld, slurmd and munged)"
    missing = missing_binaries()
    if missing and _which("apt-get") is None:
        return f"SLURM is not installed ({', '.join(missing)} missing) and there is no apt-get to install {' '.join(PACKAGES)} with"
    return None


def ensure_packages() -> None:
    """Install the Debian SLURM and munge packages if any binary is missing; raise if that fails."""
    missing = missing_binaries()
    if not missing:
        return
    _log(f"missing {', '.join(missing)}; installing {' '.join(PACKAGES)} with apt-get")
    if os.geteuid() != 0:
        raise ClusterError(f"SLURM is not installed ({', '.join(missing)} missing) and installing it needs root")
    apt = _which("apt-get")
    if apt is None:
        raise ClusterError(
            f"SLURM is not installed ({', '.join(missing)} missing) and there is no apt-get to install {' '.join(PACKAGES)} with"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        _run([apt, "update"], timeout=300, env=env)
        _run([apt, "install", "-y", "--no-install-recommends", *PACKAGES], timeout=600, env=env)
    except (ClusterError, subprocess.TimeoutExpired) as error:
        raise ClusterError(f"could not install the SLURM packages {' '.join(PACKAGES)}: {error}") from error
    still = missing_binaries()
    if still:
        raise ClusterError(f"installed {' '.join(PACKAGES)} but {', '.join(still)} are still missing")


# -- munge -----------------------------------------------------------------------------------


def munge_works() -> bool:
    munge, unmunge = _which("munge"), _which("unmunge")
    if not (munge and unmunge):
        return False
    try:
        credential = subprocess.run([munge, "-n"], capture_output=True, timeout=5)
        if credential.returncode != 0:
            return False
        decoded = subprocess.run([unmunge], input=credential.stdout, capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return decoded.returncode == 0


def start_munge() -> bool:
    """Start munged as the munge user unless one already answers; True if this call started it."""
    if munge_works():
        _log("munged already running; leaving it alone")
        return False
    if not MUNGE_KEY.exists():
        _run([_binary("mungekey"), "--create", f"--keyfile={MUNGE_KEY}"])
        shutil.chown(MUNGE_KEY, "munge", "munge")
        MUNGE_KEY.chmod(0o400)
    MUNGE_DIR.mkdir(parents=True, exist_ok=True)
    shutil.chown(MUNGE_DIR, "munge", "munge")
    MUNGE_DIR.chmod(0o755)
    # --force: a socket or pid file left by a killed munged must not stop us (none answers, see above).
    _run([_binary("runuser"), "-u", "munge", "--", _binary("munged"), "--force"])
    if not _wait_for(munge_works, 10):
        raise ClusterError(f"munged started but `munge -n | unmunge` fails:\n{_tail(Path('/var/log/munge/munged.log'))}")
    _log(f"started munged (pid {_read_pid(MUNGE_PIDFILE)})")
    return True


# -- configuration ---------------------------------------------------------------------------


def real_memory_mb() -> int:
    out = _run([_binary("slurmd"), "-C"]).stdout
    match = re.search(r"RealMemory=(\d+)", out)
    if not match:
        raise ClusterError(f"`slurmd -C` printed no RealMemory:\n{out}")
    return max(1000, int(match.group(1)) * 3 // 4)


def render(template: str, **values) -> str:
    return string.Template((HERE / template).read_text()).substitute(marker=MARKER, **values)


def install_config(scratch: Path, partition: str) -> dict:
    """Write /etc/slurm/{slurm,gres}.conf, backing up files that this harness did not write."""
    CONF_DIR.mkdir(parents=True, exist_ok=True)
    values = {"scratch": str(scratch), "cpus": os.cpu_count() or 1, "real_memory": real_memory_mb(), "partition": partition}
    backups = {}
    for name in CONF_FILES:
        target = CONF_DIR / name
        backup = CONF_DIR / (name + BACKUP_SUFFIX)
        if target.exists() and MARKER not in target.read_text(errors="replace"):
            if backup.exists():
                raise ClusterError(f"both {target} and {backup} exist; restore one of them by hand")
            shutil.copy2(target, backup)
            backups[name] = str(backup)
            _log(f"backed up {target} to {backup}")
        elif backup.exists():
            backups[name] = str(backup)  # left by an earlier run that did not stop cleanly
        target.write_text(render(name + ".in", **values))
    return {"backups": backups, **values}


def restore_config() -> None:
    for name in CONF_FILES:
        target = CONF_DIR / name
        backup = CONF_DIR / (name + BACKUP_SUFFIX)
        if backup.exists():
            os.replace(backup, target)
            _log(f"restored {target}")
        elif target.exists() and MARKER in target.read_text(errors="replace"):
            target.unlink()


# -- start and stop --------------------------------------------------------------------------


def node_state() -> str:
    result = subprocess.run([_binary("sinfo"), "-h", "-o", "%T"], capture_output=True, text=True, timeout=10)
    return result.stdout.strip() if result.returncode == 0 else ""


def start(scratch_dir, partition: str = DEFAULT_PARTITION, timeout: float = 60.0) -> dict:
    """Install if needed and start the cluster; return its description (also in scratch/cluster.json).

    Raises ClusterError (after cleaning up what it started) if anything fails.
    """
    began = time.monotonic()
    scratch = Path(scratch_dir).resolve()
    if os.geteuid() != 0:
        raise ClusterError("the local SLURM harness must run as root (it writes /etc/slurm and starts daemons)")
    ensure_packages()
    if (scratch / STATE_FILE).exists():
        raise ClusterError(f"{scratch} already holds a cluster; stop it first (cluster.py stop {scratch})")
    if _port_in_use(SLURMCTLD_PORT):
        raise ClusterError(f"something already listens on port {SLURMCTLD_PORT}: another slurmctld is running")
    for sub in ("state", "spool"):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    state = {"scratch": str(scratch), "partition": partition, "munge_started": False}
    (scratch / STATE_FILE).write_text(json.dumps(state))
    try:
        state["munge_started"] = start_munge()
        (scratch / STATE_FILE).write_text(json.dumps(state))
        state.update(install_config(scratch, partition))
        (scratch / STATE_FILE).write_text(json.dumps(state))
        _run([_binary("slurmctld"), "-c"])
        _run([_binary("slurmd"), "-N", "localhost"])
        if not _wait_for(lambda: node_state() == "idle", timeout, interval=0.5):
            raise ClusterError(
                f"the node did not become idle within {timeout:.0f} s (sinfo says {node_state()!r})\n"
                f"--- slurmctld.log\n{_tail(scratch / 'slurmctld.log')}\n--- slurmd.log\n{_tail(scratch / 'slurmd.log')}"
            )
    except BaseException:
        try:
            stop(scratch)
        except ClusterError as error:
            _log(f"cleanup after a failed start: {error}")
        raise
    state["pids"] = {name: _read_pid(scratch / f"{name}.pid") for name in ("slurmctld", "slurmd")}
    (scratch / STATE_FILE).write_text(json.dumps(state))
    _log(
        f"cluster up in {time.monotonic() - began:.1f} s: partition {partition}, {state['cpus']} CPUs, "
        f"{state['real_memory']} MB, 1 fake GPU; scratch {scratch}"
    )
    return state


def cancel_jobs(timeout: float = 20.0) -> None:
    squeue, scancel = _which("squeue"), _which("scancel")
    if not (squeue and scancel):
        return
    listed = subprocess.run([squeue, "-h", "-o", "%i"], capture_output=True, text=True, timeout=10)
    ids = listed.stdout.split() if listed.returncode == 0 else []
    if not ids:
        return
    _log(f"cancelling jobs left in the queue: {' '.join(ids)}")
    subprocess.run([scancel, *ids], capture_output=True, timeout=10)

    def drained():
        out = subprocess.run([squeue, "-h", "-t", "PD,R,CG,S", "-o", "%i"], capture_output=True, text=True, timeout=10)
        return out.returncode != 0 or not out.stdout.strip()

    _wait_for(drained, timeout, interval=0.5)


def stop(scratch_dir) -> None:
    """Stop what start() started (by PID), restore /etc/slurm; raise ClusterError if a step failed."""
    scratch = Path(scratch_dir).resolve()
    state_path = scratch / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        state = {"munge_started": False}
    errors = []
    pids = {name: _read_pid(scratch / f"{name}.pid") for name in ("slurmd", "slurmctld")}
    if pids["slurmctld"] and _alive(pids["slurmctld"]):
        try:
            cancel_jobs()
        except (subprocess.SubprocessError, OSError) as error:
            errors.append(f"cancelling jobs: {error}")
    for name in ("slurmd", "slurmctld"):  # the node first, then the controller
        pid = pids[name] or (state.get("pids") or {}).get(name)
        if pid:
            try:
                _terminate(pid, name)
            except ClusterError as error:
                errors.append(str(error))
    if state.get("munge_started"):
        pid = _read_pid(MUNGE_PIDFILE)
        if pid:
            try:
                _terminate(pid, "munged")
            except ClusterError as error:
                errors.append(str(error))
    try:
        restore_config()
    except OSError as error:
        errors.append(f"restoring /etc/slurm: {error}")
    if state_path.exists():
        state_path.unlink()
    if errors:
        raise ClusterError("; ".join(errors))


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="install if needed, start, wait until idle")
    p_start.add_argument("scratch")
    p_start.add_argument("--partition", default=DEFAULT_PARTITION)
    p_start.add_argument("--timeout", type=float, default=60.0)
    p_stop = sub.add_parser("stop", help="cancel jobs, stop the daemons, restore /etc/slurm")
    p_stop.add_argument("scratch")
    sub.add_parser("status", help="print the node state")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(start(args.scratch, args.partition, args.timeout)["partition"])
        elif args.command == "stop":
            stop(args.scratch)
        else:
            state = node_state()
            print(state or "down")
            return 0 if state else 1
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
