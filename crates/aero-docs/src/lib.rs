//! Aerostat's document engine: collect, layer, substitute, validate and render site documents.
