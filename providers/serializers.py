from rest_framework import serializers

from helpdesk.api import ChoiceLabelField, ModelSerializer
from providers.models import House, Office, Provider


class OfficeSerializer(ModelSerializer):
    kind_label = ChoiceLabelField(source="kind")

    class Meta:
        model = Office
        fields = ["kind", "kind_label", "name", "phones", "email", "hours"]


class HouseSerializer(ModelSerializer):
    offices = OfficeSerializer(many=True, read_only=True)

    class Meta:
        model = House
        fields = ["code", "name", "short_name", "website", "email", "offices"]


class ProviderSerializer(ModelSerializer):
    house = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_label = ChoiceLabelField(source="category")
    office = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        fields = [
            "name",
            "fiscal_code",
            "contract_number",
            "house",
            "category",
            "category_label",
            "office",
            "phone",
            "email",
        ]

    def get_office(self, provider: Provider) -> str:
        return self.context["office_kinds"].get(provider.pk, "")
