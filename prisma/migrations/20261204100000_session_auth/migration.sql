-- What the id_token says about how the user authenticated, kept with the session so that a refresh
-- repeats it instead of inventing it: auth_time (OIDC Core 2) and amr (RFC 8176 values,
-- space-separated; '' for none, e.g. an anonymous user).
--
-- Sessions started before this knew no better than their start: that is their auth_time. Their
-- amr stays unknown ('': the id_token leaves the claim out).
ALTER TABLE "sessions" ADD COLUMN "auth_time" TIMESTAMPTZ(3);
UPDATE "sessions" SET "auth_time" = "created_at";
ALTER TABLE "sessions" ALTER COLUMN "auth_time" SET NOT NULL;
ALTER TABLE "sessions" ALTER COLUMN "auth_time" SET DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "sessions" ADD COLUMN "amr" TEXT NOT NULL DEFAULT '';

-- signet_start_session stores both. The two new parameters come last and have defaults, so an
-- instance still running the previous release (fifteen arguments) keeps starting sessions during
-- a rolling upgrade: its sessions get now() and no amr, as its tokens said. The rules are those of
-- 20251125300000_start_session, unchanged.
DROP FUNCTION signet_start_session(text, text, text, text, text, text, text, timestamptz, text, int4, boolean, int4, text, text, text);

CREATE FUNCTION signet_start_session(
  p_id text, p_tenant_id text, p_user_id text, p_client_id text, p_device_id text, p_channel text,
  p_scope text, p_expires_at timestamptz, p_token_hash text, p_keep int4, p_exclusive boolean,
  p_lock_class int4, p_reason_device text, p_reason_channel text, p_reason_max text,
  p_auth_time timestamptz DEFAULT NULL, p_amr text DEFAULT ''
) RETURNS SETOF text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(p_user_id));
  RETURN QUERY
    WITH replaced AS (
      UPDATE sessions SET revoked_at = now(), revoke_reason = CASE
          WHEN device_id = p_device_id AND p_device_id <> '' THEN p_reason_device
          ELSE p_reason_channel END
       WHERE user_id = p_user_id AND client_id = p_client_id AND revoked_at IS NULL AND expires_at > now()
         AND ((device_id = p_device_id AND p_device_id <> '') OR (p_exclusive AND channel = p_channel))
      RETURNING sessions.id
    ), created AS (
      INSERT INTO sessions (id, tenant_id, user_id, client_id, device_id, channel, scope, expires_at, auth_time, amr)
      VALUES (p_id, p_tenant_id, p_user_id, p_client_id, p_device_id, p_channel, p_scope, p_expires_at,
              COALESCE(p_auth_time, now()), COALESCE(p_amr, ''))
      RETURNING sessions.id
    ), first_token AS (
      INSERT INTO refresh_tokens (hash, session_id, expires_at)
      SELECT p_token_hash, created.id, p_expires_at FROM created
      RETURNING refresh_tokens.hash
    ), evicted AS (
      UPDATE sessions SET revoked_at = now(), revoke_reason = p_reason_max
       WHERE sessions.id IN (
         SELECT s.id FROM sessions s
          WHERE s.user_id = p_user_id AND s.client_id = p_client_id
            AND s.revoked_at IS NULL AND s.expires_at > now()
            AND s.id NOT IN (SELECT replaced.id FROM replaced)
          ORDER BY s.created_at DESC, s.id DESC
         OFFSET p_keep)
      RETURNING sessions.id
    )
    SELECT replaced.id FROM replaced UNION ALL SELECT evicted.id FROM evicted;
END
$$;
