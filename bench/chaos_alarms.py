#!/usr/bin/env python
"""Alarms under chaos: button presses from many devices while the consumer, the broker and the
database are killed and restarted at random. Nothing may be lost or stored twice, and every device
must have its acknowledgement soon after the last restart.

    python bench/chaos_alarms.py                                  # 10,000 alarms from 1,000 buttons over 150 s, about 3 minutes
    python bench/chaos_alarms.py --send-seconds 60                # the same at 167 a second: past the consumer's headroom here
    python bench/chaos_alarms.py --alarms 2000 --devices 200 --send-seconds 30

Everything it kills is its own: a PostgreSQL cluster made with initdb in a temporary directory (run
as the `postgres` user when started as root) and a Mosquitto (persistence on, autosave every 2 s),
each on a free port; `manage.py devices_consume` (both lanes, a persistent session). The shared
PostgreSQL and Mosquitto are never touched.

--devices buttons follow the device client's rules (`DeviceClient`: repeat with `Backoff`, exponential
with full jitter, and at once after reconnecting), driven by one thread in each of --procs processes;
--alarms presses are spread at random over --send-seconds.
The first --calm-seconds run without chaos (the floor: the same presses, nothing failing); then a
chaos loop kills one of consumer (SIGKILL), broker (SIGKILL) or PostgreSQL (immediate shutdown, i.e.
crash recovery on start) every 4–12 s, keeps it down 1–5 s and starts it again, until the presses
end. Every device then waits for its acknowledgements (at most --drain-seconds).

Figures: alarms sent, stored (an alarm row per device and msg_id), duplicated (rows past the
first), lost (sent, never stored), acknowledged (stored / duplicate / rejected) or not; publishes
per alarm; acknowledgement latency (press → the platform's acknowledgement at the device) p50/p99/max
for the calm presses (the floor), for the presses under chaos (and the ratio to the floor), and for
the presses acknowledged after the last restart, counted from the later of the press and that restart.
"Lost" is counted when the drain ends: a real device would still be repeating.
Goals (issue 13): 0 lost, 0 duplicated, p99 under 5 s after the last restart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import BENCH_ENV, ROOT  # noqa: E402  (bench/ is on sys.path when run)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SWEEP = 0.1  # seconds: how often a device process looks for repeats due, writes left over, keep-alives
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--alarms", type=int, default=10_000)
    p.add_argument("--devices", type=int, default=1_000)
    p.add_argument("--procs", type=int, default=2, help="processes the devices are spread over (one thread each)")
    # 10,000 over 150 s is 67 presses a second, a third of what one consumer stores on a 2-vCPU machine
    # shared with the database, the broker and the devices: headroom to catch up after each restart.
    # --send-seconds 60 (167 a second) leaves it too little: one restart's backlog runs into the next.
    p.add_argument("--send-seconds", type=float, default=150.0, help="presses are spread over this long")
    p.add_argument("--calm-seconds", type=float, default=10.0, help="at the start, without chaos: the floor")
    p.add_argument("--drain-seconds", type=float, default=60.0, help="after the presses, the longest a device waits")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--pg-bin", default=str(PG_BIN))
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, plans) and say where")
    # Internal: one process of devices.
    p.add_argument("--worker", default="", help=argparse.SUPPRESS)
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Postgres:
    """A private cluster: initdb in a directory of its own, started and crashed with pg_ctl."""

    def __init__(self, directory: Path, pg_bin: Path):
        self.dir, self.bin, self.port = directory, pg_bin, free_port()
        self.data, self.log = directory / "data", directory / "postgres.log"
        directory.mkdir()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/chaos"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / tool), *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")  # no checkpoint: recovery on start

    def stop(self) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


class Broker:
    def __init__(self, directory: Path):
        self.port, self.conf = free_port(), directory / "mosquitto.conf"
        directory = directory / "mqtt"
        directory.mkdir()
        if os.geteuid() == 0:  # started as root, Mosquitto runs as its own user: its persistence file is written as that user
            shutil.chown(directory, "mosquitto")
        # A queue as long as a consumer's outage needs (Mosquitto's default keeps 1,000 messages per
        # offline session and drops the rest, which devices then repeat after their backoff).
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {directory}/\n"
            "autosave_interval 2\nmax_queued_messages 100000\n"
        )
        self.log = (directory.parent / "mosquitto.log").open("a")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=self.log, stderr=self.log)
        wait_port(self.port)

    def kill(self) -> None:
        if self.process:
            self.process.kill()  # SIGKILL: what came since the last autosave is gone
            self.process.wait()
            self.process = None


class Consumer:
    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.port, self.env, self.log = port, env, log.open("a")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "devices_consume", "--port", str(self.port), "--client-id", "chaos-ingest"],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )

    def kill(self) -> None:
        if self.process:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


def main() -> None:
    args = parse_args()
    if args.worker:
        return worker(args)
    os.environ.update(BENCH_ENV)
    os.environ["ELDERCARE_TASKS"] = "immediate"
    tmp = Path(tempfile.mkdtemp(prefix="eldercare-chaos-"))
    tmp.chmod(0o755)
    os.environ["ELDERCARE_VAR_DIR"] = str(tmp)
    postgres = Postgres(tmp / "pg", Path(args.pg_bin))
    postgres.start()
    subprocess.run(
        [*postgres.as_postgres, str(postgres.bin / "createdb"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "chaos"],
        check=True,
    )
    os.environ["DATABASE_URL"] = postgres.url
    broker = Broker(tmp)
    consumer = Consumer(0, dict(os.environ), tmp / "consumer.log")
    workers: list[subprocess.Popen] = []
    try:
        run(args, tmp, postgres, broker, consumer, workers)
    finally:
        for w in workers:
            w.kill()
        consumer.kill()
        broker.kill()
        postgres.stop()
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path, postgres: Postgres, broker: Broker, consumer: Consumer, workers: list) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Count

    from eldercare.core.bulk import insert_new
    from eldercare.demo.generator import build_demo_city
    from eldercare.devices.models import Alarm, Device, Reading
    from eldercare.devices.mqtt import DeviceClient
    from eldercare.elders.models import Elder

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    build_demo_city(elders=max(args.devices, 10_000), log=lambda s: None)  # a smaller city leaves its demo community empty
    elders = list(Elder.objects.order_by("pk").values_list("pk", flat=True)[: args.devices])
    serials = [f"BTN-{i:05d}" for i in range(args.devices)]
    now = dt.datetime.now(dt.UTC)
    insert_new(
        Device,
        ["serial", "kind", "elder", "status", "installed_at"],
        [(s, "button", pk, "active", now) for s, pk in zip(serials, elders, strict=True)],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    print(f"set-up (private PostgreSQL {postgres.port}, migrations, {args.devices:,} buttons): {time.monotonic() - started:.0f} s")

    broker.start()
    consumer.port = broker.port
    consumer.start()
    probe = DeviceClient(serials[0], "127.0.0.1", broker.port, retry_seconds=0.5, retry_max_seconds=1.0).start()
    stamp = dt.datetime.now(dt.UTC).isoformat()
    if probe.send({"msg_id": "probe", "kind": "heartbeat", "ts": stamp}, timeout=120) is None:
        raise SystemExit("the consumer did not answer within 2 minutes:\n" + (tmp / "consumer.log").read_text()[-3000:])
    probe.stop()
    time.sleep(3)  # past the broker's autosave: the consumer's session survives a broker crash

    # The presses: alarm i from device i % M at a random moment of the window (seconds from the start).
    rng = random.Random(args.seed)
    presses = [(serials[i % args.devices], f"a{i}", rng.uniform(0, args.send_seconds)) for i in range(args.alarms)]
    for p in range(args.procs):
        mine = [press for press in presses if int(press[0][4:]) % args.procs == p]
        plan = tmp / f"plan-{p}.json"
        plan.write_text(json.dumps({"port": broker.port, "presses": mine, "seed": args.seed + p}))
        workers.append(subprocess.Popen([sys.executable, __file__, "--worker", str(plan)], env=dict(os.environ)))
    while not all((tmp / f"plan-{p}.json.ready").exists() for p in range(args.procs)):  # every device connected
        if any(w.poll() is not None for w in workers):
            raise SystemExit("a device process ended early")
        time.sleep(0.1)
    start_at = time.time() + 1.0
    deadline = start_at + args.send_seconds + args.drain_seconds
    (tmp / "go.tmp").write_text(json.dumps({"start_at": start_at, "deadline": deadline}))
    (tmp / "go.tmp").rename(tmp / "go.json")  # whole, at once
    print(
        f"{args.alarms:,} presses from {args.devices:,} buttons over {args.send_seconds:.0f} s; chaos after the first {args.calm_seconds:.0f} s"
    )

    # Chaos: something killed every 4–12 s, down 1–5 s, until the presses end.
    events: list[tuple[float, str, float]] = []  # (restarted at, what, down for)
    chaos_rng = random.Random(args.seed * 7)
    chaos_until = start_at + args.send_seconds
    while True:
        time.sleep(max(0.0, start_at + args.calm_seconds - time.time()) if not events else chaos_rng.uniform(4, 12))
        if time.time() >= chaos_until:
            break
        what, down = chaos_rng.choice(["consumer", "broker", "postgres"]), chaos_rng.uniform(1, 5)
        killed = time.time()
        if what == "consumer":
            consumer.kill()
        elif what == "broker":
            broker.kill()
        else:
            postgres.crash()
        time.sleep(down)
        if what == "consumer":
            consumer.start()
        elif what == "broker":
            broker.start()
        else:
            postgres.start()
        events.append((time.time(), what, time.time() - killed))
        print(f"  {time.time() - start_at:5.1f} s: {what} killed, back after {time.time() - killed:.1f} s")
    last_restart = events[-1][0] if events else start_at

    results: list[list] = []
    publishes = 0
    for p, w in enumerate(workers):
        w.wait(timeout=max(1.0, deadline - time.time()) + 60)
        done = json.loads((tmp / f"plan-{p}.json.out").read_text())
        results += done["results"]
        publishes += done["published"]
    connections.close_all()
    rows = list(Alarm.objects.filter(device__kind="button").values("device__serial", "message_id").annotate(n=Count("id")))
    stored = {(r["device__serial"], r["message_id"]) for r in rows}
    duplicated = sum(r["n"] - 1 for r in rows)
    sent = {(serial, msg_id) for serial, msg_id, _ in presses}
    lost = len(sent - stored)
    readings = Reading.objects.filter(kind="button").count()

    acked = [r for r in results if r[3] is not None]
    statuses = {s: sum(1 for r in acked if r[4] == s) for s in ("stored", "duplicate", "rejected")}
    calm = [r[3] - r[2] for r in acked if r[2] < start_at + args.calm_seconds]
    chaotic = [r[3] - r[2] for r in acked if r[2] >= start_at + args.calm_seconds]
    # Presses still waiting at the last restart, or made after it: from the later of the two to the acknowledgement.
    settled = [r[3] - max(r[2], last_restart) for r in acked if r[3] > last_restart]

    def line(name: str, samples: list[float]) -> str:
        return f"{name}: {len(samples):,} presses, p50 {pct(samples, 0.5):.2f} s, p99 {pct(samples, 0.99):.2f} s, max {max(samples, default=float('nan')):.2f} s"

    print()
    print(
        f"chaos: {len(events)} restarts ({', '.join(f'{k} {sum(e[1] == k for e in events)}' for k in ('consumer', 'broker', 'postgres'))}); last {last_restart - start_at:.1f} s in"
    )
    print(
        f"alarms sent {len(sent):,}; stored {len(stored & sent):,}; duplicated {duplicated:,}; lost {lost:,}   (goal: 0 lost, 0 duplicated)"
    )
    print(f"button readings stored: {readings:,} (one per alarm)")
    print(
        f"acknowledged {len(acked):,} ({', '.join(f'{k} {v:,}' for k, v in statuses.items())}); unacknowledged {len(results) - len(acked):,}"
    )
    print(f"publishes per alarm: {publishes / max(1, len(results)):.2f} (repeats included)")
    print(line("ack latency, calm (the floor)", calm))
    print(
        line("ack latency, under chaos", chaotic)
        + f"; p50 ratio to the floor {pct(chaotic, 0.5) / pct(calm, 0.5):.1f}×, p99 {pct(chaotic, 0.99) / pct(calm, 0.99):.1f}×"
    )
    print(line("ack latency after the last restart (from the later of press and restart)", settled) + "   (goal p99 < 5 s)")
    if settled:
        print(f"last acknowledgement {max(r[3] for r in acked) - last_restart:.2f} s after the last restart")


class Press:
    """One alarm of one device: pressed at `due`, unacknowledged until `acked_at`."""

    __slots__ = ("msg_id", "due", "payload", "tries", "resend_at", "acked_at", "status")

    def __init__(self, msg_id: str, due: float):
        self.msg_id, self.due = msg_id, due
        self.payload = json.dumps({"msg_id": msg_id, "kind": "button", "ts": dt.datetime.fromtimestamp(due, dt.UTC).isoformat()}).encode()
        self.tries, self.resend_at = 0, due
        self.acked_at: float | None = None
        self.status: str | None = None


class Device:
    """A button with the device client's rules (`eldercare.devices.mqtt.DeviceClient`): it repeats a press
    until the platform acknowledges it, waiting by `Backoff` (full jitter), and at once after reconnecting.
    Driven by `Fleet`'s loop rather than threads of its own."""

    def __init__(self, serial: str, port: int, backoff) -> None:
        import paho.mqtt.client as mqtt

        self.serial, self.port, self.backoff = serial, port, backoff
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"chaos-{serial}-{os.getpid()}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_ack
        self.pending: dict[str, Press] = {}
        self.connected, self.reconnect_at, self.published = False, 0.0, 0
        self.sock: socket.socket | None = None

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            return
        client.subscribe(f"eldercare/devices/{self.serial}/ack", qos=1)
        self.connected = True
        for press in self.pending.values():  # what was in flight may have gone with the broker
            press.tries, press.resend_at = 0, 0.0

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False
        self.reconnect_at = time.time() + random.uniform(1, 3)

    def _on_ack(self, client, userdata, msg) -> None:
        body = json.loads(msg.payload)
        press = self.pending.pop(body.get("msg_id"), None)
        if press is not None:
            press.acked_at, press.status = time.time(), body.get("status")

    def press(self, press: Press, now: float) -> None:
        self.pending[press.msg_id] = press
        press.resend_at = 0.0
        self.resend(now)

    def resend(self, now: float) -> None:
        if not self.connected:
            return
        for press in self.pending.values():
            if press.resend_at <= now:
                self.client.publish(f"eldercare/devices/{self.serial}/up", press.payload, qos=1)
                self.published += 1
                press.tries += 1
                press.resend_at = now + self.backoff.wait(press.tries)


class Fleet:
    """One process's devices on one thread: their sockets in a selector, paho driven by hand (loop_read,
    loop_write, loop_misc, reconnect). A thread per device, a thousand of them contending for the
    interpreter, made a harness slower than the platform it measures."""

    def __init__(self, devices: list[Device]):
        self.devices = devices
        self.selector = selectors.DefaultSelector()
        self._misc_at = 0.0

    def connect(self) -> None:
        for d in self.devices:
            d.client.connect("127.0.0.1", d.port, keepalive=30)
            self._watch(d)
        while not all(d.connected for d in self.devices):
            self.turn(time.time())

    def _watch(self, d: Device) -> None:
        d.sock = d.client.socket()  # type: ignore[assignment]
        self.selector.register(d.sock, selectors.EVENT_READ, d)

    def _lost(self, d: Device) -> None:
        if d.sock is not None:
            try:
                self.selector.unregister(d.sock)
            except (KeyError, ValueError):
                pass
            d.sock = None
        if d.connected:
            d._on_disconnect(d.client, None, None, None, None)

    def turn(self, now: float) -> None:
        """Read what arrived; now and then (every SWEEP seconds) write what waits, keep connections alive and
        reconnect the lost. A publish is written at once (paho writes itself when no thread loops for it)."""
        for key, _ in self.selector.select(timeout=0.02):
            d = key.data
            if d.client.loop_read() != 0 or d.client.socket() is None:
                self._lost(d)
        if now - self._misc_at > SWEEP:
            self._misc_at = now
            for d in self.devices:
                if d.sock is not None and d.client.want_write() and d.client.loop_write() != 0:
                    self._lost(d)
                if d.sock is not None and (d.client.loop_misc() != 0 or d.client.socket() is None):
                    self._lost(d)
                elif d.sock is None and now >= d.reconnect_at:
                    try:
                        d.client.reconnect()
                        self._watch(d)
                    except OSError:  # the broker is not back yet
                        d.reconnect_at = now + random.uniform(1, 3)


def worker(args: argparse.Namespace) -> None:
    """A process of devices: connects them, presses on schedule, and writes what each press got."""
    plan_path = Path(args.worker)
    plan = json.loads(plan_path.read_text())
    import django

    django.setup()
    from eldercare.devices.mqtt import Backoff

    serials = sorted({serial for serial, _, _ in plan["presses"]})
    devices = {s: Device(s, plan["port"], Backoff(seed=plan["seed"] * 100_000 + i)) for i, s in enumerate(serials)}
    fleet = Fleet(list(devices.values()))
    fleet.connect()
    Path(f"{plan_path}.ready").touch()
    go = plan_path.parent / "go.json"
    while not go.exists():
        fleet.turn(time.time())
    timing = json.loads(go.read_text())
    start_at, deadline = timing["start_at"], timing["deadline"]
    presses = sorted(((serial, Press(msg_id, start_at + offset)) for serial, msg_id, offset in plan["presses"]), key=lambda p: p[1].due)
    made, swept = 0, 0.0
    while (now := time.time()) < deadline:
        while made < len(presses) and presses[made][1].due <= now:
            serial, press = presses[made]
            devices[serial].press(press, now)
            made += 1
        if made == len(presses) and not any(d.pending for d in devices.values()):
            break
        if now - swept > SWEEP:  # resends are due at random moments seconds apart: looked for every SWEEP
            swept = now
            for d in devices.values():
                if d.pending:
                    d.resend(now)
        fleet.turn(now)
    results = [[serial, p.msg_id, p.due, p.acked_at, p.status] for serial, p in presses]
    published = sum(d.published for d in devices.values())
    for d in devices.values():
        d.client.disconnect()
    Path(f"{plan_path}.out").write_text(json.dumps({"results": results, "published": published}))


if __name__ == "__main__":
    main()
