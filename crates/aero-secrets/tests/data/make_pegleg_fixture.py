"""Writes pegleg-managed.yaml: secrets wrapped and encrypted the way Pegleg does it.

Run with Python 3, PyYAML and the `cryptography` package (what Pegleg itself uses):
    python3 make_pegleg_fixture.py > pegleg-managed.yaml
The Rust test `tests/pegleg_import.rs` decrypts the committed output, so it checks
Aerostat's Fernet and key derivation against the reference implementation.
"""
import base64
import sys

import yaml
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PASSPHRASE = b"correct-horse-battery-staple-lab"
SALT = b"aerostat-test-salt"


def key():
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=SALT, iterations=10000)
    return base64.urlsafe_b64encode(kdf.derive(PASSPHRASE))


def wrap(document, encrypted):
    wrapped = {
        "schema": "pegleg/PeglegManagedDocument/v1",
        "metadata": {
            "name": document["metadata"]["name"],
            "schema": "deckhand/Document/v1",
            "labels": {},
            "layeringDefinition": {"abstract": False, "layer": "site"},
            "storagePolicy": "cleartext",
        },
        "data": {"managedDocument": document},
    }
    if encrypted:
        document["data"] = Fernet(key()).encrypt(document["data"].encode())
        wrapped["data"]["encrypted"] = {"at": "2019-05-01T12:00:00", "by": "pegleg-test"}
    return wrapped


def secret(schema, name, data, policy):
    return {
        "schema": schema,
        "metadata": {
            "schema": "metadata/Document/v1",
            "name": name,
            "layeringDefinition": {"abstract": False, "layer": "site"},
            "storagePolicy": policy,
        },
        "data": data,
    }


documents = [
    wrap(secret("deckhand/Passphrase/v1", "ipmi_admin_password", "Pegleg-Imported-Secret-42!", "encrypted"), True),
    wrap(secret("deckhand/CertificateKey/v1", "apiserver", "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n", "encrypted"), True),
    wrap(secret("deckhand/Certificate/v1", "apiserver", "-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----\n", "cleartext"), False),
    {"schema": "aerostat/Note/v1", "metadata": {"schema": "metadata/Document/v1", "name": "untouched", "storagePolicy": "cleartext",
                                               "layeringDefinition": {"abstract": False, "layer": "site"}}, "data": {"kept": True}},
]
sys.stdout.write("# Pegleg-encrypted secrets (test fixture, see make_pegleg_fixture.py)\n")
yaml.safe_dump_all(documents, sys.stdout, explicit_start=True, explicit_end=True, default_flow_style=False)
