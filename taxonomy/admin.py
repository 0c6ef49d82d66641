from django.contrib import admin

from taxonomy.models import CompanySize, Currency, Industry, Product, Reason, ServiceType

for model in (Industry, Product, ServiceType):
    admin.site.register(
        model, list_display=["code", "name_en", "name_ru", "sort"], search_fields=["code", "name_en", "name_ru"]
    )
admin.site.register(CompanySize, list_display=["code", "name_en", "min_employees", "max_employees"])
admin.site.register(Currency, list_display=["code", "name"], search_fields=["code", "name"])
admin.site.register(
    Reason, list_display=["kind", "code", "name_en", "name_ru", "active"], list_filter=["kind", "active"]
)
