-- +goose Up
-- What the knowledge index derives from a document's chunks (analysed terms,
-- title features, trigram counts), persisted so that a restart reads it
-- instead of analysing every chunk again. It is derived data: written by the
-- server that analysed the document, keyed by a version that changes with the
-- analysis, and recomputed when missing, stale or of another version.
CREATE TABLE document_index (
    document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    data        BLOB NOT NULL
);

-- +goose Down
DROP TABLE document_index;
