"""Turning rule violations into field errors, the same way for pages and the API."""

from django.core.exceptions import ValidationError


def raise_if(errors: dict[str, str]) -> None:
    """Raise one ValidationError carrying every field error found, if any."""
    if errors:
        raise ValidationError({field: [msg] for field, msg in errors.items()})


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """``{field: [messages]}`` from any ValidationError (non-field errors under '__all__')."""
    if hasattr(exc, "error_dict"):
        return {f: [str(m) for e in errs for m in e.messages] for f, errs in exc.error_dict.items()}
    return {"__all__": list(exc.messages)}


MSG_ROW = "第{row}行：{msg}"


def row_error(row: int, errors: dict[str, str]) -> ValidationError:
    """A ValidationError whose messages name the (1-based) row of an import: 第3行：…"""
    return ValidationError({f: [MSG_ROW.format(row=row, msg=m)] for f, m in errors.items()})
