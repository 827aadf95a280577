"""Seed files: human-written declarations of keys (fixed IDs, fixed key material), aliases and
principals, for deterministic tests — ``mock_kms(seed=path)``, ``kms_mock.load_seed(path)``,
``mock-kms serve --seed path``.

Because a key's ID, Region, account and material are fixed, ciphertext made under a seeded key
decrypts in every later run: a seed file is the hand-written counterpart of a saved state file.

JSON, or TOML (read with ``tomllib``, Python 3.11+; on Python 3.10 only JSON seed files can be
read). Names are AWS's API member names. Everything but ``Keys[].KeyId`` is optional::

    # kms-seed.toml
    Account = "111122223333"          # default: the mock's account
    Region = "eu-west-1"              # default: the mock's region

    [[Keys]]
    KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab"
    Description = "orders"
    KeyMaterial = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"  # 32 bytes, hex
    Aliases = ["alias/orders"]
    Tags = { team = "payments" }
    EnableKeyRotation = true          # RotationPeriodInDays = 365

    [[Keys]]
    KeyId = "0987dcba-09fe-87dc-65ba-ab0987654321"
    KeySpec = "ECC_NIST_P256"
    KeyUsage = "SIGN_VERIFY"
    KeyMaterial = '''
    -----BEGIN PRIVATE KEY-----
    ...
    -----END PRIVATE KEY-----
    '''

    [[Aliases]]
    AliasName = "alias/legacy"
    TargetKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab"

    [[Principals]]
    Type = "User"
    Name = "app"
    Policies = [{ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "kms:*", Resource = "*" }] }]

Keys:

* ``KeyId`` — a key ID (``mrk-…`` for ``MultiRegion = true``). ``Region``/``Account`` override
  the file's defaults. ``ReplicaRegions`` (multi-Region keys) adds replicas sharing the material.
* ``KeySpec`` (default ``SYMMETRIC_DEFAULT``), ``KeyUsage`` (default: the only usage the spec
  allows; required where there are several), ``Description``, ``Tags`` (a table, or a list of
  ``{TagKey, TagValue}``), ``Policy`` (JSON text or a table; default: AWS's default key policy).
* ``KeyMaterial`` — symmetric: 32 bytes as 64 hex digits; HMAC: hex (HMAC_224 28–64 bytes,
  HMAC_256 32–64, HMAC_384 48–128, HMAC_512 64–128); asymmetric: an unencrypted PEM private key
  (or DER as hex). A list gives the versions of the material, oldest first, the last current
  (older versions still decrypt). Without it the mock generates material on first use, at
  random: then ciphertext does not carry over between runs. Material IDs are derived from the
  key ID and the material, so they are the same in every run.
* ``Origin = "EXTERNAL"`` — the material is taken as imported (does not expire); without
  ``KeyMaterial`` the key is ``PendingImport``.
* ``Enabled = false`` (or ``KeyState = "Disabled"``), ``EnableKeyRotation``,
  ``RotationPeriodInDays``, ``CreationDate`` (ISO 8601 or a TOML datetime; default: now).
* ``Aliases`` — alias names for the key.

Principals: ``Type`` (``User``, ``Role`` or ``Group``), ``Name``, ``Account``, ``Path``,
``Policies`` (identity policies: JSON text or tables), ``Tags``; users also ``Groups``.

Loading is additive and idempotent: a key or alias that already exists exactly as declared is
left alone (so ``--state`` and ``--seed`` combine across server restarts); one that exists
differently is an error. Keys and aliases are checked before anything is added: a seed with an
error changes nothing and raises :class:`SeedError` naming the entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mock_kms.api.imports import HMAC_MATERIAL_BYTES
from mock_kms.core.backend import KEY_ID_RE, Alias
from mock_kms.core.errors import KMSError
from mock_kms.core.keys import (
    Key,
    KeyMaterial,
    KeyMaterialSet,
    KeyState,
    default_key_policy,
    imported_material_fingerprint,
    imported_material_id,
    new_material_id,
    partition_for,
)
from mock_kms.core.specs import KEY_SPECS
from mock_kms.journal import USAGE_TRACKING_START

if TYPE_CHECKING:
    from mock_kms.mock import KmsMock

_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_KEY_FIELDS = {
    "KeyId", "Region", "Account", "KeySpec", "KeyUsage", "Description", "Tags", "Policy", "KeyMaterial",
    "Origin", "Enabled", "KeyState", "EnableKeyRotation", "RotationPeriodInDays", "CreationDate",
    "Aliases", "MultiRegion", "ReplicaRegions",
}  # fmt: skip
_TOP_FIELDS = {"Account", "Region", "Keys", "Aliases", "Principals", "Version"}
_PRINCIPAL_TYPES = ("Group", "User", "Role")  # created in this order (users join groups)


class SeedError(ValueError):
    """A seed file that cannot be loaded (nothing was added)."""


def read_seed_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    source = os.fspath(path)
    try:
        with open(source, "rb") as stream:
            raw = stream.read()
    except OSError as error:
        raise SeedError(f"{source}: cannot read the seed file: {error.strerror or error}") from None
    is_toml = source.endswith(".toml")
    if is_toml:
        if sys.version_info < (3, 11):
            raise SeedError(f"{source}: TOML seed files need Python 3.11+ (tomllib); use a JSON seed file on 3.10")
        import tomllib

        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SeedError(f"{source}: invalid TOML: {error}") from None
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise SeedError(f"{source}: invalid JSON: {error} (TOML seed files must end in .toml)") from None
    if not isinstance(data, dict):
        raise SeedError(f"{source}: a seed file is a table/object at the top level")
    return data


def load_seed(mock: KmsMock, path: str | os.PathLike[str]) -> None:
    """Add what the seed file at ``path`` declares to ``mock`` (see the module docs)."""
    apply_seed(mock, read_seed_file(path), source=os.fspath(path))


def apply_seed(mock: KmsMock, data: dict[str, Any], *, source: str = "seed") -> None:
    """Add what ``data`` (a parsed seed file) declares to ``mock``."""
    plan = _Planner(mock, source).plan(data)
    backend = mock.backend
    with backend.lock:
        plan.check(backend)
        now = mock.clock.now()
        for key in plan.keys:
            here = backend.region(key.account, key.region)
            if key.key_id in here.keys:
                continue
            here.keys[key.key_id] = key
            if key.creation_date < now:
                key.extras[USAGE_TRACKING_START] = now
            if key.material.rotation_enabled and key.material.next_rotation_date is not None:
                from mock_kms.core import lifecycle

                if lifecycle.is_rotation_owner(key):
                    lifecycle.schedule_rotation(backend, key)
        for alias in plan.aliases:
            here = backend.region(alias.account, alias.region)
            if alias.name not in here.aliases:
                here.aliases[alias.name] = Alias(alias.name, alias.key_id, here.alias_arn(alias.name), now, now)
    _apply_principals(mock, plan.principals, source)


@dataclass
class _PlannedAlias:
    name: str
    key_id: str
    account: str
    region: str
    path: str


@dataclass
class _Plan:
    source: str
    keys: list[Key] = field(default_factory=list)
    key_paths: dict[int, str] = field(default_factory=dict)
    declared_material: set[int] = field(default_factory=set)
    aliases: list[_PlannedAlias] = field(default_factory=list)
    principals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def check(self, backend: Any) -> None:
        """Conflicts with what the mock already holds (nothing has been changed yet)."""
        for key in self.keys:
            existing = backend.region(key.account, key.region).keys.get(key.key_id)
            if existing is not None and not _same_key(existing, key, id(key) in self.declared_material):
                raise SeedError(
                    f"{self.source}: {self.key_paths[id(key)]}: key {key.arn} already exists with other "
                    "key material or key spec"
                )
        planned = {(key.account, key.region, key.key_id) for key in self.keys}
        for alias in self.aliases:
            here = backend.region(alias.account, alias.region)
            existing = here.aliases.get(alias.name)
            if existing is not None and existing.target_key_id != alias.key_id:
                raise SeedError(
                    f"{self.source}: {alias.path}: alias {alias.name} already exists for key {existing.target_key_id}"
                )
            if (alias.account, alias.region, alias.key_id) not in planned and alias.key_id not in here.keys:
                raise SeedError(
                    f"{self.source}: {alias.path}: {alias.name} targets key {alias.key_id}, which is not declared "
                    f"in {alias.account}/{alias.region}"
                )


def _same_key(existing: Key, declared: Key, material_declared: bool) -> bool:
    if existing.spec.name != declared.spec.name or existing.key_usage != declared.key_usage:
        return False
    if not material_declared:
        return True
    ours = [_material_bytes(version) for version in declared.material.versions]
    theirs = [_material_bytes(version) for version in existing.material.versions[: len(ours)]]
    return ours == theirs


def _material_bytes(version: KeyMaterial) -> bytes | None:
    if version._secret is not None:
        return version._secret
    if version._private_key is not None:
        from mock_kms.core.crypto import private_key_to_pkcs8_der

        return private_key_to_pkcs8_der(version._private_key)
    return None


class _Planner:
    def __init__(self, mock: KmsMock, source: str) -> None:
        self.mock = mock
        self.source = source
        self.now = mock.clock.now()

    def fail(self, path: str, problem: str) -> SeedError:
        return SeedError(f"{self.source}: {path}: {problem}")

    def plan(self, data: dict[str, Any]) -> _Plan:
        unknown = set(data) - _TOP_FIELDS
        if unknown:
            raise self.fail(
                "top level", f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_TOP_FIELDS))}"
            )
        version = data.get("Version", 1)
        if version != 1:
            raise self.fail("Version", f"this mock_kms reads seed files of Version 1, not {version!r}")
        account = self.account(data.get("Account", self.mock.account), "Account")
        region = self.region(data.get("Region", self.mock.region), "Region")
        plan = _Plan(self.source)
        seen: set[tuple[str, str, str]] = set()
        for index, entry in enumerate(self.list(data, "Keys", "")):
            path = f"Keys[{index}]"
            keys, aliases = self.key(entry, path, account, region)
            for key in keys:
                if (key.account, key.region, key.key_id) in seen:
                    raise self.fail(path, f"key {key.key_id} is declared twice")
                seen.add((key.account, key.region, key.key_id))
                plan.keys.append(key)
                plan.key_paths[id(key)] = path
                if "KeyMaterial" in entry:
                    plan.declared_material.add(id(key))
            plan.aliases.extend(aliases)
        for index, entry in enumerate(self.list(data, "Aliases", "")):
            path = f"Aliases[{index}]"
            if not isinstance(entry, dict) or set(entry) - {"AliasName", "TargetKeyId", "Region", "Account"}:
                raise self.fail(path, "expected {AliasName, TargetKeyId} (and optionally Region, Account)")
            target = entry.get("TargetKeyId")
            if not isinstance(target, str) or not KEY_ID_RE.match(target):
                raise self.fail(path, f"TargetKeyId must be a key ID, not {target!r}")
            plan.aliases.append(
                self.alias(
                    entry.get("AliasName"),
                    target,
                    self.account(entry.get("Account", account), f"{path}.Account"),
                    self.region(entry.get("Region", region), f"{path}.Region"),
                    path,
                )
            )
        names = [(alias.account, alias.region, alias.name) for alias in plan.aliases]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise self.fail("Aliases", f"alias declared twice: {min(duplicates)[2]}")
        for index, entry in enumerate(self.list(data, "Principals", "")):
            plan.principals.append((f"Principals[{index}]", self.principal(entry, f"Principals[{index}]", account)))
        plan.principals.sort(key=lambda item: _PRINCIPAL_TYPES.index(item[1]["Type"]))
        return plan

    # -- pieces ---------------------------------------------------------------------------
    def list(self, data: dict[str, Any], name: str, path: str) -> list[Any]:
        value = data.get(name, [])
        if not isinstance(value, list):
            raise self.fail(f"{path}{name}", "expected a list")
        return value

    def account(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _ACCOUNT.match(value):
            raise self.fail(path, f"an account ID is 12 digits, not {value!r}")
        return value

    def region(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not _REGION.match(value):
            raise self.fail(path, f"not a Region name: {value!r}")
        return value

    def alias(self, name: Any, key_id: str, account: str, region: str, path: str) -> _PlannedAlias:
        if not isinstance(name, str) or not _ALIAS.match(name) or len(name) > 256:
            raise self.fail(path, f"not a valid alias name: {name!r} (alias/ followed by letters, digits, /_-)")
        if name.startswith("alias/aws/"):
            raise self.fail(path, f"{name}: the alias/aws/ prefix is reserved for AWS managed keys")
        return _PlannedAlias(name, key_id, account, region, path)

    def key(self, entry: Any, path: str, account: str, region: str) -> tuple[list[Key], list[_PlannedAlias]]:
        if not isinstance(entry, dict):
            raise self.fail(path, "expected a table/object")
        unknown = set(entry) - _KEY_FIELDS
        if unknown:
            raise self.fail(
                path, f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KEY_FIELDS))}"
            )
        account = self.account(entry.get("Account", account), f"{path}.Account")
        region = self.region(entry.get("Region", region), f"{path}.Region")
        multi_region = entry.get("MultiRegion", False)
        if not isinstance(multi_region, bool):
            raise self.fail(f"{path}.MultiRegion", "expected true or false")
        key_id = entry.get("KeyId")
        if not isinstance(key_id, str) or not KEY_ID_RE.match(key_id):
            raise self.fail(
                f"{path}.KeyId", f"a key ID (e.g. 1234abcd-12ab-34cd-56ef-1234567890ab) is required, not {key_id!r}"
            )
        if key_id.startswith("mrk-") != multi_region:
            raise self.fail(f"{path}.KeyId", "multi-Region keys (MultiRegion = true) and only they have mrk- key IDs")
        spec_name = entry.get("KeySpec", "SYMMETRIC_DEFAULT")
        spec = KEY_SPECS.get(spec_name) if isinstance(spec_name, str) else None
        if spec is None:
            raise self.fail(f"{path}.KeySpec", f"unknown key spec {spec_name!r}")
        usage = entry.get("KeyUsage")
        if usage is None:
            if len(spec.usages) != 1:
                raise self.fail(f"{path}.KeyUsage", f"required for {spec.name} (one of {', '.join(spec.usages)})")
            usage = spec.usages[0]
        if usage not in spec.usages:
            raise self.fail(
                f"{path}.KeyUsage", f"{usage!r} is not a key usage of {spec.name} ({', '.join(spec.usages)})"
            )
        origin = entry.get("Origin", "AWS_KMS")
        if origin not in ("AWS_KMS", "EXTERNAL"):
            raise self.fail(f"{path}.Origin", "AWS_KMS or EXTERNAL")
        created = self.datetime(entry.get("CreationDate"), f"{path}.CreationDate")
        versions = self.materials(entry, path, key_id, account, spec.name, origin, created)
        if not versions:
            versions = [KeyMaterial(new_material_id(), spec.name, created, external=origin == "EXTERNAL")]
        materials = KeyMaterialSet(versions, current_index=len(versions) - 1)
        self.rotation(entry, path, materials, spec.name, origin)
        state = self.state(entry, path)
        if origin == "EXTERNAL" and "KeyMaterial" not in entry:
            state = KeyState.PENDING_IMPORT
        replicas = entry.get("ReplicaRegions", [])
        if replicas and not multi_region or not isinstance(replicas, list):
            raise self.fail(f"{path}.ReplicaRegions", "a list of Regions, for multi-Region keys only")
        regions = [region] + [self.region(name, f"{path}.ReplicaRegions") for name in replicas]
        if len(set(regions)) != len(regions):
            raise self.fail(f"{path}.ReplicaRegions", "each Region once, not the key's own Region")
        if multi_region:
            materials.primary_region = region
            materials.replica_regions = regions[1:]
        policy = self.policy(entry.get("Policy"), f"{path}.Policy", account, region)
        tags = self.tags(entry.get("Tags", {}), f"{path}.Tags")
        description = entry.get("Description", "")
        if not isinstance(description, str):
            raise self.fail(f"{path}.Description", "expected a string")
        keys = [
            Key(
                key_id=key_id,
                account=account,
                region=name,
                spec=spec,
                key_usage=usage,
                origin=origin,
                creation_date=created,
                policy=policy,
                material=materials,
                description=description,
                state=state,
                multi_region=multi_region,
                tags=dict(tags),
            )
            for name in regions
        ]
        if origin == "EXTERNAL":
            self.imported(keys, created)
        aliases = [
            self.alias(name, key_id, account, region, f"{path}.Aliases[{n}]")
            for n, name in enumerate(self.list(entry, "Aliases", f"{path}."))
        ]
        return keys, aliases

    def datetime(self, value: Any, path: str) -> datetime:
        if value is None:
            return self.now
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(path, f"not an ISO 8601 date and time: {value!r}") from None
        if not isinstance(value, datetime):
            raise self.fail(path, "expected a date and time")
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    def materials(
        self, entry: dict[str, Any], path: str, key_id: str, account: str, spec: str, origin: str, created: datetime
    ) -> list[KeyMaterial]:
        declared = entry.get("KeyMaterial")
        if declared is None:
            return []
        items = declared if isinstance(declared, list) else [declared]
        if not items:
            raise self.fail(f"{path}.KeyMaterial", "an empty list")
        versions = []
        for index, item in enumerate(items):
            where = f"{path}.KeyMaterial" + (f"[{index}]" if isinstance(declared, list) else "")
            secret, private_key, raw = self.material(item, where, spec)
            version = KeyMaterial(
                _material_id(account, key_id, index, raw),
                spec,
                created,
                rotation_date=created if index else None,
                rotation_type="ON_DEMAND" if index else None,
                external=origin == "EXTERNAL",
            )
            version._secret, version._private_key = secret, private_key
            versions.append(version)
        return versions

    def material(self, item: Any, path: str, spec: str) -> tuple[bytes | None, Any, bytes]:
        """(secret, private key, the bytes that identify it)."""
        if not isinstance(item, str):
            raise self.fail(path, "key material is a string (hex, or PEM for asymmetric keys)")
        text = item.strip()
        if spec == "SYMMETRIC_DEFAULT" or spec in HMAC_MATERIAL_BYTES:
            try:
                secret = bytes.fromhex(text)
            except ValueError:
                raise self.fail(path, "not hexadecimal") from None
            low, high = (32, 32) if spec == "SYMMETRIC_DEFAULT" else HMAC_MATERIAL_BYTES[spec]
            if not low <= len(secret) <= high:
                wanted = f"{low}" if low == high else f"{low} to {high}"
                raise self.fail(
                    path, f"{spec} key material is {wanted} bytes ({2 * low}+ hex digits), not {len(secret)} bytes"
                )
            return secret, None, secret
        from mock_kms.core.crypto import private_key_from_der_or_pem, private_key_to_pkcs8_der

        if text.startswith("-----BEGIN"):
            data = text.encode("ascii", "replace")
        else:
            try:
                data = bytes.fromhex(text)
            except ValueError:
                raise self.fail(path, "expected a PEM private key, or DER as hex") from None
        try:
            private_key = private_key_from_der_or_pem(data, spec)
        except KMSError as error:
            raise self.fail(path, error.message) from None
        return None, private_key, private_key_to_pkcs8_der(private_key)

    def rotation(self, entry: dict[str, Any], path: str, materials: KeyMaterialSet, spec: str, origin: str) -> None:
        enabled = entry.get("EnableKeyRotation", False)
        period = entry.get("RotationPeriodInDays")
        if not isinstance(enabled, bool):
            raise self.fail(f"{path}.EnableKeyRotation", "expected true or false")
        if period is not None and (not isinstance(period, int) or isinstance(period, bool) or not 90 <= period <= 2560):
            raise self.fail(f"{path}.RotationPeriodInDays", "a whole number of days from 90 to 2560")
        if not enabled:
            if period is not None:
                raise self.fail(f"{path}.RotationPeriodInDays", "needs EnableKeyRotation = true")
            return
        if spec != "SYMMETRIC_DEFAULT" or origin != "AWS_KMS":
            raise self.fail(f"{path}.EnableKeyRotation", "automatic rotation is for symmetric keys with AWS_KMS origin")
        materials.rotation_enabled = True
        materials.rotation_period_days = period or 365
        materials.next_rotation_date = self.now + timedelta(days=materials.rotation_period_days)

    def state(self, entry: dict[str, Any], path: str) -> str:
        enabled = entry.get("Enabled")
        state = entry.get("KeyState")
        if enabled is not None and not isinstance(enabled, bool):
            raise self.fail(f"{path}.Enabled", "expected true or false")
        if state is not None and state not in (KeyState.ENABLED, KeyState.DISABLED):
            raise self.fail(f"{path}.KeyState", "Enabled or Disabled")
        if enabled is not None and state is not None and (state == KeyState.ENABLED) != enabled:
            raise self.fail(path, "Enabled and KeyState disagree")
        if state is not None:
            return state
        return KeyState.DISABLED if enabled is False else KeyState.ENABLED

    def policy(self, value: Any, path: str, account: str, region: str) -> str:
        if value is None:
            return default_key_policy(account, partition_for(region))
        if isinstance(value, dict):
            return json.dumps(value, indent=2)
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as error:
                raise self.fail(path, f"not JSON: {error}") from None
            return value
        raise self.fail(path, "JSON text or a table")

    def tags(self, value: Any, path: str) -> dict[str, str]:
        if isinstance(value, list):
            try:
                value = {item["TagKey"]: item["TagValue"] for item in value}
            except (TypeError, KeyError):
                raise self.fail(path, "a list of {TagKey, TagValue}") from None
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise self.fail(path, "a table of strings, or a list of {TagKey, TagValue}")
        return value

    def imported(self, keys: list[Key], created: datetime) -> None:
        from mock_kms.core.keys import MaterialImport

        for version in keys[0].material.versions:
            if version.has_material:
                # As ImportKeyMaterial records it (so importing the same material again matches).
                version.fingerprint = imported_material_fingerprint(version._secret, version._private_key)
                version.material_id = imported_material_id(keys[0].key_id, version.fingerprint)
                version.imported = True
                version.expiration_model = "KEY_MATERIAL_DOES_NOT_EXPIRE"
                for key in keys:
                    version.present[key.region] = MaterialImport("KEY_MATERIAL_DOES_NOT_EXPIRE", None, created)

    def principal(self, entry: Any, path: str, account: str) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise self.fail(path, "expected a table/object")
        allowed = {"Type", "Name", "Account", "Path", "Policies", "Tags", "Groups"}
        unknown = set(entry) - allowed
        if unknown:
            raise self.fail(path, f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(allowed))}")
        kind = entry.get("Type")
        if kind not in _PRINCIPAL_TYPES:
            raise self.fail(f"{path}.Type", f"one of {', '.join(_PRINCIPAL_TYPES)}, not {kind!r}")
        if not isinstance(entry.get("Name"), str):
            raise self.fail(f"{path}.Name", "a name is required")
        if "Groups" in entry and kind != "User":
            raise self.fail(f"{path}.Groups", "only users join groups")
        policies = entry.get("Policies", [])
        if not isinstance(policies, list):
            raise self.fail(f"{path}.Policies", "a list of policy documents")
        documents = []
        for n, policy in enumerate(policies):
            if isinstance(policy, dict):
                policy = json.dumps(policy)
            if not isinstance(policy, str):
                raise self.fail(f"{path}.Policies[{n}]", "JSON text or a table")
            documents.append(policy)
        return {
            "Type": kind,
            "Name": entry["Name"],
            "Account": self.account(entry.get("Account", account), f"{path}.Account"),
            "Path": entry.get("Path", "/"),
            "Policies": documents,
            "Tags": self.tags(entry.get("Tags", {}), f"{path}.Tags"),
            "Groups": list(entry.get("Groups", [])),
        }


def _material_id(account: str, key_id: str, index: int, material: bytes) -> str:
    """The same 64-hex material ID in every run for the same key and material."""
    return hashlib.sha256(
        b"mock_kms seed\0%s\0%s\0%d\0" % (account.encode(), key_id.encode(), index) + material
    ).hexdigest()


def _apply_principals(mock: KmsMock, principals: list[tuple[str, dict[str, Any]]], source: str) -> None:
    iam = mock.iam
    for path, entry in principals:
        kind, name, account = entry["Type"], entry["Name"], entry["Account"]
        try:
            getattr(iam, f"get_{kind.lower()}")(name, account)
            continue  # already there (e.g. loaded from a state file): seeds are idempotent
        except KeyError:
            pass
        try:
            if kind == "Group":
                iam.create_group(name, entry["Policies"], account=account, path=entry["Path"])
            elif kind == "User":
                iam.create_user(
                    name,
                    account=account,
                    groups=entry["Groups"],
                    policies=entry["Policies"],
                    tags=entry["Tags"],
                    path=entry["Path"],
                )
            else:
                iam.create_role(name, entry["Policies"], account=account, tags=entry["Tags"], path=entry["Path"])
        except (ValueError, KeyError, KMSError) as error:
            message = error.message if isinstance(error, KMSError) else error.args[0] if error.args else error
            raise SeedError(f"{source}: {path}: {message}") from None
