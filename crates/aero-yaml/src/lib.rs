//! YAML loading with source positions (YAML 1.2 and PyYAML-compatible 1.1) and deterministic YAML output.
