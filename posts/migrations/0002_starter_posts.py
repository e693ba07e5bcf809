"""The county's starter list of posts (DOMAIN §8), which a branch copies and adapts."""

from django.db import migrations

STARTER = [
    ("政策法规宣传岗", "向群众宣传党的政策和法律法规，解读惠民政策。"),
    ("党务工作监督岗", "监督村级党务、村务、财务公开，收集反映党员群众意见。"),
    ("文明新风倡导岗", "倡导移风易俗、红白事简办，带头践行文明新风。"),
    ("环境卫生监督岗", "参与人居环境整治，督促房前屋后卫生保洁。"),
    ("矛盾纠纷调解岗", "排查化解邻里、家庭矛盾纠纷，及时上报重大矛盾。"),
    ("邻里互助服务岗", "帮扶孤寡老人、留守儿童和困难群众，为群众办实事。"),
    ("平安建设巡逻岗", "参与治安巡逻、防火防汛，排查安全隐患。"),
    ("产业发展带头岗", "带头发展特色产业，传授技术，带动群众增收。"),
]


def seed(apps, schema_editor):
    PostTemplate = apps.get_model("posts", "PostTemplate")
    for position, (name, duties) in enumerate(STARTER, start=1):
        PostTemplate.objects.get_or_create(
            name=name, defaults={"duties": duties, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("posts", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
