"""python manage.py devices_simulate [--every 60] [--rounds N] [--quiet-share 0.05] [--mqtt HOST:PORT]

Simulated devices of the demo's homes report every `--every` seconds; about `--quiet-share` of the
homes go quiet (no water, no door) so the early warnings find them, and now and then a button is
pressed. Without --mqtt the readings go straight into storage (no broker needed); with it they are
published as a gateway's batches, for `devices_consume` to take.
"""

import json
import time

import paho.mqtt.client as mqtt
from django.core.management.base import BaseCommand

from eldercare.devices.mqtt import gateway_up_topic
from eldercare.devices.simulator import Simulator, homes


class Command(BaseCommand):
    help = "模拟设备上报 / simulated devices reporting"

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=60.0)
        parser.add_argument("--rounds", type=int, default=0, help="0: forever")
        parser.add_argument("--quiet-share", type=float, default=0.05)
        parser.add_argument("--press-chance", type=float, default=0.0005)
        parser.add_argument("--mqtt", default="", help="HOST:PORT of the broker (default: store directly)")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, every, rounds, quiet_share, press_chance, mqtt, seed, **options):
        houses = homes(quiet_share=quiet_share, seed=seed)
        send = None
        if mqtt:
            host, _, port = mqtt.partition(":")
            client = _client(host, int(port or 1883))

            def send(batch, size=500):
                for i in range(0, len(batch), size):
                    client.publish(gateway_up_topic("simulator"), json.dumps(batch[i : i + size]), qos=1)
                return len(batch)

        simulator = Simulator(houses, seed=seed, send=send)
        quiet = sum(h.quiet for h in houses)
        self.stdout.write(f"{len(houses):,} 户 homes ({quiet:,} 户将无活动 going quiet), 每{every:g}秒 every {every:g} s")
        done = 0
        while not rounds or done < rounds:
            sent = simulator.tick(press_chance=press_chance)
            done += 1
            self.stdout.write(f"第{done}轮 round {done}: {sent:,}")
            if not rounds or done < rounds:
                time.sleep(every)


def _client(host: str, port: int):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="eldercare-simulator")
    client.connect(host, port)
    client.loop_start()
    return client
