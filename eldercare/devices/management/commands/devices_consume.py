"""python manage.py devices_consume [--host 127.0.0.1] [--port 1883]

The MQTT consumer: stores every device message (idempotently) and acknowledges it to the device
once committed. Run one or more (with distinct --client-id) next to the web processes. Each runs two
lanes (devices' own uplinks, gateways' batches), so an alarm never waits behind telemetry.
"""

import threading

from django.core.management.base import BaseCommand

from eldercare.devices.mqtt import lanes


class Command(BaseCommand):
    help = "接收设备上报（MQTT） / consume device messages from MQTT"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--client-id", default="eldercare-ingest")
        parser.add_argument("--share", default=None, help="an MQTT 5 shared-subscription group: several consumers split the traffic")

    def handle(self, *args, host, port, client_id, share, **options):
        self.stdout.write(f"consuming device and gateway uplinks on {host}:{port} as {client_id}" + (f" (group {share})" if share else ""))
        consumers = [consumer.start() for consumer in lanes(host, port, client_id, share=share)]
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            for consumer in consumers:
                consumer.stop()
