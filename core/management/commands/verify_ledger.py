from django.core.management.base import BaseCommand, CommandError

from core.verification import verify_and_record


class Command(BaseCommand):
    help = "逐条核验积分台账、状态记录和公示存档的哈希链；发现断链时以非零状态退出并指出第一处。"

    def handle(self, *args, **options):
        check = verify_and_record()
        if not check.ok:
            for problem in check.problems:
                self.stderr.write(problem)
            raise CommandError(f"核验未通过：{len(check.problems)} 条链有问题（见上）。")
        self.stdout.write(self.style.SUCCESS(f"核验通过：{check.rows} 条记录，哈希链完整。"))
