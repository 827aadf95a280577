"""Saved state: ``kms_mock.save(path)`` and ``mock_kms(state=path)`` / ``kms_mock.load(path)``.

A state file holds everything a mock knows — keys with every version of their key material,
aliases, tags, key policies, grants, rotation and deletion settings, custom key stores (and other
per-Region feature data), principals, each key's last usage, and the clock offset — so that
ciphertext kept in a test fixture decrypts in a later run, in another process.

It does not hold the call journal, injected faults, or the mock's options (account, region,
quotas). The key material in it is secret: state files are for tests, never for real data.

Format (JSON, UTF-8), version 1
-------------------------------
::

    {
      "format": "mock_kms/state",          # identifies the file
      "version": 1,                        # the format version (see below)
      "mock_kms_version": "0.1.0",         # the mock_kms that wrote it (informational)
      "saved_at": "2025-01-02T03:04:05.000006+00:00",
      "clock_offset_seconds": 0.0,         # kms_mock.clock's offset from real time
      "material_sets": [                   # key material, shared by the keys of a multi-Region set
        {"versions": [                     # oldest first
           {"material_id": "<64 hex>", "spec": "SYMMETRIC_DEFAULT", "created": {"$datetime": "…"},
            "imported": false, "expiration_model": null, "valid_to": null, …,
            "secret": {"$bytes": "<base64>"},                          # symmetric and HMAC keys
            "private_key": {"$private_key": "<base64 PKCS#8 DER>"}}     # asymmetric keys
         ],                                # (null: not generated yet; made on first use)
         "current_index": 0, "rotation_enabled": false, "rotation_period_days": null, …}
      ],
      "regions": [                         # one entry per account and Region that has resources
        {"account": "123456789012", "region": "us-east-1",
         "keys": [ {"key_id": "…", "arn": "…", "spec": "SYMMETRIC_DEFAULT", "key_usage": "…",
                    "material": 0,                          # index into material_sets
                    "creation_date": {"$datetime": "…"}, "state": "Enabled", "policy": "…",
                    "tags": {…}, "grants": {"<grant id>": {"$object": …}},
                    "extras": {"last_usage": {…}, …}, …} ],
         "aliases": [ {"name": "alias/…", "target_key_id": "…", "arn": "…", …} ],
         "extras": { … }}                  # per-Region feature data (custom key stores, …)
      ],
      "backend_extras": { … },             # mock-wide feature objects (e.g. declared CloudHSM
                                           # clusters and XKS proxies)
      "iam": {"object": …} | {"state": …}, # the principals: users, groups, roles, sessions,
                                           # their access keys and identity policies
      "checksum": "sha256:<64 hex>"        # over the rest of the document (see below)
    }

Key, key material and alias entries carry every field of the ``Key``, ``KeyMaterial``,
``KeyMaterialSet`` and ``Alias`` dataclasses (``mock_kms/core``), by name (a leading underscore
dropped). Other values are plain JSON where JSON can say them; otherwise a one-member object
tagged with ``$``:

=======================================  =========================================================
``{"$datetime": "<ISO 8601>"}``          a timezone-aware datetime
``{"$timedelta": <seconds>}``            a duration
``{"$bytes": "<base64>"}``               bytes
``{"$private_key": "<base64>"}``         a private key, PKCS#8 DER
``{"$tuple": […]}``, ``{"$set": […]}``,  tuples and sets
``{"$frozenset": […]}``
``{"$dict": [[k, v], …]}``               a dict whose keys are not all plain strings
``{"$key": "<key ARN>"}``                a reference to a key of this file
``{"$material_set": n}``,                references to material_sets[n] (and its version m)
``{"$material": [n, m]}``
``{"$key_spec": "<KeySpec>"}``           a key spec
``{"$region": [account, region]}``       a reference to a Region's resources
``{"$mock": null}``, ``{"$backend":      the mock, its state, its clock (whichever loads the file)
null}``, ``{"$clock": null}``
``{"$policy": "<JSON>", "kind": …}``     a parsed key or identity policy (parsed again on load)
``{"$regex": "<pattern>", "flags": n}``  a compiled regular expression
``{"$object": "mock_kms.<module>.<Cls>",  an object of a mock_kms class (grants, principals, custom
"id": n, "attributes": {…}}``            key stores, …): its attributes, restored as they were;
                                         ``"state": …`` instead when the class has ``to_state()``
                                         (loaded with its ``from_state(state)`` classmethod)
``{"$ref": n}``                          the object with ``"id": n`` again (shared objects and
                                         cycles keep their identity)
=======================================  =========================================================

Only classes of the ``mock_kms`` package are ever restored from a file.

Checks on load: every entry is checked against this format before anything is applied — the
fields of keys, key material, aliases and restored objects against their types (``str``,
``int``, dates, ``dict[str, str]`` tags, grants, …; ``state_checks.py``), key states, usages,
origins, ARNs and windows against their ranges, references against the file, and the clock
offset (finite, within a century). ``checksum`` is SHA-256 over the document without that
member and ``saved_at``, as compact ASCII JSON in the file's own member order: a byte changed
after saving (say in key material) is refused as corrupted. A file without ``checksum`` (written before it was
added, or edited on purpose with the member removed) loads unchecked; older mock_kms versions
ignore the member, so the format version stays 1.

Versioning: ``version`` changes when an older mock_kms could misread a file. A mock_kms reads
every version up to its own; a file from a newer mock_kms, a file that is not a state file, or a
file with a bad entry is refused with a :class:`StateError` naming the file and the entry — and
loading a refused file changes nothing.

Loading *replaces* the mock's keys, aliases, feature state, principals and clock offset. Time-based
events (deletion at the end of a waiting period, automatic rotation, expiry of imported material)
are scheduled again from the loaded state; other features with timers re-create them in a
``backend.add_hook("on_state_loaded", fn)`` hook (``fn(backend)`` runs after a load).

Extension points for features: state lives in ``Key.extras``, ``RegionBackend.extras``, or as a
mock_kms object in ``Backend.extras`` (functions there are hooks, not state, and are not saved);
principals are saved with the registry (``IamRegistry.to_state()`` and an instance method
``from_state(data)`` on a new registry take over if defined); any mock_kms class may define
``to_state()`` and a ``from_state(data)`` classmethod to control how its objects are saved.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import json
import os
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from mock_kms.core.backend import Alias, RegionBackend
from mock_kms.core.keys import Key, KeyMaterial, KeyMaterialSet, KeyState
from mock_kms.core.specs import KEY_SPECS, KeySpecInfo
from mock_kms.state_checks import (
    clock_offset_problem,
    extras_problem,
    field_problem,
    grants_problem,
    key_problem,
    material_problem,
    material_set_problem,
)

if TYPE_CHECKING:
    from mock_kms.core.backend import Backend
    from mock_kms.mock import KmsMock

FORMAT = "mock_kms/state"
VERSION = 1


class StateError(ValueError):
    """A state file that cannot be saved or loaded (the mock is unchanged)."""


# -- values ---------------------------------------------------------------------------------
def _is_private_key(value: Any) -> bool:
    return type(value).__module__.startswith("cryptography.") and hasattr(value, "private_bytes")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _Encoder:
    """Values to JSON. Objects of mock_kms classes keep their identity (``id``/``$ref``)."""

    def __init__(self, mock: KmsMock) -> None:
        self.mock = mock
        self.material_sets: list[dict[str, Any]] = []
        self._set_index: dict[int, int] = {}
        self._material_index: dict[int, tuple[int, int]] = {}
        self._object_ids: dict[int, int] = {}
        self._alive: list[Any] = []  # keeps encoded objects alive so their id() stay unique

    def value(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, timedelta):
            return {"$timedelta": value.total_seconds()}
        if isinstance(value, (bytes, bytearray)):
            return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
        if isinstance(value, list):
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            items = sorted(value, key=repr)
            tag = "$set" if isinstance(value, set) else "$frozenset"
            return {tag: [self.value(item, f"{path}[{i}]") for i, item in enumerate(items)]}
        if isinstance(value, dict):
            if all(isinstance(name, str) and not name.startswith("$") for name in value):
                return {name: self.value(item, f"{path}.{name}") for name, item in value.items()}
            return {"$dict": [[self.value(k, path), self.value(v, f"{path}[{k!r}]")] for k, v in value.items()]}
        if isinstance(value, Key):
            return {"$key": value.arn}
        if isinstance(value, KeyMaterialSet):
            return {"$material_set": self.material_set(value)}
        if isinstance(value, KeyMaterial) and id(value) in self._material_index:
            return {"$material": list(self._material_index[id(value)])}
        if isinstance(value, KeySpecInfo):
            return {"$key_spec": value.name}
        if isinstance(value, RegionBackend):
            return {"$region": [value.account, value.region]}
        if value is self.mock:
            return {"$mock": None}
        if value is self.mock.backend:
            return {"$backend": None}
        if value is self.mock.clock:
            return {"$clock": None}
        if _is_private_key(value):
            from mock_kms.core.crypto import private_key_to_pkcs8_der

            return {"$private_key": base64.b64encode(private_key_to_pkcs8_der(value)).decode("ascii")}
        if isinstance(value, re.Pattern):
            return {"$regex": value.pattern, "flags": int(value.flags)}
        from mock_kms.iam.policy import Policy

        if isinstance(value, Policy):  # parsed again from its text on load
            return {"$policy": value.raw, "kind": value.kind}
        cls = type(value)
        if cls.__module__.startswith("mock_kms.") and not callable(value):
            return self.object(value, path)
        raise StateError(f"cannot save {path}: values of type {_qualified(cls)} are not supported")

    def object(self, value: Any, path: str) -> dict[str, Any]:
        number = self._object_ids.get(id(value))
        if number is not None:
            return {"$ref": number}
        number = self._object_ids[id(value)] = len(self._object_ids)
        self._alive.append(value)
        cls = type(value)
        if callable(getattr(value, "to_state", None)):
            return {"$object": _qualified(cls), "id": number, "state": self.value(value.to_state(), f"{path}.state")}
        attributes = getattr(value, "__dict__", None)
        if attributes is None:
            raise StateError(f"cannot save {path}: {_qualified(cls)} objects have no attributes to save")
        return {
            "$object": _qualified(cls),
            "id": number,
            "attributes": {name: self.value(item, f"{path}.{name}") for name, item in attributes.items()},
        }

    def fields(self, obj: Any, path: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        return {
            f.name.lstrip("_"): self.value(getattr(obj, f.name), f"{path}.{f.name.lstrip('_')}")
            for f in dataclasses.fields(obj)
            if f.name not in skip
        }

    def material_set(self, material: KeyMaterialSet) -> int:
        index = self._set_index.get(id(material))
        if index is None:
            index = self._set_index[id(material)] = len(self.material_sets)
            self._alive.append(material)
            for number, version in enumerate(material.versions):
                self._material_index[id(version)] = (index, number)
            entry: dict[str, Any] = {}
            self.material_sets.append(entry)
            # Versions first: restore_state builds them before the set.
            versions = [
                self.fields(version, f"material_sets[{index}].versions[{number}]")
                for number, version in enumerate(material.versions)
            ]
            entry.update(self.fields(material, f"material_sets[{index}]", skip=("versions",)))
            entry["versions"] = versions
        return index

    def key(self, key: Key, path: str) -> dict[str, Any]:
        entry = self.fields(key, path, skip=("spec", "material", "grants", "extras"))  # those: dump_state
        entry["spec"] = key.spec.name
        entry["material"] = self.material_set(key.material)
        return entry


class _Decoder:
    def __init__(self, mock: KmsMock, source: str) -> None:
        self.mock = mock
        self.source = source
        self.keys_by_arn: dict[str, Key] = {}
        self.material_sets: list[KeyMaterialSet] = []
        self.regions: dict[tuple[str, str], RegionBackend] = {}
        self.objects: dict[int, Any] = {}

    def fail(self, path: str, problem: str) -> StateError:
        return StateError(f"{self.source}: {path}: {problem}")

    def value(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.value(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if not isinstance(value, dict):
            raise self.fail(path, f"unexpected {type(value).__name__}")
        tag = next(iter(value), None)
        if tag is None or not tag.startswith("$"):
            return {name: self.value(item, f"{path}.{name}") for name, item in value.items()}
        body = value[tag]
        try:
            return self.tagged(tag, body, value, path)
        except StateError:
            raise
        except Exception as error:  # a malformed tagged value
            raise self.fail(path, f"bad {tag} value: {error}") from None

    def tagged(self, tag: str, body: Any, value: dict[str, Any], path: str) -> Any:
        if tag == "$datetime":
            moment = datetime.fromisoformat(body)
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        if tag == "$timedelta":
            return timedelta(seconds=float(body))
        if tag == "$bytes":
            return base64.b64decode(body, validate=True)
        if tag == "$tuple":
            return tuple(self.value(item, f"{path}[{i}]") for i, item in enumerate(body))
        if tag == "$set":
            return {self.value(item, f"{path}[{i}]") for i, item in enumerate(body)}
        if tag == "$frozenset":
            return frozenset(self.value(item, f"{path}[{i}]") for i, item in enumerate(body))
        if tag == "$dict":
            return {self.value(k, path): self.value(v, f"{path}[{k!r}]") for k, v in body}
        if tag == "$key":
            key = self.keys_by_arn.get(body)
            if key is None:
                raise self.fail(path, f"refers to key {body}, which is not in the file")
            return key
        if tag == "$material_set":
            return self.material_sets[body]
        if tag == "$material":
            index, number = body
            return self.material_sets[index].versions[number]
        if tag == "$key_spec":
            return _key_spec(body)
        if tag == "$region":
            account, region = body
            here = self.regions.get((account, region))
            return here if here is not None else RegionBackend(account, region)
        if tag == "$mock":
            return self.mock
        if tag == "$backend":
            return self.mock.backend
        if tag == "$clock":
            return self.mock.clock
        if tag == "$private_key":
            from cryptography.hazmat.primitives.serialization import load_der_private_key

            return load_der_private_key(base64.b64decode(body, validate=True), password=None)
        if tag == "$regex":
            return re.compile(body, value.get("flags", 0))
        if tag == "$policy":
            from mock_kms.iam.policy import parse_policy

            return parse_policy(body, kind=value.get("kind", "key"))
        if tag == "$ref":
            if body not in self.objects:
                raise self.fail(path, f"refers to object {body}, which comes later or not at all")
            return self.objects[body]
        if tag == "$object":
            return self.object(value, path)
        raise self.fail(path, f"unknown tag {tag}")

    def object(self, value: dict[str, Any], path: str) -> Any:
        name = value["$object"]
        if not isinstance(name, str) or not name.startswith("mock_kms."):
            raise self.fail(path, f"refusing to load {name!r}: only mock_kms classes are restored")
        module_name, _, class_name = name.rpartition(".")
        cls: Any = None
        while module_name:
            try:
                cls = importlib.import_module(module_name)
                break
            except ImportError:
                module_name, _, outer = module_name.rpartition(".")
                class_name = f"{outer}.{class_name}"
        for part in class_name.split("."):
            cls = getattr(cls, part, None)
        if not isinstance(cls, type):
            raise self.fail(path, f"no class {name} in this mock_kms")
        number = value.get("id")
        if "state" in value:
            if not callable(getattr(cls, "from_state", None)):
                raise self.fail(path, f"{name} has no from_state()")
            obj = cls.from_state(self.value(value["state"], f"{path}.state"))
            self.objects[number] = obj
            return obj
        attributes = value.get("attributes")
        if not isinstance(attributes, dict):
            raise self.fail(path, "an object needs its attributes")
        obj = cls.__new__(cls)
        self.objects[number] = obj  # before its attributes: they may refer back to it
        for attribute, item in attributes.items():
            object.__setattr__(obj, attribute, self.value(item, f"{path}.{attribute}"))
        self.check(obj, path)
        return obj

    def check(self, obj: Any, path: str) -> None:
        """Refuse an object whose fields do not have their documented types (state_checks.py)."""
        problem = field_problem(obj)
        if problem is not None:
            raise self.fail(path, problem)

    def build(self, cls: type, data: Any, path: str, special: dict[str, Any] | None = None) -> Any:
        """An instance of dataclass ``cls`` from its saved fields (``special``: already decoded)."""
        if not isinstance(data, dict):
            raise self.fail(path, f"expected an object, found {type(data).__name__}")
        special = special or {}
        by_name = {f.name.lstrip("_"): f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(by_name) - set(special)
        if unknown:
            raise self.fail(path, f"unknown {cls.__name__} field(s): {', '.join(sorted(unknown))}")
        init, later = {}, {}
        for saved_name, f in by_name.items():
            if saved_name in special:
                value = special[saved_name]
            elif saved_name in data:
                value = self.value(data[saved_name], f"{path}.{saved_name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.init:
                raise self.fail(path, f"missing {cls.__name__} field {saved_name!r}")
            else:
                continue
            (init if f.init else later)[f.name] = value
        try:
            obj = cls(**init)
        except Exception as error:
            raise self.fail(path, f"bad {cls.__name__}: {error}") from None
        for name, value in later.items():
            object.__setattr__(obj, name, value)
        self.check(obj, path)
        return obj


def _key_spec(name: Any) -> KeySpecInfo:
    spec = KEY_SPECS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise ValueError(f"unknown key spec {name!r}")
    return spec


# -- saving ---------------------------------------------------------------------------------
def dump_state(mock: KmsMock) -> dict[str, Any]:
    """The mock's state as a JSON-ready dict (see the module docs for the format).

    Values are encoded in the order :func:`restore_state` decodes them, so that an object
    shared by two entries is written in full where it is read first.
    """
    from mock_kms import __version__

    encoder = _Encoder(mock)
    backend = mock.backend
    with backend.lock:
        heres = [here for here in backend.regions() if here.keys or here.aliases or here.extras]
        for here in heres:
            for key in here.keys.values():
                encoder.material_set(key.material)
        regions = []
        for index, here in enumerate(heres):
            path = f"regions[{index}]"
            keys = [encoder.key(key, f"{path}.keys[{key.key_id}]") for key in here.keys.values()]
            regions.append({"account": here.account, "region": here.region, "keys": keys})
        for entry, here in zip(regions, heres, strict=False):
            for saved, key in zip(entry["keys"], here.keys.values(), strict=False):
                path = f"{entry['region']}.keys[{key.key_id}]"
                saved["grants"] = encoder.value(key.grants, f"{path}.grants")
                saved["extras"] = encoder.value(key.extras, f"{path}.extras")
        for index, (entry, here) in enumerate(zip(regions, heres, strict=False)):
            path = f"regions[{index}]"
            entry["aliases"] = [
                encoder.fields(alias, f"{path}.aliases[{alias.name}]") for alias in here.aliases.values()
            ]
            entry["extras"] = encoder.value(here.extras, f"{path}.extras")
        backend_extras = {
            name: encoder.value(value, f"backend_extras.{name}")
            for name, value in backend.extras.items()
            if _is_feature_object(value)
        }
        to_state = getattr(mock.iam, "to_state", None)
        if callable(to_state):
            iam = {"state": encoder.value(to_state(), "iam.state")}
        else:
            iam = {"object": encoder.value(mock.iam, "iam.object")}
    return {
        "format": FORMAT,
        "version": VERSION,
        "mock_kms_version": __version__,
        "saved_at": datetime.now(timezone.utc).isoformat(),
        "clock_offset_seconds": mock.clock.offset.total_seconds(),
        "material_sets": encoder.material_sets,
        "regions": regions,
        "backend_extras": backend_extras,
        "iam": iam,
    }


def _is_feature_object(value: Any) -> bool:
    """Backend.extras holds hooks (functions) and some features' objects: only the latter are state."""
    return type(value).__module__.startswith("mock_kms.") and not callable(value)


def save_state(mock: KmsMock, path: str | os.PathLike[str]) -> None:
    """Write the mock's state to ``path`` (atomically: a reader never sees half a file).

    Whatever a request could store can be written: strings that are not valid Unicode (a lone
    surrogate sent as ``"\\udc80"``) are written as JSON escapes. A failure raises StateError
    and leaves ``path`` as it was, with no temporary file behind.
    """
    encoded = encode_document(dump_state(mock), indent=1)
    target = os.fspath(path)
    temporary = f"{target}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as stream:
            stream.write(encoded)
        os.replace(temporary, target)
    except OSError as error:
        raise StateError(f"{target}: cannot write the state file: {error}") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def encode_document(data: dict[str, Any], indent: int | None = None) -> bytes:
    """A dumped state as the file's bytes, with its checksum. Strings that are not valid
    Unicode (a lone surrogate a request stored) are written as JSON escapes."""
    data["checksum"] = checksum(data)
    separators = None if indent is not None else (",", ":")
    text = json.dumps(data, indent=indent, separators=separators, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate somewhere: escape everything non-ASCII
        return json.dumps(data, indent=indent, separators=separators).encode("ascii") + b"\n"


# Not covered by the checksum: the checksum itself, and when the file was written.
_UNCHECKED = ("checksum", "saved_at")


def canonical_text(data: dict[str, Any]) -> str:
    """What the checksum covers: the document without ``checksum`` and ``saved_at`` as compact
    ASCII JSON, in the document's own member order (reading the file back keeps that order)."""
    body = {name: value for name, value in data.items() if name not in _UNCHECKED}
    return json.dumps(body, separators=(",", ":"), allow_nan=True)


def checksum_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def checksum(data: dict[str, Any]) -> str:
    """``"sha256:<hex>"`` over :func:`canonical_text`: a file changed after it was saved is detected."""
    return checksum_of(canonical_text(data))


def _check_checksum(data: dict[str, Any], source: str) -> None:
    # Files written before the checksum was added have none; they load as before.
    saved = data.get("checksum")
    if saved is None:
        return
    if saved != checksum(data):
        raise StateError(
            f"{source}: the file is corrupted or was changed after it was saved (checksum mismatch); "
            "remove its \"checksum\" member to load a file edited on purpose"
        )


# -- loading --------------------------------------------------------------------------------
def read_state_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        raise StateError(f"{source}: no such state file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StateError(f"{source}: cannot read the state file: {error}") from None
    except json.JSONDecodeError as error:
        raise StateError(f"{source}: not a mock_kms state file (invalid JSON: {error})") from None
    except RecursionError:
        raise StateError(f"{source}: not a mock_kms state file (JSON nested too deeply)") from None
    return data


def load_state(mock: KmsMock, path: str | os.PathLike[str]) -> None:
    """Replace the mock's state with the one saved in ``path``; a bad file changes nothing."""
    restore_state(mock, read_state_file(path), source=os.fspath(path))


def restore_state(mock: KmsMock, data: Any, *, source: str = "state") -> None:
    """Replace the mock's state with ``data`` (a dict as :func:`dump_state` returns).

    Everything is decoded and checked first, into new objects; the mock is changed only once
    the whole state is built, and left as it was if anything fails (StateError).
    """
    try:
        staged = _decode(mock, data, source)
    except StateError:
        raise
    except RecursionError:
        raise StateError(f"{source}: nested too deeply to be a mock_kms state file") from None
    except Exception as error:  # a shape no check above foresaw: still the file's fault
        raise StateError(f"{source}: bad state file: {error!r}") from None
    _check_checksum(data, source)
    _apply(mock, staged, source)


def _check_header(data: Any, source: str) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f'{source}: not a mock_kms state file (expected "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateError(f"{source}: bad state file version {version!r}")
    if version > VERSION:
        raise StateError(
            f"{source}: written by a newer mock_kms (state format version {version}, "
            f"from mock_kms {data.get('mock_kms_version', '?')}); this mock_kms reads versions up to "
            f"{VERSION}: upgrade mock_kms"
        )


def _decode(mock: KmsMock, data: Any, source: str) -> _Staged:
    _check_header(data, source)
    decoder = _Decoder(mock, source)
    offset = data.get("clock_offset_seconds", 0.0)
    problem = clock_offset_problem(offset)
    if problem is not None:
        raise decoder.fail("clock_offset_seconds", problem)
    for index, entry in enumerate(_list(decoder, data, "material_sets")):
        decoder.material_sets.append(_material_set(decoder, entry, f"material_sets[{index}]"))

    entries = _list(decoder, data, "regions")
    for index, entry in enumerate(entries):
        path = f"regions[{index}]"
        if not isinstance(entry, dict):
            raise decoder.fail(path, "expected an object")
        account, region = entry.get("account"), entry.get("region")
        if not isinstance(account, str) or not isinstance(region, str) or (account, region) in decoder.regions:
            raise decoder.fail(path, "needs a unique account and region")
        decoder.regions[(account, region)] = RegionBackend(account, region)
    regions = list(decoder.regions.values())
    # In dump_state's order: keys, then their grants and extras, then aliases and Region extras.
    pending: list[tuple[Key, dict[str, Any], str]] = []
    for index, (here, entry) in enumerate(zip(regions, entries, strict=False)):
        for key_data in _list(decoder, entry, "keys", f"regions[{index}]"):
            key_path = f"regions[{index}].keys[{key_data.get('key_id', '?') if isinstance(key_data, dict) else '?'}]"
            key = _key(decoder, key_data, key_path)
            if key.account != here.account or key.region != here.region or key.key_id in here.keys:
                raise decoder.fail(key_path, "key does not belong here or is listed twice")
            here.keys[key.key_id] = key
            decoder.keys_by_arn[key.arn] = key
            pending.append((key, key_data, key_path))
    for key, key_data, key_path in pending:
        key.grants = decoder.value(key_data.get("grants", {}), f"{key_path}.grants")
        key.extras = decoder.value(key_data.get("extras", {}), f"{key_path}.extras")
        decoder.check(key, key_path)
        problem = grants_problem(key) or extras_problem(key)
        if problem is not None:
            raise decoder.fail(key_path, problem)
    for index, (here, entry) in enumerate(zip(regions, entries, strict=False)):
        path = f"regions[{index}]"
        for alias_data in _list(decoder, entry, "aliases", path):
            alias = decoder.build(Alias, alias_data, f"{path}.aliases[{_name(alias_data)}]")
            if not alias.name.startswith("alias/") or alias.name in here.aliases:
                raise decoder.fail(f"{path}.aliases[{alias.name}]", "alias names start with alias/ and are unique")
            if alias.target_key_id not in here.keys:
                raise decoder.fail(
                    f"{path}.aliases[{alias.name}]", f"targets key {alias.target_key_id}, which is not in the file"
                )
            here.aliases[alias.name] = alias
        here.extras = decoder.value(entry.get("extras", {}), f"{path}.extras")
    backend_extras = data.get("backend_extras", {})
    if not isinstance(backend_extras, dict):
        raise decoder.fail("backend_extras", "expected an object")
    extras = {name: decoder.value(value, f"backend_extras.{name}") for name, value in backend_extras.items()}
    return _Staged(regions, extras, _iam(mock, decoder, data.get("iam")), float(offset))


@dataclasses.dataclass
class _Staged:
    regions: list[RegionBackend]
    backend_extras: dict[str, Any]
    iam: Any
    clock_offset: float


def _name(data: Any) -> str:
    return str(data.get("name", "?")) if isinstance(data, dict) else "?"


def _list(decoder: _Decoder, data: dict[str, Any], name: str, path: str = "") -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise decoder.fail(f"{path}.{name}" if path else name, "expected a list")
    return value


def _material_set(decoder: _Decoder, entry: Any, path: str) -> KeyMaterialSet:
    if not isinstance(entry, dict) or not isinstance(entry.get("versions"), list) or not entry["versions"]:
        raise decoder.fail(path, "expected an object with a non-empty list of versions")
    versions = [decoder.build(KeyMaterial, item, f"{path}.versions[{n}]") for n, item in enumerate(entry["versions"])]
    for n, version in enumerate(versions):
        _check_material(decoder, version, f"{path}.versions[{n}]")
    material = decoder.build(KeyMaterialSet, entry, path, special={"versions": versions})
    problem = material_set_problem(material)
    if problem is not None:
        raise decoder.fail(path, problem)
    if not isinstance(material.current_index, int) or not 0 <= material.current_index < len(versions):
        raise decoder.fail(path, f"current_index {material.current_index!r} is out of range")
    return material


def _check_material(decoder: _Decoder, version: KeyMaterial, path: str) -> None:
    problem = material_problem(version)
    if problem is not None:
        raise decoder.fail(path, problem)
    if not isinstance(version.material_id, str) or len(version.material_id) != 64:
        raise decoder.fail(path, "material_id must be 64 hex digits")
    try:
        bytes.fromhex(version.material_id)
    except ValueError:
        raise decoder.fail(path, "material_id must be 64 hex digits") from None
    secret = version._secret
    if secret is not None and (
        not isinstance(secret, bytes) or (version.spec == "SYMMETRIC_DEFAULT" and len(secret) != 32)
    ):
        raise decoder.fail(path, "secret must be 32 bytes for SYMMETRIC_DEFAULT material")
    if version._private_key is not None and not _is_private_key(version._private_key):
        raise decoder.fail(path, "private_key is not a private key")
    if version._private_key is not None:
        from mock_kms.core.crypto.asymmetric import key_matches_spec

        if not key_matches_spec(version._private_key, version.spec):
            raise decoder.fail(path, f"private_key is not a {version.spec} key")


def _key(decoder: _Decoder, data: Any, path: str) -> Key:
    if not isinstance(data, dict):
        raise decoder.fail(path, "expected an object")
    try:
        spec = _key_spec(data.get("spec"))
    except ValueError as error:
        raise decoder.fail(path, str(error)) from None
    sets = decoder.material_sets
    index = data.get("material")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(sets):
        raise decoder.fail(path, f"material {index!r} is not an index into material_sets")
    # grants and extras are decoded in the second pass (they may refer to other keys).
    fields = {name: value for name, value in data.items() if name not in ("grants", "extras")}
    key = decoder.build(Key, fields, path, special={"spec": spec, "material": sets[index]})
    problem = key_problem(key)
    if problem is not None:
        raise decoder.fail(path, problem)
    if sets[index].current.spec != spec.name:
        raise decoder.fail(path, f"key spec {spec.name} does not match its material ({sets[index].current.spec})")
    return key


def _iam(mock: KmsMock, decoder: _Decoder, data: Any) -> Any:
    """A new principal registry from the file (None: keep none, start an empty one)."""
    if data is None:
        return None
    if not isinstance(data, dict) or not ({"state", "object"} & set(data)):
        raise decoder.fail("iam", 'expected {"state": …} or {"object": …}')
    registry_type = type(mock.iam)
    if "object" in data:
        registry = decoder.value(data["object"], "iam.object")
        if type(registry) is not registry_type:
            raise decoder.fail("iam.object", f"expected a {_qualified(registry_type)}")
        return registry
    if not callable(getattr(registry_type, "from_state", None)):
        raise decoder.fail("iam", "this mock_kms cannot load principals (IamRegistry has no from_state)")
    registry = registry_type(mock)
    try:
        registry.from_state(decoder.value(data["state"], "iam.state"))
    except StateError:
        raise
    except Exception as error:
        raise decoder.fail("iam", f"bad principals: {error}") from None
    return registry


def _apply(mock: KmsMock, staged: _Staged, source: str) -> None:
    """Swap the decoded state in; if anything fails (a feature's hook, a timer), put the
    previous state back and raise StateError: a load never leaves the mock half-replaced."""
    backend = mock.backend
    with backend.lock:
        before = (dict(backend._regions), list(backend._events), dict(backend.extras), dict(vars(mock)),
                  mock.clock.offset)
        try:
            _swap_in(mock, staged)
        except Exception as error:
            regions, events, extras, attributes, offset = before
            backend._regions.clear()
            backend._regions.update(regions)
            backend._events[:] = events
            backend.extras.clear()
            backend.extras.update(extras)
            vars(mock).update(attributes)
            mock.clock.reset()
            if offset:
                mock.clock.advance(seconds=offset.total_seconds())
            raise StateError(f"{source}: cannot apply the state: {error!r} (the mock is unchanged)") from None


def _swap_in(mock: KmsMock, staged: _Staged) -> None:
    """Put the decoded state in place of the mock's (under the backend's lock)."""
    backend = mock.backend
    # The Backend keeps regions and timers privately; loading replaces both wholesale
    # (old timers would act on the keys they were made for).
    backend._regions.clear()
    backend._events.clear()
    for here in staged.regions:
        backend._regions[(here.account, here.region)] = here
    replaced = {}
    for name, value in list(backend.extras.items()):
        if _is_feature_object(value):
            replaced[id(value)] = staged.backend_extras.get(name)
            del backend.extras[name]
    backend.extras.update(staged.backend_extras)
    old_iam = mock.iam
    mock.iam = staged.iam if staged.iam is not None else type(old_iam)(mock)
    replaced[id(old_iam)] = mock.iam
    # Attributes of the mock that pointed at replaced objects (e.g. kms_mock.custom_key_stores).
    for attribute, value in list(vars(mock).items()):
        if id(value) in replaced and replaced[id(value)] is not None:
            setattr(mock, attribute, replaced[id(value)])
    mock.clock.reset()
    if staged.clock_offset:
        mock.clock.advance(seconds=staged.clock_offset)
    _reschedule(backend)
    for hook in backend.hooks("on_state_loaded"):
        hook(backend)


def _reschedule(backend: Backend) -> None:
    """Timers kept by the core (core/lifecycle.py): deletions at the end of their waiting
    period, and automatic rotations. Each is queued again at the moment saved in the key."""
    from mock_kms.core import lifecycle

    for here in backend.regions():
        for key in list(here.keys.values()):
            if key.state == KeyState.PENDING_DELETION and key.deletion_date is not None:
                window = key.pending_window_days or 0
                lifecycle.schedule_deletion(backend, key, key.deletion_date - timedelta(days=window), window)
            material = key.material
            if material.rotation_enabled and material.next_rotation_date and lifecycle.is_rotation_owner(key):
                lifecycle.schedule_rotation(backend, key)
