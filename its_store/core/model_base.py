"""The bases of every library model: RequestModel (a bad field is InvalidInputError) and Result (what `--json`
prints), and invalid_input(). core/models.py re-exports them; its request and result models, and those split
off into their own modules (upload_models.py, download_models.py), build on them.
"""

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from its_store.core.errors import InvalidInputError


# defer_build: a model's validator and serializer are built on its first use, not when its module is imported
# (~55 models here and in the services: ~25 ms of every command's start for models most commands never use).
class _Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, use_enum_values=False, defer_build=True)


def invalid_input(exc: ValidationError, what: str) -> InvalidInputError:
    """pydantic's ValidationError as the one error tree has it: InvalidInputError (exit 2), one line naming
    the first field that failed and why. The input is not echoed (it may be a key or a secret)."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in err.get("loc", ()))
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    line = " ".join(f"invalid {what}: {where + ': ' if where else ''}{msg}".split())
    more = exc.error_count() - 1
    return InvalidInputError(line + (f" (and {more} more)" if more > 0 else ""))


class RequestModel(_Model):
    """Base of the library's request models: a bad field is InvalidInputError naming it, never pydantic's
    ValidationError, whether the model is built by its constructor or by model_validate(_json). (Not a
    model validator: a subclass's own "after" validators would run outside it.)"""

    input_name: ClassVar[str] = ""  # how the error names the model; "" = the class name

    if not TYPE_CHECKING:  # a type checker keeps pydantic's signatures (the fields as keyword arguments)
        def __init__(self, /, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise invalid_input(exc, type(self).input_name or type(self).__name__) from None

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
            try:
                return super().model_validate(obj, **kwargs)
            except ValidationError as exc:
                raise invalid_input(exc, cls.input_name or cls.__name__) from None

        @classmethod
        def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Any:
            try:
                return super().model_validate_json(json_data, **kwargs)
            except ValidationError as exc:
                raise invalid_input(exc, cls.input_name or cls.__name__) from None


class Result(BaseModel):
    """Base of every result the library returns (issue 21: one style). `--json` prints exactly
    `result.model_dump(mode="json")`, and the JSON Schema of every result is generated from these models
    and committed under docs/schema/. Field names are a public API: add, never rename."""

    model_config = ConfigDict(populate_by_name=True, use_enum_values=False, defer_build=True)  # see _Model

    def __getitem__(self, name: str) -> object:
        """Read access by field name, as the product documentation's examples read results
        (`model["model_name"]`, `health["status"]`): the value of that field (computed ones and, where a
        model allows them, extra ones included), as `model_dump()` has it."""
        if name not in self:
            raise KeyError(name)
        value = getattr(self, name)
        return self.model_dump(include={name})[name] if isinstance(value, BaseModel | list | dict) else value

    def __contains__(self, name: object) -> bool:
        cls = type(self)
        return isinstance(name, str) and (name in cls.model_fields or name in cls.model_computed_fields
                                          or name in (self.model_extra or {}))

    def get(self, name: str, default: object = None) -> object:
        """`result.get("field", default)`, as on the dict results of earlier versions."""
        return self[name] if name in self else default
