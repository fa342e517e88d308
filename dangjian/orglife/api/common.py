"""The orglife router and what its sections share: the API's names for service fields."""

from ninja import Router

from dangjian.core.apitools import api_fields

router = Router(tags=["orglife"])

# Service field names → the API's body field names (relations are sent as ids).
FIELD_ALIASES = {
    "org": "org_id",
    "host": "host_id",
    "recorder": "recorder_id",
    "attendees": "attendee_ids",
    "member": "member_id",
    "resolution": "resolution_id",
    "latitude": "lat",
}
# A service's errors about the meeting as a whole (cancelled, check-in closed) sit at
# ["body"].
as_api_fields = api_fields(FIELD_ALIASES, whole=("meeting",))
