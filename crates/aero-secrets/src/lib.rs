//! Secret documents: generation from catalogues, encryption at rest, Pegleg import.
