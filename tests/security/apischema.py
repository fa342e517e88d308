"""The API's own OpenAPI schema as test input: operations, parameters, minimal valid bodies.

The attack tests iterate what the schema says rather than a hand-kept list, so an
endpoint added later is attacked too — and a path parameter nobody has classified
fails the suite instead of going untested.
"""

import io
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Path parameter name → the kind of object it names (the cast + oracle know them).
PATH_PARAM_KINDS = {
    "org_id": "org",
    "member_id": "member",
    "meeting_id": "meeting",
    # 12371: orders, coordination requests and live chats, by the county they are routed to.
    "order_id": "consult_order",
    "coordination_id": "consult_coordination",
    "chat_id": "consult_chat",
    # 业务处室: by the organisation department they belong to (the desks below it and the
    # office's own 责任人 and 联络员 see it too).
    "office_id": "desk_office",
    # 12371 knowledge base: drafts by the organisation they belong to (published entries are
    # public); the bot's conversations and their messages by their asker.
    "entry_id": "kb_entry",
    "conversation_id": "kb_conversation",
    "message_id": "kb_message",
    # 每日一答 schedules and 政策解读 drafts by the organisation they belong to (published
    # articles are public).
    "schedule_id": "kb_schedule",
    "article_id": "kb_article",
    # 预警: by the organisation they were raised against (leaders and admins above see it).
    "warning_id": "warning",
    # 组织关系转接: by the sending branch (the receiving side and the member see it too).
    "transfer_id": "transfer",
    # 组织关系转入: by the receiving branch.
    "incoming_id": "incoming",
    # 发展党员: applicants by their branch (and the applicant themself, with an account).
    "applicant_id": "applicant",
    # 流动党员: a registration by the home branch and the host organisation (and its
    # member); 失联 cases and work assigned by the member's branch.
    "registration_id": "mobile_registration",
    "lost_id": "lost_contact",
    "assignment_id": "work_assignment",
    # 党费: payments by the member's branch (a member sees their own).
    "payment_id": "dues_payment",
}
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass
class Operation:
    method: str
    path: str
    spec: dict
    path_params: list[str] = field(default_factory=list)
    query_params: list[dict] = field(default_factory=list)
    body_content_type: str | None = None
    body_schema: dict | None = None

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def secured(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def public(self) -> bool:
        """Open to visitors by design: no security requirement, or an empty one among them
        (OpenAPI's "authentication optional")."""
        return not self.secured or {} in self.spec["security"]


def resolve(schema: dict, node: dict) -> dict:
    """Follow ``$ref`` (and a lone ``allOf``) to the schema object."""
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = schema["components"]["schemas"][name]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node


def operations(schema: dict) -> list[Operation]:
    result = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            op = Operation(method, path, spec)
            for param in spec.get("parameters", []):
                if param["in"] == "path":
                    op.path_params.append(param["name"])
                elif param["in"] == "query":
                    op.query_params.append(param)
            content = spec.get("requestBody", {}).get("content", {})
            if content:
                op.body_content_type = next(iter(content))
                op.body_schema = resolve(schema, content[op.body_content_type]["schema"])
            result.append(op)
    return result


def is_string(schema: dict, prop: dict) -> bool:
    """A free-text property or parameter (not an enum, date or number)."""
    prop = resolve(schema, prop)
    if "anyOf" in prop:
        return any(is_string(schema, p) for p in prop["anyOf"] if p.get("type") != "null")
    return prop.get("type") == "string" and "enum" not in prop and "format" not in prop


def jpeg_upload(name="photo.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def example(schema: dict, prop: dict, name: str, ids: dict):
    """A valid value for one property: ids of real in-scope objects where it names one."""
    prop = resolve(schema, prop)
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        return example(schema, options[0], name, ids)
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "integer":
        return ids.get(name, 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "string":
        if prop.get("format") == "date":
            return "2020-01-01"
        if prop.get("format") == "binary":
            return jpeg_upload()
        return ids.get(name, "测试")
    return None


def minimal_body(schema: dict, op: Operation, ids: dict) -> dict:
    """The required properties of the operation's body, each with a valid value."""
    body_schema = op.body_schema or {}
    props = body_schema.get("properties", {})
    required = body_schema.get("required", [])
    return {name: example(schema, props[name], name, ids) for name in required}


def minimal_query(schema: dict, op: Operation, ids: dict) -> dict:
    """The required query parameters of the operation, each with a valid value."""
    return {
        param["name"]: example(schema, param["schema"], param["name"], ids)
        for param in op.query_params
        if param.get("required")
    }


def call(client, op: Operation, url: str, *, body=None, query=None, headers=None):
    """Send one request the way the operation takes its body."""
    headers = headers or {}
    method = getattr(client, op.method)
    if op.body_content_type == "multipart/form-data":
        return method(url, data=body or {}, **headers)
    if op.body_content_type:
        return method(url, data=body or {}, content_type="application/json", **headers)
    if query:
        return method(url, query, **headers)
    return method(url, **headers)
