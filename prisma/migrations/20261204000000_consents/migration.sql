-- Remembered OAuth consents: the scopes a user granted a (third-party) client, so that a consent
-- page asks again only for scopes not granted yet. One row per user and client; deleting either
-- removes it.
CREATE TABLE "consents" (
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    -- Space-separated, each scope once, in the order first granted.
    "scope" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consents_pkey" PRIMARY KEY ("user_id", "client_id")
);

-- Deleting a client cascades here: its consents are found by client.
CREATE INDEX "consents_client_id_idx" ON "consents"("client_id");

CREATE INDEX "consents_tenant_id_idx" ON "consents"("tenant_id");

ALTER TABLE "consents" ADD CONSTRAINT "consents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "consents" ADD CONSTRAINT "consents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "consents" ADD CONSTRAINT "consents_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The union of two space-separated scope lists: each scope once, in the order first seen. A
-- grant adds to what was granted in the same statement that reads it (INSERT … ON CONFLICT DO
-- UPDATE), so two grants at once both land.
CREATE FUNCTION signet_scope_union(a TEXT, b TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(string_agg(s, ' ' ORDER BY n), '')
    FROM (SELECT s, min(n) AS n
            FROM unnest(regexp_split_to_array(a || ' ' || b, '\s+')) WITH ORDINALITY AS t(s, n)
           WHERE s <> ''
           GROUP BY s) AS u
$$;
