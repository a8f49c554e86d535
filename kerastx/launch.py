"""``kerastx launch``: the workers of a multi-worker run (``tf.distribute.MultiWorkerMirroredStrategy``), each with
the ``TF_CONFIG`` that names the whole cluster and its own place in it.

    kerastx launch --workers 2 -- python -m kerastx.recipes.text_classification --config recipes/mrpc.yaml
    kerastx launch --hosts gpu1:12345,gpu2:12345 --print -- python -m kerastx.recipes.translation ...
    kerastx launch --hosts gpu1:12345,gpu2:12345 --index 1 -- python -m kerastx.recipes.translation ...

``--workers N`` starts N workers on this machine (free ports on 127.0.0.1). ``--hosts`` lists one address per
machine: ``--print`` shows each machine's command, ``--index I`` starts this machine's worker. Each worker's
output comes back line by line behind ``[wI]``. The launcher exits with the chief's (worker 0's) status.

A worker that dies while the others train leaves them waiting for it inside TensorFlow's collectives: the launcher
says on one line which worker died and how, stops the others (SIGTERM, then SIGKILL after ``--stop_timeout``
seconds) and exits with the dead worker's status; the same command resumes the run from its last checkpoint, as
for one process. SIGTERM or Ctrl-C to the launcher reaches every worker (each checkpoints and exits 143).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from kerastx.config import OneLineParser, print_error_and_exit

PROG = "kerastx launch"
DEFAULT_PORT = 12345
STOP_SECONDS = 60.0  # how long stopped workers get before SIGKILL


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0],
                           usage=f"{PROG} (--workers N | --hosts HOST[:PORT],... (--print | --index I)) -- COMMAND...")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--workers", type=int, help="Start this many workers on this machine (127.0.0.1).")
    where.add_argument("--hosts", help=f"The cluster's machines, comma-separated, one worker each "
                                       f"(host or host:port; port {DEFAULT_PORT} when left out).")
    parser.add_argument("--index", type=int, help="With --hosts: start the worker of this machine, the I-th host.")
    parser.add_argument("--print", action="store_true", help="With --hosts: print each machine's command.")
    parser.add_argument("--stop_timeout", type=float, default=STOP_SECONDS,
                        help="Seconds stopped workers get to exit before SIGKILL (default: %(default)s).")
    return parser


@dataclass
class Worker:
    index: int
    process: subprocess.Popen

    @property
    def status(self) -> int | None:
        return self.process.poll()


def tf_config(addresses: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` (worker 0 is the chief, which writes the run)."""
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def local_addresses(workers: int) -> list[str]:
    """``workers`` free ports on 127.0.0.1 (held open together while chosen, so that they differ)."""
    sockets = [socket.socket() for _ in range(workers)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def host_addresses(hosts: str) -> list[str]:
    addresses = []
    for host in (h.strip() for h in hosts.split(",")):
        name, _, port = host.partition(":")
        if not name or (port and not port.isdigit()):
            raise ValueError(f"--hosts: '{host}' is not HOST or HOST:PORT")
        addresses.append(f"{name}:{port or DEFAULT_PORT}")
    if len(set(addresses)) < len(addresses):
        raise ValueError(f"--hosts names an address twice: {hosts}")
    return addresses


def how_it_ended(status: int) -> str:
    return f"was killed by {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"


def exit_status(status: int) -> int:
    """A worker's status as a shell reports it (a signal N: 128 + N)."""
    return 128 - status if status < 0 else status


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    given, command = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    parser = build_parser()
    args = parser.parse_args(given)
    try:
        if not command:
            raise ValueError("give the command each worker runs after --, e.g. -- python -m "
                             "kerastx.recipes.text_classification --config recipes/mrpc.yaml")
        if args.workers is not None:
            if args.workers < 1:
                raise ValueError(f"--workers must be 1 or more, got {args.workers}")
            if args.index is not None or args.print:
                raise ValueError("--index and --print go with --hosts (--workers starts every worker here)")
            addresses, indexes = local_addresses(args.workers), range(args.workers)
        else:
            addresses = host_addresses(args.hosts)
            if args.print == (args.index is not None):
                raise ValueError("with --hosts, give --print (each machine's command) or --index I (start this "
                                 "machine's worker)")
            if args.print:
                for index in range(len(addresses)):
                    print(f"# on {addresses[index].rpartition(':')[0]}\n"
                          f"TF_CONFIG={shlex.quote(tf_config(addresses, index))} {shlex.join(command)}")
                return 0
            if not 0 <= args.index < len(addresses):
                raise ValueError(f"--index {args.index} is not one of the {len(addresses)} hosts (0 to "
                                 f"{len(addresses) - 1})")
            indexes = [args.index]
    except ValueError as err:
        print_error_and_exit(str(err), PROG)
    return run_workers(command, addresses, indexes, args.stop_timeout)


def run_workers(command: list[str], addresses: list[str], indexes, stop_timeout: float) -> int:
    """Start the workers ``indexes`` of the cluster ``addresses``, relay their output, and return the status of
    the first of them (the chief, when this machine runs it) or of the one that died."""
    printing = threading.Lock()
    workers, relays = [], []
    for index in indexes:
        env = {**os.environ, "TF_CONFIG": tf_config(addresses, index), "PYTHONUNBUFFERED": "1"}
        try:
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        except OSError as err:
            _stop(workers, stop_timeout)
            print_error_and_exit(f"cannot start {command[0]}: {err.strerror}", PROG)
        workers.append(Worker(index, process))
        relays.append(threading.Thread(target=_relay, args=(process.stdout, f"[w{index}] ", printing), daemon=True))
        relays[-1].start()
    _say(f"[launch] {len(workers)} worker(s) of {len(addresses)}: "
         + ", ".join(f"w{w.index} pid {w.process.pid} at {addresses[w.index]}" for w in workers), printing)
    stopping = []
    previous = {sig: signal.signal(sig, lambda signum, _: stopping.append(signum))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = _watch(workers, stopping, stop_timeout, printing)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for relay in relays:
        relay.join(timeout=5)
    return status


def _watch(workers: list[Worker], stopping: list[int], stop_timeout: float, printing) -> int:
    forwarded = False
    while True:
        if stopping and not forwarded:
            _say(f"[launch] {signal.Signals(stopping[0]).name}: stopping every worker (each checkpoints)", printing)
            _terminate(workers)
            forwarded = True
        failed = next((w for w in workers if w.status not in (None, 0)), None)
        if failed is not None and not forwarded:
            running = [w for w in workers if w.status is None]
            others = (f"; stopping {', '.join(f'w{w.index}' for w in running)} (SIGTERM, then SIGKILL after "
                      f"{stop_timeout:g} s); the same command resumes from the last checkpoint") if running else ""
            _say(f"kerastx launch: worker {failed.index} {how_it_ended(failed.status)}{others}", printing, sys.stderr)
            _stop(running, stop_timeout)
            return exit_status(failed.status)
        if all(w.status is not None for w in workers):
            return exit_status(workers[0].status)
        time.sleep(0.2)


def _terminate(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.status is None:
            worker.process.send_signal(signal.SIGTERM)


def _stop(workers: list[Worker], stop_timeout: float) -> None:
    _terminate(workers)
    deadline = time.monotonic() + stop_timeout
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


def _relay(stream, prefix: str, printing) -> None:
    for line in iter(stream.readline, b""):
        _say(prefix + line.decode("utf-8", "replace").rstrip("\n"), printing)
    stream.close()


def _say(line: str, printing, stream=None) -> None:
    with printing:
        print(line, file=stream or sys.stdout, flush=True)


if __name__ == "__main__":
    sys.exit(main())
