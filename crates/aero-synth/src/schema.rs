//! JSON Schemas (draft 4) for the synthetic kinds, carried by `deckhand/DataSchema/v1`
//! documents. Each describes the *rendered* data of its kind's concrete documents:
//! strict enough that a missing substitution fails it (the password must be the
//! Passphrase, the URL must hold a real host), loose where layering legitimately
//! removes keys.

use serde_json::{Value, json};

use crate::data::{CATALOGUE_SUBTREES, features_key};

const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";
const IPV4: &str = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$";
const CIDR: &str = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$";
const HOSTNAME: &str = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$";

fn string() -> Value {
    json!({"type": "string", "minLength": 1})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn resources() -> Value {
    json!({
        "type": "object",
        "required": ["cpu", "memory"],
        "additionalProperties": false,
        "properties": {
            "cpu": {"type": "string", "pattern": "^[0-9]+m?$"},
            "memory": {"type": "string", "pattern": "^[0-9]+(Mi|Gi)$"},
        },
    })
}

/// The schema of application kind `letters`.
pub fn application_schema(letters: &str) -> Value {
    json!({
        "$schema": DRAFT4,
        "type": "object",
        "required": ["service", "network", "credentials", "config"],
        "additionalProperties": false,
        "properties": {
            "service": {
                "type": "object",
                "required": ["name", "replicas", "enabled", "image", "resources"],
                "additionalProperties": false,
                "properties": {
                    "name": string(),
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 100},
                    "enabled": {"type": "boolean"},
                    "debug": {"type": "boolean"},
                    "image": {
                        "type": "object",
                        "required": ["repository", "tag", "pull_policy"],
                        "additionalProperties": false,
                        "properties": {
                            "repository": string(),
                            "tag": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
                            "pull_policy": {"enum": ["IfNotPresent", "Always"]},
                        },
                    },
                    "resources": {
                        "type": "object",
                        "required": ["limits", "requests"],
                        "additionalProperties": false,
                        "properties": {"limits": resources(), "requests": resources()},
                    },
                },
            },
            "network": {
                "type": "object",
                "required": ["endpoint", "dns", "interfaces"],
                "additionalProperties": false,
                "properties": {
                    "endpoint": {
                        "type": "object",
                        "required": ["url", "port", "tls"],
                        "additionalProperties": false,
                        "properties": {
                            "url": {"type": "string", "pattern": r"^https://[a-z0-9.-]+:[0-9]+/"},
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                            "tls": {
                                "type": "object",
                                "properties": {"enabled": {"type": "boolean"}, "verify": {"type": "boolean"}},
                            },
                        },
                    },
                    "dns": {
                        "type": "object",
                        "required": ["servers", "search"],
                        "properties": {
                            "servers": {"type": "array", "minItems": 2, "items": {"type": "string", "pattern": IPV4}},
                            "search": strings(),
                        },
                    },
                    "interfaces": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["name", "mtu", "addresses"],
                            "additionalProperties": false,
                            "properties": {
                                "name": string(),
                                "mtu": {"type": "integer", "minimum": 576, "maximum": 9216},
                                "addresses": {"type": "array", "items": {"type": "string", "pattern": CIDR}},
                            },
                        },
                    },
                },
            },
            "credentials": {
                "type": "object",
                "required": ["database"],
                "properties": {
                    "database": {
                        "type": "object",
                        "required": ["user", "auth"],
                        "properties": {
                            "user": string(),
                            "auth": {
                                "type": "object",
                                "required": ["password", "method"],
                                "properties": {
                                    "password": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                                    "method": {"enum": ["scram-sha-256", "md5"]},
                                },
                            },
                        },
                    },
                },
            },
            "config": {
                "type": "object",
                "required": [features_key(letters), "tuning", "catalogue", "tags"],
                "additionalProperties": false,
                "properties": {
                    features_key(letters): {
                        "type": "object",
                        "required": ["feature_a", "feature_b"],
                        "additionalProperties": {"type": ["boolean", "string"]},
                    },
                    "tuning": {
                        "type": "object",
                        "required": ["workers", "timeout_seconds", "retries"],
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                    "catalogue": {"type": "object", "minProperties": 1},
                    "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                },
            },
        },
    })
}

/// The schema of the catalogue kind.
pub fn catalogue_schema() -> Value {
    let subtrees: serde_json::Map<String, Value> = CATALOGUE_SUBTREES
        .iter()
        .map(|name| (name.to_string(), json!({"type": "object"})))
        .collect();
    json!({
        "$schema": DRAFT4,
        "type": "object",
        "required": ["endpoints", "dns", "subtrees"],
        "additionalProperties": false,
        "properties": {
            "endpoints": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "required": ["host", "port", "scheme"],
                    "additionalProperties": false,
                    "properties": {
                        "host": {"type": "string", "pattern": HOSTNAME},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "scheme": {"enum": ["http", "https"]},
                    },
                },
            },
            "dns": {
                "type": "object",
                "required": ["servers"],
                "properties": {
                    "servers": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": IPV4}},
                    "search": strings(),
                },
            },
            "subtrees": {
                "type": "object",
                "required": CATALOGUE_SUBTREES,
                "properties": subtrees,
            },
        },
    })
}

/// The schema of Pegleg's site definition.
pub fn site_definition_schema() -> Value {
    json!({
        "$schema": DRAFT4,
        "type": "object",
        "required": ["site_type"],
        "properties": {"site_type": string()},
    })
}
