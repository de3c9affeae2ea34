-- Apps deployed from manifests (app.yaml): every `sojourn serve` and `sojourn worker` process loads them,
-- so their functions and routes are served wherever the work runs. `deployed_at` changes on each deploy.
CREATE TABLE IF NOT EXISTS apps (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    deployed_at DOUBLE PRECISION NOT NULL
);
