from django.urls import path

from cards.views import supervise

app_name = "supervise"

urlpatterns = [
    path("workload/", supervise.workload, name="workload"),
    path("workload/<str:reference>/reassign/", supervise.reassign, name="reassign"),
    path("workload/<str:reference>/release/", supervise.release, name="release"),
    path("offices/", supervise.offices, name="offices"),
    path("offices/<int:office_id>/", supervise.office_update, name="office_update"),
]
