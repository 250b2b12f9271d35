"""Create the one verification page, /verifiera/, as a child of the home page.

Written against the historical models, so it places the page in the tree by
hand (treebeard's materialised path): the home page's next child path, depth 3.
Does nothing when there is no home page or the page already exists.
"""

from django.db import migrations

SLUG = "verifiera"


def create_verification_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    VerificationPage = apps.get_model("public_verify.VerificationPage")

    home = HomePage.objects.order_by("path").first()
    if home is None or VerificationPage.objects.exists():
        return
    if Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug=SLUG).exists():
        return
    page_type, _ = ContentType.objects.get_or_create(
        app_label="public_verify", model="verificationpage"
    )
    last_child = (
        Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
        .order_by("-path")
        .first()
    )
    # treebeard's alphabet is 0-9A-Z with four characters per level.
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if last_child is None:
        step = 1
    else:
        step = 0
        for char in last_child.path[-4:]:
            step = step * len(alphabet) + alphabet.index(char)
        step += 1
    segment = ""
    for _position in range(4):
        step, remainder = divmod(step, len(alphabet))
        segment = alphabet[remainder] + segment
    VerificationPage.objects.create(
        title="Kontrollera ett intyg",
        draft_title="Kontrollera ett intyg",
        slug=SLUG,
        content_type=page_type,
        path=home.path + segment,
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{SLUG}/",
        locale_id=home.locale_id,
        live=True,
        show_in_menus=False,
    )
    Page.objects.filter(pk=home.pk).update(numchild=home.numchild + 1)


def remove_verification_page(apps, schema_editor):
    VerificationPage = apps.get_model("public_verify.VerificationPage")
    Page = apps.get_model("wagtailcore.Page")
    for page in VerificationPage.objects.filter(slug=SLUG, depth=3):
        parent_path = page.path[:-4]
        page.delete()
        parent = Page.objects.filter(path=parent_path).first()
        if parent is not None:
            Page.objects.filter(pk=parent.pk).update(numchild=max(parent.numchild - 1, 0))


class Migration(migrations.Migration):
    dependencies = [
        ("public_verify", "0003_verification_page"),
        ("cms", "0002_create_homepage"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_verification_page, remove_verification_page)]
