-- Starting a session in one round trip. The same two statements the repository used to send in a
-- client-side transaction (BEGIN, lock, statement, COMMIT: four round trips): the per-user lock,
-- then one statement that replaces the device's (or channel's) session, inserts the new one with
-- its first refresh token and evicts the oldest past the limit. In READ COMMITTED a VOLATILE
-- function takes a new snapshot per statement, so the second statement sees every session
-- committed while the lock was awaited, as before.
CREATE FUNCTION signet_start_session(
  p_id text, p_tenant_id text, p_user_id text, p_client_id text, p_device_id text, p_channel text,
  p_scope text, p_expires_at timestamptz, p_token_hash text, p_keep int4, p_exclusive boolean,
  p_lock_class int4, p_reason_device text, p_reason_channel text, p_reason_max text
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
      INSERT INTO sessions (id, tenant_id, user_id, client_id, device_id, channel, scope, expires_at)
      VALUES (p_id, p_tenant_id, p_user_id, p_client_id, p_device_id, p_channel, p_scope, p_expires_at)
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
