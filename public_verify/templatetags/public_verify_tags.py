"""Template tags of the verification answers, for pages that have only a verdict and a credential.

``{% verification_answers verdict credential as answers %}`` gives the same
worded answers as ``views.verification_context`` and the JSON endpoint, so
``includes/verdict.html`` needs nothing but ``verdict`` and ``credential``.
When the context already holds ``answers`` for that verdict (it does when
``verification_context`` built it), they are reused rather than worded twice.
"""

from django import template

from ..answers import credential_answers

register = template.Library()


@register.simple_tag(takes_context=True)
def verification_answers(context, verdict, credential) -> dict:
    answers = context.get("answers")
    if (
        isinstance(answers, dict)
        and context.get("verdict") is verdict
        and answers.get("id") == credential.public_id
    ):
        return answers
    return credential_answers(credential, verdict)
