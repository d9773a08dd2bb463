"""python manage.py demo_city --elders 50000 [--communities N] [--seed 2026] [--reset | --if-empty]"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from eldercare.demo.generator import DemoDataExists, build_demo_city, default_communities, demo_data_present


class Command(BaseCommand):
    help = "生成确定性的演示城市（杭州）/ build the deterministic demo city (Hangzhou) with elders, households and one login per role"

    def add_arguments(self, parser):
        parser.add_argument("--elders", type=int, default=50_000, help="number of elders (default 50,000)")
        parser.add_argument("--communities", type=int, default=None, help="number of communities (default: elders/35, 200-5,000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--reset",
            action="store_true",
            help="delete previous demo data (elders, households, institutions, non-superusers, regions) first",
        )
        mode.add_argument("--if-empty", action="store_true", help="do nothing when the database already holds elders or regions")
        parser.add_argument(
            "--writer",
            choices=["copy", "sql", "orm"],
            default=None,
            help="how rows are written: copy (PostgreSQL default), sql (INSERT executemany, default elsewhere), orm (bulk_create)",
        )

    def handle(self, *args, elders, communities, seed, reset, if_empty, writer, **options):
        if elders < 2:
            raise CommandError("--elders must be at least 2")
        if not reset:
            present = demo_data_present()
            if present:
                found = ", ".join(f"{v:,} {k}" for k, v in present.items())
                if if_empty:
                    self.stdout.write(f"演示数据已存在（{found}），跳过 / data present ({found}), nothing to do")
                    return
                raise CommandError(
                    f"数据库中已有数据（{found}）。使用 --reset 重建，或 --if-empty 跳过。"
                    f" / The database already holds {found}. Use --reset to rebuild it or --if-empty to skip."
                )
        try:
            summary = build_demo_city(
                elders=elders,
                communities=communities or default_communities(elders),
                seed=seed,
                log=self.stdout.write,
                reset=reset,
                writer=writer,
            )
        except (DemoDataExists, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(
            f"区划 {summary.regions:,}（社区 {summary.communities:,}） 机构 {summary.institutions:,} 家庭 {summary.households:,} "
            f"老年人 {summary.elders:,} 联系人 {summary.contacts:,} 重点人群 {summary.groups:,} 授权 {summary.consents:,} "
            f"能力评估 {summary.assessments:,}"
        )
        self.stdout.write(f"演示账号（密码均为 {summary.password}）/ demo logins (password {summary.password}):")
        width = max(len(u) for u, _, _ in summary.logins)
        for username, role, region in summary.logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}  {region}")
        self.issue_allowances()
        from eldercare.demo.generator.services import build_services

        build_services(seed=seed, log=self.stdout.write)
        from eldercare.demo.generator.devices import build_devices
        from eldercare.devices.simulator import Simulator, homes

        build_devices(seed=seed, log=self.stdout.write)
        Simulator(homes(quiet_share=0.05, seed=seed), seed=seed).tick(press_chance=0.002)  # first readings, and a few calls on the board
        self.stdout.write(self.style.SUCCESS(f"完成 / done in {summary.seconds:.1f} s"))

    def issue_allowances(self) -> None:
        """Last month's and this month's allowances, as the monthly task would have issued them."""
        from django.utils import timezone

        from eldercare.entitlements.models import IssuanceRun
        from eldercare.entitlements.services.issuance import issuance_execute
        from eldercare.regions.models import Level, Region

        city = Region.objects.filter(level=Level.CITY).order_by("code").first()
        if city is None:
            raise CommandError("no city region to issue allowances in")
        this_month = timezone.localdate().replace(day=1)
        last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
        for month in (last_month, this_month):
            run = issuance_execute(run_id=IssuanceRun.objects.create(region=city, month=month).pk)
            self.stdout.write(f"津贴发放 allowances {month:%Y-%m}: {run.accounts_opened:,} 个账户 accounts")
