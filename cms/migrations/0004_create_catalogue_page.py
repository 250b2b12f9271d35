"""Create the public catalogue, /katalog/, as a child of the home page.

Written against the historical models, so it places the page in the tree by
hand (treebeard's materialised path): the home page's next free child path,
so it lives beside other pages created the same way (the verification page).
Does nothing when there is no home page or the catalogue already exists.
"""

from django.db import migrations

SLUG = "katalog"
#: treebeard's alphabet, four characters per level.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _segment(number: int) -> str:
    segment = ""
    for _position in range(4):
        number, remainder = divmod(number, len(ALPHABET))
        segment = ALPHABET[remainder] + segment
    return segment


def create_catalogue_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    CataloguePage = apps.get_model("cms.CataloguePage")

    home = HomePage.objects.order_by("path").first()
    if home is None or CataloguePage.objects.exists():
        return
    children = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
    if children.filter(slug=SLUG).exists():
        return
    last_child = children.order_by("-path").first()
    step = 1
    if last_child is not None:
        step = 0
        for char in last_child.path[-4:]:
            step = step * len(ALPHABET) + ALPHABET.index(char)
        step += 1
    page_type, _ = ContentType.objects.get_or_create(app_label="cms", model="cataloguepage")
    CataloguePage.objects.create(
        title="Katalog över mikromeriter",
        draft_title="Katalog över mikromeriter",
        slug=SLUG,
        content_type=page_type,
        path=home.path + _segment(step),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{SLUG}/",
        locale_id=home.locale_id,
        live=True,
        show_in_menus=True,
    )
    Page.objects.filter(pk=home.pk).update(numchild=children.count())


def remove_catalogue_page(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    CataloguePage = apps.get_model("cms.CataloguePage")
    for page in CataloguePage.objects.filter(slug=SLUG):
        parent_path = page.path[:-4]
        page.delete()
        Page.objects.filter(path=parent_path).update(
            numchild=Page.objects.filter(path__startswith=parent_path, depth=page.depth).count()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_catalogue_page"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_catalogue_page, remove_catalogue_page)]
