"""Template tags of the verification answers, for pages that have only a verdict and a credential.

``{% verification_answers verdict credential as answers %}`` gives the same
worded answers as ``views.verification_context`` and the JSON endpoint, so
``includes/verdict.html`` needs nothing but ``verdict`` and ``credential``.
"""

from django import template

from ..answers import credential_answers

register = template.Library()


@register.simple_tag
def verification_answers(verdict, credential) -> dict:
    return credential_answers(credential, verdict)
