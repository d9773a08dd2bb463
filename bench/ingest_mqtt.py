#!/usr/bin/env python
"""Device ingestion benchmark: readings through MQTT into PostgreSQL, and alarm latency under load.

    python bench/ingest_mqtt.py                      # 1,000,000 readings from 10,000 meters
    python bench/ingest_mqtt.py --readings 200000 --consumers 1

The PostgreSQL database in --database-url is DROPPED and recreated; a private Mosquitto is started
on a free port. Gateways publish batches (--batch readings per MQTT message, QoS 1) to
`eldercare/gateways/<id>/up`; --consumers `manage.py devices_consume` processes share the traffic
(an MQTT 5 shared subscription) and store each batch in one transaction (COPY), acknowledging it.

Figures:
- sustained ingestion: readings per second from the first publish to the last reading committed,
  with `manage.py alarms_watch` running beside (escalations every 5 s, the early-warning rules every
  10 s: thirty times as often as in production);
- floors, same run: a bare paho subscriber receiving the same batches (no parsing, no database),
  and a bare COPY of the same rows into an unlogged table; the ratio to each;
- alarm latency: button presses sent while the load runs, from publish to the platform's
  acknowledgement (sent after the alarm is committed, so it is on the board's next poll): p50/p99;
- one early-warning sweep over the loaded data.
Goals (issue 6): ≥ 50,000 readings/s; alarm p99 under 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import BENCH_ENV, ROOT, recreate_postgres  # noqa: E402  (bench/ is on sys.path when run)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--readings", type=int, default=1_000_000)
    p.add_argument("--devices", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=1_000)
    p.add_argument("--consumers", type=int, default=2)
    p.add_argument("--publishers", type=int, default=2)
    p.add_argument("--presses", type=int, default=200)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/eldercare_bench_ingest")
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    os.environ.update(BENCH_ENV)
    os.environ["ELDERCARE_TASKS"] = "immediate"
    os.environ["DATABASE_URL"] = args.database_url
    tmp = Path(tempfile.mkdtemp(prefix="eldercare-bench-"))
    os.environ["ELDERCARE_VAR_DIR"] = str(tmp)
    recreate_postgres(args.database_url)
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n")
    broker = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    consumers: list[subprocess.Popen] = []
    try:
        time.sleep(0.5)
        run(args, port, consumers, tmp)
    finally:
        for c in consumers:
            c.terminate()
        broker.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, port: int, consumers: list, tmp: Path) -> None:
    import django

    django.setup()
    import paho.mqtt.client as mqtt
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from eldercare.core.bulk import insert_new
    from eldercare.demo.generator import build_demo_city
    from eldercare.devices.models import Alarm, Device, Reading
    from eldercare.devices.mqtt import DeviceClient
    from eldercare.devices.warnings import warnings_sweep
    from eldercare.elders.models import Elder

    call_command("migrate", verbosity=0)
    build_demo_city(elders=args.devices, log=lambda s: None)
    elders = list(Elder.objects.order_by("pk").values_list("pk", flat=True)[: args.devices])
    now = timezone.now()
    insert_new(
        Device,
        ["serial", "kind", "elder", "status", "installed_at"],
        [(f"WTR-{i:06d}", "water", pk, "active", now) for i, pk in enumerate(elders)],
    )
    Device.objects.create(serial="BTN-BENCH", kind="button", elder_id=elders[0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"backend: {connection.vendor}; {len(elders):,} water meters; batches of {args.batch} readings; {args.consumers} consumers")

    batches = []
    start_at = now - dt.timedelta(days=2)
    per_batch = args.batch
    total = args.readings - args.readings % per_batch
    for b in range(total // per_batch):
        rows = []
        for k in range(per_batch):
            n = b * per_batch + k
            at = start_at + dt.timedelta(seconds=300 * (n // len(elders)))  # each meter reports every 5 minutes
            rows.append(
                {"device": f"WTR-{n % len(elders):06d}", "msg_id": f"m{n}", "kind": "water", "ts": at.isoformat(), "value": (n % 7) * 0.5}
            )
        batches.append(json.dumps(rows).encode())

    def publish_all(prefix: str, chunks: list[bytes]) -> None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{prefix}-{threading.get_ident()}")
        client.max_inflight_messages_set(200)
        client.connect("127.0.0.1", port)
        client.loop_start()
        for i, chunk in enumerate(chunks):
            client.publish(f"{prefix}/gw{i % 50}/up", chunk, qos=1)
        while client.want_write() or len(getattr(client, "_out_messages", {})) > 0:
            time.sleep(0.01)
        client.disconnect()
        client.loop_stop()

    def publish_parallel(prefix: str) -> None:
        threads = [threading.Thread(target=publish_all, args=(prefix, batches[i :: args.publishers])) for i in range(args.publishers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def counter(topic: str, client_id: str) -> tuple:
        """A bare subscriber that sets its event once it has received a message per batch."""
        got = {"n": 0}
        done = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)

        def on_message(c, u, m):
            got["n"] += 1
            if got["n"] == len(batches):
                done.set()

        client.on_message = on_message
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        client.connect("127.0.0.1", port)
        client.loop_start()
        time.sleep(0.3)
        return client, done

    # Floor 1: a bare subscriber receiving the same batches (no parsing, no database).
    bare, done = counter("floor/+/up", "bare-floor")
    started = time.perf_counter()
    publish_parallel("floor")
    done.wait(timeout=600)
    floor_mqtt = time.perf_counter() - started
    bare.disconnect()
    bare.loop_stop()

    # Floor 2: a bare COPY of the same rows.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE floor_readings (device_id bigint, message_id text, kind text, value double precision, at timestamptz, received_at timestamptz)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy("COPY floor_readings FROM STDIN") as copy:
            for b in range(len(batches)):
                for k in range(per_batch):
                    n = b * per_batch + k
                    copy.write_row(
                        (
                            n % len(elders) + 1,
                            f"m{n}",
                            "water",
                            (n % 7) * 0.5,
                            start_at + dt.timedelta(seconds=300 * (n // len(elders))),
                            now,
                        )
                    )
        floor_copy = time.perf_counter() - started
        cursor.execute("DROP TABLE floor_readings")

    # The platform: consumers sharing the traffic.
    env = dict(os.environ)
    for i in range(args.consumers):
        consumers.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "devices_consume", "--port", str(port), "--share", "ingest", "--client-id", f"ingest-{i}"],
                env=env, stdout=subprocess.DEVNULL, stderr=(tmp / f"consumer-{i}.log").open("w"),
            )
        )  # fmt: skip
    # Rules evaluated while the load runs: the production watcher (escalation every 5 s), checking the
    # early-warning rules every 10 s instead of every 5 minutes.
    consumers.append(
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "alarms_watch", "--every", "5", "--warnings-every", "10"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    )  # fmt: skip
    # The bench's gateways publish each batch once (a real one repeats until acknowledged), and a
    # broker drops what nobody has subscribed to yet: wait until a consumer answers a probe, as a
    # gateway would, then give the others a moment to subscribe too.
    probe_acked = threading.Event()
    probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-probe")
    probe.on_message = lambda c, u, m: probe_acked.set()
    probe.on_connect = lambda c, u, f, rc, p: c.subscribe("eldercare/gateways/probe/ack", qos=1)
    probe.connect("127.0.0.1", port)
    probe.loop_start()
    deadline = time.monotonic() + 120
    while not probe_acked.wait(timeout=1.0):
        if time.monotonic() > deadline:
            raise SystemExit("no consumer answered within 2 minutes")
        probe.publish("eldercare/gateways/probe/up", b"[]", qos=1)
    probe.disconnect()
    probe.loop_stop()
    time.sleep(2.0)

    latencies: list[float] = []
    device = DeviceClient("BTN-BENCH", "127.0.0.1", port, retry_seconds=2.0).start()
    time.sleep(0.3)

    def presses() -> None:
        for i in range(args.presses):
            sent = time.perf_counter()
            ack = device.send({"msg_id": f"press-{i}", "kind": "button", "ts": timezone.now().isoformat()}, timeout=30)
            if ack:
                latencies.append(time.perf_counter() - sent)
            time.sleep(0.05)

    # Done when every batch is acknowledged: a gateway's acknowledgement is sent after its batch is
    # committed. Counting acknowledgements keeps the bench off the database it is measuring.
    watcher, all_acked = counter("eldercare/gateways/+/ack", "bench-acks")

    presser = threading.Thread(target=presses)
    started = time.perf_counter()
    presser.start()
    publish_parallel("eldercare/gateways")
    if not all_acked.wait(timeout=600):
        for log in sorted(tmp.glob("consumer-*.log")):
            print(f"--- {log.name} (last lines)", log.read_text(errors="replace")[-3000:], sep="\n")
        raise SystemExit("not every batch was acknowledged within 10 minutes")
    ingest = time.perf_counter() - started
    watcher.disconnect()
    watcher.loop_stop()
    stored = Reading.objects.filter(kind="water").count()
    assert stored == total, f"{stored:,} readings stored of {total:,}"
    presser.join()
    device.stop()

    started = time.perf_counter()
    warnings_sweep()
    sweep = time.perf_counter() - started

    rate = total / ingest
    print()
    print(f"sustained ingestion: {total:,} readings in {ingest:.1f} s = {rate:,.0f} readings/s   (goal ≥ 50,000/s)")
    print(
        f"floor, bare paho subscriber (same batches, no database): {total / floor_mqtt:,.0f} readings/s; ratio {floor_mqtt and (ingest / floor_mqtt):.1f}×"
    )
    print(f"floor, bare COPY of the same rows: {total / floor_copy:,.0f} rows/s; ratio {ingest / floor_copy:.1f}×")
    print(
        f"alarm latency under load (publish → committed and acknowledged), {len(latencies)} presses: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {pct(latencies, 0.99) * 1000:.0f} ms   (goal p99 < 1 s; the board polls every 0.5 s)"
    )
    print(f"alarms stored: {Alarm.objects.count()} (one per press)")
    print(f"early-warning sweep over {Reading.objects.count():,} readings: {sweep:.2f} s")


if __name__ == "__main__":
    main()
