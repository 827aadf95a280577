"""IAM-style principals (users, groups, roles, access keys). Minimal until authorization lands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock


class IamRegistry:
    def __init__(self, mock: "KmsMock") -> None:
        self._mock = mock
        self._by_access_key: dict[str, Any] = {}

    def principal_for_access_key(self, access_key_id: str) -> Any:
        return self._by_access_key.get(access_key_id)
