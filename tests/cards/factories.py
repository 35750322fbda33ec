from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cards.models import Call, CardRequest, Kind, Priority, Source, Status
from providers.selectors import office_for
from tests.providers.factories import AgentFactory, OperatorFactory, house


class CardRequestFactory(DjangoModelFactory):
    """A request as filing leaves it: routed by the provider's category."""

    class Meta:
        model = CardRequest

    reference = factory.Sequence(lambda n: f"TM-2611-{n + 90000:05d}")
    kind = Kind.BLOCKED
    error_code = factory.LazyAttribute(lambda o: 15 if o.kind == Kind.BLOCKED else 5)
    identifier = factory.LazyAttributeSequence(
        lambda o, n: (
            f"{80642000000000000000 + n}" if o.kind == Kind.BLOCKED else f"RO{n:014d}"
        )
    )
    filed_by = factory.SubFactory(AgentFactory)
    provider = factory.LazyAttribute(lambda o: o.filed_by.provider)
    location = factory.LazyAttribute(lambda o: o.provider.locations.first())
    house = factory.LazyFunction(lambda: house("TM"))
    office = factory.LazyAttribute(
        lambda o: office_for(house=o.house, category=o.provider.category)
    )
    source = Source.WEB
    status = Status.NEW
    priority = Priority.NORMAL
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=4))


class CallFactory(DjangoModelFactory):
    class Meta:
        model = Call

    operator = factory.SubFactory(OperatorFactory)
    house = factory.LazyAttribute(lambda o: o.operator.house)
    caller_phone = "+40256201234"
    started_at = factory.LazyFunction(timezone.now)


class ArticleFactory(DjangoModelFactory):
    """A help article in both languages, after the seeded ones."""

    class Meta:
        model = "cards.Article"

    slug = factory.Sequence(lambda n: f"article-{n}")
    position = factory.Sequence(lambda n: 100 + n)
    title_ro = factory.Sequence(lambda n: f"Articolul {n}")
    title_en = factory.Sequence(lambda n: f"Article {n}")
    body_ro = "Primul paragraf.\n\n1. Primul pas.\n2. Al doilea pas."
    body_en = "The first paragraph.\n\n1. The first step.\n2. The second step."
