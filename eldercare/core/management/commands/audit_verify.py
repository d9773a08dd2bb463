"""python manage.py audit_verify [--archive FILE …]

Recomputes the audit hash chain (and, with --archive, an archive file's) and reports every row
changed, missing or slipped in. Exits with status 1 when anything is wrong, for monitoring.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eldercare.core.chain import seal_pending, verify, verify_archive_file


class Command(BaseCommand):
    help = "校验审计哈希链 / verify the audit hash chain"

    def add_arguments(self, parser):
        parser.add_argument("--archive", nargs="*", default=[], help="archive files to verify as well")

    def handle(self, *args, archive, **options):
        seal_pending()
        report = verify()
        self.stdout.write(f"已校验 checked: {report.checked}")
        problems = []
        problems += [f"记录被修改 altered: seal {seq} {source}#{row}" for seq, source, row in report.altered]
        problems += [f"记录被删除 missing: seal {seq} {source}#{row}" for seq, source, row in report.missing]
        problems += [f"链断裂 broken link at seal {seq}" for seq in report.broken]
        problems += [f"未封存的记录 rows never sealed: {source} {n}" for source, n in report.unsealed.items() if n]
        if report.head_mismatch:
            problems.append("链头与最后封存不符 the chain head does not match the last seal")
        for name in archive:
            problems += verify_archive_file(Path(name))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"审计链校验失败 / the audit chain failed verification: {len(problems)} problem(s)")
        self.stdout.write("审计链完整 / the audit chain is intact")
